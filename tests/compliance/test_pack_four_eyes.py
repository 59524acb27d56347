"""Floors and four eyes on rule packs (issue 15 point 5, docs/compliance.md).

A version below the jurisdiction's floor is refused (`PACK_BELOW_FLOOR` naming the field) through every
entry point; a loosening above the floor, and a creditor's move to another jurisdiction's pack, wait for
a second compliance officer; the requester never approves their own; tightening takes effect at once.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from common.errors import DomainError, PermissionRefused
from compliance import packs
from compliance.models import PackChangeRequest, RulePack
from tests.compliance.test_pack_views import form_data
from tests.factories import CreditorFactory, audit_actions_since, audit_events_since, audit_head
from visits.selectors import current_pack

pytestmark = pytest.mark.django_db

REASON = "Sources changed; policy review 2026-12"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def cn() -> RulePack:
    """The shipped CN pack's version in force (migrations may ship newer versions than 1)."""
    return RulePack.objects.filter(code="cn-default").order_by("-version").first()


def loosen_cn(actor, **changes):  # type: ignore[no-untyped-def]
    return packs.pack_new_version(
        pack_code="cn-default", changes=changes or {"visit_cap": 3}, actor=actor, reason=REASON
    )


# --- floors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_agents": 1}, "min_agents"),
        ({"contact_window_start": dt.time(7, 30)}, "contact_window_start"),
        ({"contact_window_end": dt.time(22, 30)}, "contact_window_end"),
        ({"overridable": ["NOTICE_LEAD_TIME", "CEASE_CONTACT"]}, "overridable"),
        ({"overridable": ["DISPUTE_OPEN"]}, "overridable"),
        ({"overridable": ["CONTACT_WINDOW"]}, "overridable"),
        ({"notice_required": False}, "notice_required"),
        ({"phone_unanswered_per_day": 7}, "phone_unanswered_per_day"),
        ({"retention_years": 1}, "retention_years"),
    ],
)
def test_below_the_cn_floor_is_refused_naming_the_field(compliance_officer, changes, field):
    head = audit_head()

    with pytest.raises(DomainError) as error:
        packs.pack_new_version(
            pack_code="cn-default", changes=changes, actor=compliance_officer, reason=REASON
        )

    assert [(f.code, f.field) for f in error.value.failures] == [("PACK_BELOW_FLOOR", field)]
    assert audit_actions_since(head) == []
    assert not PackChangeRequest.objects.exists()
    assert RulePack.objects.filter(code="cn-default").count() == cn().version  # nothing new in force


def test_the_issue_s_loosening_of_cn_is_refused_field_by_field(compliance_officer):
    with pytest.raises(DomainError) as error:
        packs.pack_new_version(
            pack_code="cn-default",
            changes={
                "min_agents": 1,
                "overridable": [*cn().overridable, "CEASE_CONTACT", "DISPUTE_OPEN", "CONTACT_WINDOW"],
            },
            actor=compliance_officer,
            reason=REASON,
        )
    assert sorted(f.field for f in error.value.failures) == ["min_agents", "overridable"]
    assert "CEASE_CONTACT, CONTACT_WINDOW, DISPUTE_OPEN" in str(error.value.failures[-1].message)


@pytest.mark.parametrize(
    ("code", "changes", "field"),
    [
        ("us", {"contact_window_end": dt.time(21, 30)}, "contact_window_end"),
        ("us", {"phone_calls_per_7_days": 8}, "phone_calls_per_7_days"),
        ("us", {"retention_years": 2}, "retention_years"),
        ("uk", {"notice_required": False}, "notice_required"),
        ("uk", {"contact_window_start": dt.time(7)}, "contact_window_start"),
    ],
)
def test_us_and_uk_floors(compliance_officer, code, changes, field):
    with pytest.raises(DomainError) as error:
        packs.pack_new_version(pack_code=code, changes=changes, actor=compliance_officer, reason=REASON)
    assert [(f.code, f.field) for f in error.value.failures] == [("PACK_BELOW_FLOOR", field)]


# --- four eyes on a loosening ----------------------------------------------------------------------


def test_tightening_takes_effect_at_once(compliance_officer):
    v2 = packs.pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=compliance_officer)
    assert isinstance(v2, RulePack)
    assert current_pack("cn-default") == v2
    assert not PackChangeRequest.objects.exists()


def test_one_officer_s_loosening_is_pending_until_a_second_approves(compliance_officer, second_officer):
    head = audit_head()

    change = loosen_cn(compliance_officer, visit_cap=3, notice_lead_hours=12)

    assert isinstance(change, PackChangeRequest)
    assert (change.status, change.kind, change.base_version) == ("pending", "version", cn().version)
    assert change.loosened == ["notice_lead_hours", "visit_cap"]
    assert current_pack("cn-default") == cn()  # nothing in force changed
    assert RulePack.objects.filter(code="cn-default").count() == cn().version  # nothing new in force
    assert audit_actions_since(head) == ["rulepack.change_requested"]
    (event,) = audit_events_since(head)
    assert event.data["requested_by"] == compliance_officer.pk
    assert event.data["loosened"] == ["notice_lead_hours", "visit_cap"]

    head = audit_head()
    shipped = cn().version
    v2 = packs.pack_change_approve(change=change, actor=second_officer, note="checked the source")

    assert (v2.version, v2.visit_cap, v2.notice_lead_hours) == (shipped + 1, 3, 12)
    assert v2.created_by == compliance_officer
    assert current_pack("cn-default") == v2
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.result_pack) == ("approved", second_officer, v2)
    assert audit_actions_since(head) == ["rulepack.versioned", "rulepack.change_approved"]
    versioned, approved = audit_events_since(head)
    assert versioned.actor_user_id == second_officer.pk
    assert (versioned.data["requested_by"], versioned.data["approved_by"]) == (
        compliance_officer.pk,
        second_officer.pk,
    )
    assert (approved.data["requested_by"], approved.data["approved_by"], approved.data["version"]) == (
        compliance_officer.pk,
        second_officer.pk,
        shipped + 1,
    )


def test_the_requester_cannot_approve(compliance_officer):
    change = loosen_cn(compliance_officer)
    head = audit_head()

    with pytest.raises(DomainError) as error:
        packs.pack_change_approve(change=change, actor=compliance_officer)

    assert error.value.codes == ["FOUR_EYES_SAME_PERSON"]
    change.refresh_from_db()
    assert change.status == "pending"
    assert audit_actions_since(head) == []
    assert current_pack("cn-default") == cn()


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_approve_or_reject(request, compliance_officer, role):
    change = loosen_cn(compliance_officer)
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionRefused):
        packs.pack_change_approve(change=change, actor=actor)
    with pytest.raises(PermissionRefused):
        packs.pack_change_decline(change=change, actor=actor, note="no")
    change.refresh_from_db()
    assert change.status == "pending"


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_ask_for_a_version(request, role):
    with pytest.raises(PermissionRefused):
        loosen_cn(request.getfixturevalue(role))
    assert not PackChangeRequest.objects.exists()


def test_a_loosening_needs_a_reason(compliance_officer):
    with pytest.raises(DomainError) as error:
        packs.pack_new_version(pack_code="cn-default", changes={"visit_cap": 3}, actor=compliance_officer)
    assert [(f.code, f.field) for f in error.value.failures] == [("PACK_REASON_REQUIRED", "reason")]
    assert not PackChangeRequest.objects.exists()


def test_an_approval_after_another_version_is_stale(compliance_officer, second_officer):
    change = loosen_cn(compliance_officer)
    packs.pack_new_version(pack_code="cn-default", changes={"min_agents": 3}, actor=second_officer)  # tighter
    tighter = cn().version
    head = audit_head()

    with pytest.raises(DomainError) as error:
        packs.pack_change_approve(change=change, actor=second_officer)

    assert error.value.codes == ["PACK_CHANGE_STALE"]
    assert audit_actions_since(head) == []
    assert current_pack("cn-default").version == tighter


def test_reject_needs_a_note_and_the_requester_may_withdraw(compliance_officer, second_officer):
    first = loosen_cn(compliance_officer)
    with pytest.raises(DomainError) as error:
        packs.pack_change_decline(change=first, actor=second_officer, note="")
    assert [(f.code, f.field) for f in error.value.failures] == [("PACK_NOTE_REQUIRED", "note")]

    head = audit_head()
    packs.pack_change_decline(change=first, actor=second_officer, note="no source for this")
    first.refresh_from_db()
    assert (first.status, first.decided_by) == ("rejected", second_officer)
    assert audit_actions_since(head) == ["rulepack.change_rejected"]
    with pytest.raises(DomainError) as error:
        packs.pack_change_approve(change=first, actor=second_officer)
    assert error.value.codes == ["PACK_CHANGE_DECIDED"]

    second = loosen_cn(compliance_officer)
    packs.pack_change_decline(change=second, actor=compliance_officer)
    second.refresh_from_db()
    assert second.status == "withdrawn"
    assert current_pack("cn-default") == cn()


# --- four eyes on a creditor's binding ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["compliance_officer", "administrator"])
def test_moving_a_creditor_to_another_jurisdiction_waits_for_a_second_officer(
    request, creditor, second_officer, role
):
    actor = request.getfixturevalue(role)
    head = audit_head()

    change = packs.creditor_bind_pack(creditor=creditor, pack_code="us", actor=actor, reason=REASON)

    assert isinstance(change, PackChangeRequest)
    assert (change.kind, change.from_pack_code, change.pack_code) == ("bind", "cn-default", "us")
    assert change.loosened == ["jurisdiction"]
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-default"
    assert audit_actions_since(head) == ["rulepack.change_requested"]

    head = audit_head()
    packs.pack_change_approve(change=change, actor=second_officer)

    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "us"
    assert audit_actions_since(head) == ["creditor.rule_pack_bound", "rulepack.change_approved"]
    bound = audit_events_since(head)[0]
    assert (bound.data["requested_by"], bound.data["approved_by"]) == (actor.pk, second_officer.pk)


def test_moving_to_a_less_strict_pack_of_the_same_jurisdiction_waits_too(compliance_officer, second_officer):
    packs.pack_create_stricter_copy(
        base=cn(), code="cn-strict", name="Strict", changes={"min_agents": 3}, actor=compliance_officer
    )
    creditor = CreditorFactory(rule_pack_code="cn-strict")

    change = packs.creditor_bind_pack(
        creditor=creditor, pack_code="cn-default", actor=compliance_officer, reason=REASON
    )

    assert change.loosened == ["min_agents"]
    with pytest.raises(DomainError) as error:
        packs.creditor_bind_pack(creditor=creditor, pack_code="us", actor=compliance_officer, reason=REASON)
    assert error.value.codes == ["PACK_CHANGE_PENDING"]
    with pytest.raises(DomainError) as error:
        packs.pack_change_approve(change=change, actor=compliance_officer)
    assert error.value.codes == ["FOUR_EYES_SAME_PERSON"]
    packs.pack_change_approve(change=change, actor=second_officer)
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-default"


def test_a_move_needs_a_reason(creditor, compliance_officer):
    with pytest.raises(DomainError) as error:
        packs.creditor_bind_pack(creditor=creditor, pack_code="uk", actor=compliance_officer)
    assert error.value.codes == ["PACK_REASON_REQUIRED"]


def test_the_admin_site_cannot_rebind_a_creditor(administrator, creditor):
    client = signed_in(administrator)
    url = reverse("admin:cases_creditor_change", args=[creditor.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="rule_pack_code"' not in page.content.decode()


# --- the pages ---------------------------------------------------------------------------------------


def test_loosening_through_the_form_is_pending_and_shown_everywhere(compliance_officer, second_officer):
    client = signed_in(compliance_officer)
    data = form_data(cn(), visit_cap=3) | {"reason": REASON}

    response = client.post(reverse("compliance:rulepack-new-version", args=["cn-default"]), data)

    change = PackChangeRequest.objects.get()
    assert response["Location"] == reverse("compliance:rulepack-change-detail", args=[change.pk])
    assert RulePack.objects.filter(code="cn-default").count() == cn().version  # nothing new in force
    own = client.get(response["Location"])
    assert own.context["can_withdraw"]
    assert not own.context["can_approve"]
    other = signed_in(second_officer)
    for url in (
        reverse("compliance:rulepack-list"),
        reverse("compliance:rulepack-detail", args=["cn-default", 1]),
        reverse("compliance:rulepack-change-list"),
        reverse("compliance:dashboard"),
    ):
        page = other.get(url)
        assert reverse("compliance:rulepack-change-detail", args=[change.pk]) in page.content.decode(), url
    detail = other.get(reverse("compliance:rulepack-change-detail", args=[change.pk]))
    assert detail.context["can_approve"]
    assert [r["name"] for r in detail.context["rows"]] == ["visit_cap"]


def test_the_requester_s_approval_through_the_page_is_refused(compliance_officer):
    change = loosen_cn(compliance_officer)

    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-change-approve", args=[change.pk]), {"note": ""}
    )

    assert response.status_code == 200
    assert "FOUR_EYES_SAME_PERSON" in str(response.context["form"].non_field_errors())
    change.refresh_from_db()
    assert change.status == "pending"


def test_the_second_officer_approves_through_the_page(compliance_officer, second_officer):
    change = loosen_cn(compliance_officer)
    shipped = cn().version

    response = signed_in(second_officer).post(
        reverse("compliance:rulepack-change-approve", args=[change.pk]), {"note": "ok"}
    )

    assert response["Location"] == reverse("compliance:rulepack-change-detail", args=[change.pk])
    assert current_pack("cn-default").version == shipped + 1


def test_reject_through_the_page_names_the_note(compliance_officer, second_officer):
    change = loosen_cn(compliance_officer)
    response = signed_in(second_officer).post(
        reverse("compliance:rulepack-change-decline", args=[change.pk]), {"note": ""}
    )
    assert "PACK_NOTE_REQUIRED" in response.context["form"].errors["note"][0]


def test_below_the_floor_through_the_form_is_a_field_error(compliance_officer):
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-new-version", args=["cn-default"]),
        form_data(cn(), min_agents=1) | {"reason": REASON},
    )
    assert response.status_code == 200
    assert "PACK_BELOW_FLOOR" in response.context["form"].errors["min_agents"][0]
    assert not PackChangeRequest.objects.exists()


def test_binding_through_the_form_to_another_jurisdiction_is_pending(administrator, creditor):
    response = signed_in(administrator).post(
        reverse("compliance:rulepack-bind"), {"creditor": creditor.pk, "pack": "uk", "reason": REASON}
    )
    change = PackChangeRequest.objects.get()
    assert response["Location"] == reverse("compliance:rulepack-change-detail", args=[change.pk])
    creditor.refresh_from_db()
    assert creditor.rule_pack_code == "cn-default"


def test_binding_through_the_form_without_reason_is_a_field_error(compliance_officer, creditor):
    response = signed_in(compliance_officer).post(
        reverse("compliance:rulepack-bind"), {"creditor": creditor.pk, "pack": "uk"}
    )
    assert "PACK_REASON_REQUIRED" in response.context["form"].errors["reason"][0]


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_others_cannot_decide_through_the_pages(request, compliance_officer, role):
    change = loosen_cn(compliance_officer)
    client = signed_in(request.getfixturevalue(role))
    for name in ("rulepack-change-approve", "rulepack-change-decline"):
        assert client.post(reverse(f"compliance:{name}", args=[change.pk]), {"note": "x"}).status_code == 404
    change.refresh_from_db()
    assert change.status == "pending"


def test_the_floor_is_shown_on_the_pack_page(compliance_officer):
    page = signed_in(compliance_officer).get(reverse("compliance:rulepack-detail", args=["cn-default", 1]))
    rows = {row["name"]: row for row in page.context["floor"]}
    assert rows["min_agents"]["source"] == "CBA guideline art. 22"
    assert "2" in rows["min_agents"]["bound"]


def test_reason_and_note_come_back_escaped(compliance_officer, second_officer, creditor):
    script = "<script>alert(1)</script>"
    signed_in(compliance_officer).post(
        reverse("compliance:rulepack-bind"), {"creditor": creditor.pk, "pack": "uk", "reason": script}
    )
    change = PackChangeRequest.objects.get()
    other = signed_in(second_officer)
    other.post(reverse("compliance:rulepack-change-decline", args=[change.pk]), {"note": script})
    change.refresh_from_db()
    assert (change.reason, change.decision_note, change.status) == (script, script, "rejected")
    for url in (
        reverse("compliance:rulepack-change-detail", args=[change.pk]),
        reverse("compliance:rulepack-change-list"),
    ):
        html = other.get(url).content.decode()
        assert script not in html, url
    assert (
        "&lt;script&gt;"
        in other.get(reverse("compliance:rulepack-change-detail", args=[change.pk])).content.decode()
    )
