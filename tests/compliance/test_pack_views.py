"""Rule-pack pages and the decision trace page: who sees them (404 for everyone else), forms and their
field errors, and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from compliance.decisions import evaluate, override
from compliance.models import RuleDecision, RulePack
from compliance.packs import pack_create_stricter_copy, pack_new_version
from tests.compliance.test_rules_visits import NOW, facts
from tests.factories import CreditorFactory, audit_actions_since, audit_head

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form_data(pack: RulePack, **changes) -> dict:  # type: ignore[no-untyped-def, type-arg]
    data = {
        "contact_window_start": pack.contact_window_start.strftime("%H:%M"),
        "contact_window_end": pack.contact_window_end.strftime("%H:%M"),
        "min_agents": pack.min_agents,
        "notice_lead_hours": pack.notice_lead_hours,
        "visit_cap": pack.visit_cap,
        "visit_cap_window_days": pack.visit_cap_window_days,
        "phone_unanswered_per_day": pack.phone_unanswered_per_day,
        "phone_connected_per_day": pack.phone_connected_per_day,
        "phone_calls_per_7_days": pack.phone_calls_per_7_days,
        "retention_years": pack.retention_years,
        "limitation_years": pack.limitation_years,
        "max_instalment_share": str(pack.max_instalment_share),
        "payment_reminder_days": pack.payment_reminder_days,
        "agreement_grace_days": pack.agreement_grace_days,
        "promise_grace_days": pack.promise_grace_days,
        "overridable": list(pack.overridable),
        "limitation_interrupted_by": list(pack.limitation_interrupted_by),
        "gentler_attempts": pack.gentler_attempts,
        "gentler_window_days": pack.gentler_window_days,
    }
    if pack.notice_required:
        data["notice_required"] = "on"
    data.update(changes)
    return data


@pytest.fixture
def cn():  # type: ignore[no-untyped-def]
    return RulePack.objects.get(code="cn-default", version=1)


@pytest.fixture
def cn_current():  # type: ignore[no-untyped-def]
    """The shipped pack's current version (2: migration 0010's limitation and GENTLER_FIRST)."""
    return RulePack.objects.filter(code="cn-default").order_by("-version").first()


# --- the pack list and detail ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["compliance_officer", "supervisor", "administrator"])
def test_pack_holders_of_view_rulepack_see_the_list(request, role, creditor):
    response = signed_in(request.getfixturevalue(role)).get(reverse("compliance:rulepack-list"))
    assert response.status_code == 200
    body = response.content.decode()
    for code in ["cn-default", "us", "uk"]:
        assert code in body
    assert creditor.name in body  # bound to cn-default by default


@pytest.mark.parametrize("role", ["agent", "other_team_agent"])
def test_agents_get_404_on_every_pack_page(request, role, cn, creditor):
    client = signed_in(request.getfixturevalue(role))
    urls = [
        reverse("compliance:rulepack-list"),
        reverse("compliance:rulepack-detail", args=["cn-default", 1]),
        reverse("compliance:rulepack-copy", args=["cn-default", 1]),
        reverse("compliance:rulepack-new-version", args=["cn-default"]),
        reverse("compliance:rulepack-bind"),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data(cn, code="x", name="x")).status_code == 404, url


@pytest.mark.parametrize("role", ["supervisor", "administrator"])
def test_only_compliance_officers_reach_the_copy_and_version_forms(request, role, cn):
    client = signed_in(request.getfixturevalue(role))
    head = audit_head()
    for url in [
        reverse("compliance:rulepack-copy", args=["cn-default", 1]),
        reverse("compliance:rulepack-new-version", args=["cn-default"]),
    ]:
        assert client.get(url).status_code == 404
        assert client.post(url, form_data(cn, code="mine", name="Mine", min_agents=3)).status_code == 404
    assert RulePack.objects.count() == 6  # the three shipped packs, versions 1 and 2
    assert audit_actions_since(head) == []
    body = client.get(reverse("compliance:rulepack-detail", args=["cn-default", 1])).content.decode()
    assert "Create a stricter copy" not in body


def test_the_list_marks_the_current_version_and_the_creditors(compliance_officer, cn, creditor):
    pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=compliance_officer)
    CreditorFactory(name="Boston Lending", rule_pack_code="us")
    client = signed_in(compliance_officer)

    response = client.get(reverse("compliance:rulepack-list"))

    families = {f.code: f for f in response.context["families"]}
    assert families["cn-default"].current.version == 3
    assert [c.name for c in families["us"].creditors] == ["Boston Lending"]
    body = response.content.decode()
    assert "Bind a creditor to a pack" in body
    assert reverse("compliance:rulepack-detail", args=["cn-default", 3]) in body


def test_list_queries_are_bounded(compliance_officer, django_assert_max_num_queries):
    for n in range(5):
        pack_new_version(pack_code="cn-default", changes={"min_agents": 3 + n}, actor=compliance_officer)
        CreditorFactory()
    client = signed_in(compliance_officer)
    client.get(reverse("compliance:rulepack-list"))  # warm the session
    # Every page: session, user, the user's permissions (user and group), the roles (navigation) and
    # the session renewal (savepoint, update, release) = 8. This page: creditors, packs (with based_on
    # and created_by joined), the changes waiting for a second officer = 3, however many versions and
    # creditors there are.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("compliance:rulepack-list")).status_code == 200


def test_detail_shows_every_parameter_with_its_source(compliance_officer, cn):
    response = signed_in(compliance_officer).get(
        reverse("compliance:rulepack-detail", args=["cn-default", 1])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "CBA guideline art. 22" in body  # min_agents source
    assert "PRC Civil Code art. 188, 195" in body
    assert "22:00" in body
    assert "VISIT_FREQUENCY" in body
    assert "Create a stricter copy" in body
    assert [row["name"] for row in response.context["rows"]][:2] == [
        "contact_window_start",
        "contact_window_end",
    ]


def test_a_superseded_version_says_so(compliance_officer, cn):
    pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=compliance_officer)
    response = signed_in(compliance_officer).get(
        reverse("compliance:rulepack-detail", args=["cn-default", 1])
    )
    assert response.context["is_current"] is False
    assert "superseded" in response.content.decode()
    assert reverse("compliance:rulepack-new-version", args=["cn-default"]) not in response.content.decode()


def test_detail_queries_are_bounded(compliance_officer, cn, django_assert_max_num_queries):
    client = signed_in(compliance_officer)
    url = reverse("compliance:rulepack-detail", args=["cn-default", 1])
    client.get(url)
    # Every page: 8 (see the list test). This page: the pack (with based_on, created_by joined), the
    # latest version of its code, the creditors bound to the code, the pending changes = 4.
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_unknown_pack_is_404(compliance_officer):
    client = signed_in(compliance_officer)
    assert client.get(reverse("compliance:rulepack-detail", args=["cn-default", 9])).status_code == 404
    assert client.get(reverse("compliance:rulepack-new-version", args=["nope"])).status_code == 404


# --- the forms -----------------------------------------------------------------------------------


def test_create_a_stricter_copy(compliance_officer, cn):
    client = signed_in(compliance_officer)
    url = reverse("compliance:rulepack-copy", args=["cn-default", 1])
    assert client.get(url).status_code == 200
    head = audit_head()

    response = client.post(
        url, form_data(cn, code="hz-strict", name="Hangzhou strict", contact_window_end="21:00")
    )

    copy = RulePack.objects.get(code="hz-strict")
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:rulepack-detail", args=["hz-strict", 1])
    assert copy.contact_window_end == dt.time(21)
    assert copy.based_on == cn
    assert audit_actions_since(head) == ["rulepack.created"]


def test_a_less_strict_copy_shows_field_errors_naming_field_and_rule(compliance_officer, cn):
    client = signed_in(compliance_officer)
    data = form_data(cn, code="loose", name="Loose", min_agents=1, visit_cap=5)
    data["overridable"] = [*cn.overridable, "CONTACT_WINDOW"]

    response = client.post(reverse("compliance:rulepack-copy", args=["cn-default", 1]), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"min_agents", "visit_cap", "overridable"}
    assert "MIN_AGENTS" in form.errors["min_agents"][0]
    assert "minimum agents" in form.errors["min_agents"][0]
    assert "VISIT_FREQUENCY" in form.errors["visit_cap"][0]
    assert "CONTACT_WINDOW" in form.errors["overridable"][0]
    assert not RulePack.objects.filter(code="loose").exists()


def test_a_taken_code_is_a_field_error(compliance_officer, cn):
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-copy", args=["cn-default", 1]), form_data(cn, code="us", name="X")
    )
    assert "code" in response.context["form"].errors


def test_new_version(compliance_officer, cn_current):
    client = signed_in(compliance_officer)
    url = reverse("compliance:rulepack-new-version", args=["cn-default"])
    assert client.get(url).context["form"].initial["min_agents"] == 2

    response = client.post(url, form_data(cn_current, min_agents=3))

    assert response["Location"] == reverse("compliance:rulepack-detail", args=["cn-default", 3])
    new = RulePack.objects.get(code="cn-default", version=3)
    assert new.min_agents == 3
    assert set(new.limitation_interrupted_by) == set(cn_current.limitation_interrupted_by)
    assert new.gentler_attempts == cn_current.gentler_attempts
    assert RulePack.objects.get(code="cn-default", version=2).min_agents == 2


def test_new_version_without_a_change_is_a_form_error(compliance_officer, cn_current):
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-new-version", args=["cn-default"]), form_data(cn_current)
    )
    assert response.status_code == 200
    assert "Nothing changed" in str(response.context["form"].non_field_errors())


def test_new_version_of_a_copy_refuses_going_below_its_base(compliance_officer, cn):
    pack_create_stricter_copy(
        base=cn, code="strict", name="Strict", changes={"min_agents": 3}, actor=compliance_officer
    )
    copy = RulePack.objects.get(code="strict")
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-new-version", args=["strict"]), form_data(copy, min_agents=1)
    )
    assert "MIN_AGENTS" in response.context["form"].errors["min_agents"][0]


@pytest.mark.parametrize("role", ["compliance_officer", "administrator"])
def test_bind_a_creditor(request, role, creditor, second_officer):
    pack_create_stricter_copy(
        base=RulePack.objects.filter(code="cn-default").order_by("-version").first(),
        code="cn-strict",
        name="Stricter",
        changes={"min_agents": 3},
        actor=second_officer,
    )
    client = signed_in(request.getfixturevalue(role))
    url = reverse("compliance:rulepack-bind")
    assert client.get(url, {"creditor": creditor.pk}).status_code == 200

    response = client.post(url, {"creditor": creditor.pk, "pack": "cn-strict"})

    assert response["Location"] == reverse("compliance:rulepack-list")
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-strict"


def test_binding_the_same_pack_again_is_a_form_error(compliance_officer, creditor):
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-bind"), {"creditor": creditor.pk, "pack": "cn-default"}
    )
    assert "already follows" in response.context["form"].errors["pack"][0]


def test_supervisors_may_not_bind(supervisor, creditor):
    client = signed_in(supervisor)
    assert (
        client.post(reverse("compliance:rulepack-bind"), {"creditor": creditor.pk, "pack": "uk"}).status_code
        == 404
    )
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-default"


# --- the decision trace page ---------------------------------------------------------------------


@pytest.fixture
def refused(case, agent, cn):  # type: ignore[no-untyped-def]
    return evaluate(
        action="visit.approve",
        moment="approve",
        facts=facts(vulnerable=True, overdue_since=dt.date(2020, 1, 1)),
        pack=cn,
        actor=agent,
        now=NOW,
        object_type="visits.visit",
        object_id="5",
        case_id=case.pk,
    ).decision


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("compliance_officer", 200),
        ("supervisor", 200),  # supervises the case's team
        ("agent", 200),  # assigned to the case
        ("other_agent", 404),  # same team, not assigned
        ("other_supervisor", 404),
        ("other_team_agent", 404),
        ("administrator", 404),
    ],
)
def test_who_sees_a_decision(request, refused, role, status):
    response = signed_in(request.getfixturevalue(role)).get(
        reverse("compliance:decision-detail", args=[refused.pk])
    )
    assert response.status_code == status


def test_a_decision_without_a_case_is_for_compliance_officers_only(cn, compliance_officer, supervisor):
    decision = evaluate(action="test", moment="plan", facts=facts(), pack=cn, actor=None, now=NOW).decision
    url = reverse("compliance:decision-detail", args=[decision.pk])
    assert signed_in(compliance_officer).get(url).status_code == 200
    assert signed_in(supervisor).get(url).status_code == 404


def test_the_trace_shows_pack_failures_inputs_and_the_override(refused, supervisor, compliance_officer):
    overriding = override(decision=refused, actor=supervisor, reason="Debtor asked for this visit.", now=NOW)
    client = signed_in(compliance_officer)

    body = client.get(reverse("compliance:decision-detail", args=[refused.pk])).content.decode()
    assert "cn-default v1" in body
    assert "VULNERABLE" in body
    assert "LIMITATION" in body
    assert "FCA CONC 7.2.1R, 7.10" in body  # the source
    assert "Debtor asked for this visit." in body
    assert supervisor.display_name in body
    assert "time_zones" in body
    assert reverse("compliance:decision-detail", args=[overriding.pk]) in body

    body = client.get(reverse("compliance:decision-detail", args=[overriding.pk])).content.decode()
    assert "Debtor asked for this visit." in body
    assert reverse("compliance:decision-detail", args=[refused.pk]) in body
    assert RuleDecision.objects.count() == 2


def test_decision_queries_are_bounded(refused, supervisor, compliance_officer, django_assert_max_num_queries):
    override(decision=refused, actor=supervisor, reason="Debtor asked for this visit.", now=NOW)
    client = signed_in(compliance_officer)
    url = reverse("compliance:decision-detail", args=[refused.pk])
    client.get(url)
    # Every page: 8 (see the list test). This page: the decision (pack, actor, override_of and its
    # actor joined) and its overrides (actor joined) = 2.
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200


def test_decision_queries_for_a_supervisor_are_bounded(refused, supervisor, django_assert_max_num_queries):
    client = signed_in(supervisor)
    url = reverse("compliance:decision-detail", args=[refused.pk])
    client.get(url)
    # Every page: 8 (see the list test). This page: the decision, its case, guardian's user and group
    # object permissions on the case (2), the overrides = 5.
    with django_assert_max_num_queries(13):
        assert client.get(url).status_code == 200


# --- the admin: read-only ------------------------------------------------------------------------


@pytest.mark.parametrize("model", [RulePack, RuleDecision])
def test_admin_is_read_only(rf, model, compliance_officer):
    from django.contrib import admin

    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = compliance_officer
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, None)
    assert not model_admin.has_delete_permission(request, None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_render_in_both_languages(language, refused, compliance_officer, cn):
    client = signed_in(compliance_officer)
    client.cookies["django_language"] = language
    urls = [
        reverse("compliance:rulepack-list"),
        reverse("compliance:rulepack-detail", args=["cn-default", 1]),
        reverse("compliance:rulepack-copy", args=["cn-default", 1]),
        reverse("compliance:rulepack-new-version", args=["cn-default"]),
        reverse("compliance:rulepack-bind"),
        reverse("compliance:decision-detail", args=[refused.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
