"""Case pages: the list (filters, search, sort, pages, bounded queries), the detail (masked data, audited
reveal, stage moves with reasons), and the whole verification flow as an agent does it in the browser."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseDocument, DebtorAddress, Stage
from cases.views import PAGE_SIZE
from tests.factories import (
    PDF_BYTES,
    CaseFactory,
    CreditorFactory,
    DebtorFactory,
    MandateFactory,
    PhoneFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    make_verifiable,
)

pytestmark = pytest.mark.django_db

MASKED_ID = re.compile(r"110105\*{8}\d{3}[\dX]")


@pytest.fixture(autouse=True)
def _mandate_valid_today(mandate):  # type: ignore[no-untyped-def]
    """Views verify on the real today: keep the fixture's mandate valid around it, whatever the date."""
    today = timezone.localdate()
    mandate.valid_from = today - dt.timedelta(days=100)
    mandate.valid_until = today + dt.timedelta(days=265)
    mandate.save()


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.external_ref for c in response.context["page"]]


def detail_url(case: Case) -> str:
    return reverse("cases:case-detail", args=[case.pk])


# --- the case list ----------------------------------------------------------------------------------


@pytest.fixture
def listing(creditor, mandate, team, other_team, supervisor, agent, other_agent):  # type: ignore[no-untyped-def]
    make = dict(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor)
    other_creditor = CreditorFactory(code="sh-bank", name="Shanghai Bank")
    return {
        "wang": CaseFactory(
            **make,
            debtor=DebtorFactory(name="王小明"),
            external_ref="HZ-001",
            contract_no="LN-0001",
            outstanding=Decimal("500.00"),
            agents=[agent],
        ),
        "li": CaseFactory(
            **make,
            debtor=DebtorFactory(name="李小红"),
            external_ref="HZ-002",
            contract_no="LN-0002",
            outstanding=Decimal("9000.00"),
            agents=[other_agent],
        ),
        "sh": CaseFactory(
            creditor=other_creditor,
            mandate=MandateFactory(creditor=other_creditor),
            team=team,
            supervisor=supervisor,
            debtor=DebtorFactory(name="John Smith"),
            external_ref="SH-1",
            contract_no="SH-C-1",
            outstanding=Decimal("1.00"),
            agents=[agent],
        ),
        "south": CaseFactory(
            creditor=creditor,
            mandate=mandate,
            team=other_team,
            external_ref="S-1",
            debtor=DebtorFactory(name="赵小刚"),
        ),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("supervisor", {"HZ-001", "HZ-002", "SH-1"}),
        ("agent", {"HZ-001", "SH-1"}),
        ("other_team_agent", set()),
        ("compliance_officer", {"HZ-001", "HZ-002", "SH-1", "S-1"}),
        ("administrator", set()),
    ],
)
def test_list_shows_what_the_role_may_see(request, listing, role, expected):
    response = signed_in(request.getfixturevalue(role)).get(reverse("cases:case-list"))

    assert response.status_code == 200
    assert set(listed(response)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "小明"}, {"HZ-001"}),  # Chinese partial name
        ({"q": "小"}, {"HZ-001", "HZ-002"}),
        ({"q": "LN-0002"}, {"HZ-002"}),  # contract number
        ({"q": "sh-1"}, {"SH-1"}),  # external reference, any case
        ({"creditor": "sh-bank"}, {"SH-1"}),
        ({"stage": "verified"}, set()),
        ({"stage": "new"}, {"HZ-001", "HZ-002", "SH-1"}),
        ({"creditor": "hzbank", "q": "LN"}, {"HZ-001", "HZ-002"}),
    ],
)
def test_list_filters_and_search(listing, supervisor, params, expected):
    response = signed_in(supervisor).get(reverse("cases:case-list"), params)

    assert set(listed(response)) == expected


def test_list_filter_by_agent(listing, supervisor, agent, other_agent):
    client = signed_in(supervisor)

    assert set(listed(client.get(reverse("cases:case-list"), {"agent": agent.pk}))) == {"HZ-001", "SH-1"}
    assert listed(client.get(reverse("cases:case-list"), {"agent": other_agent.pk})) == ["HZ-002"]


def test_list_filter_by_stage_after_verification(listing, supervisor, agent):
    make_verifiable(listing["wang"], agent)
    services.case_verify(case=listing["wang"], actor=agent)

    response = signed_in(supervisor).get(reverse("cases:case-list"), {"stage": "verified"})

    assert listed(response) == ["HZ-001"]


def test_list_rejects_an_agent_outside_the_offered_choices(listing, supervisor, other_team_agent):
    """The agent filter only offers the user's team; another id is a form error, not a peek."""
    response = signed_in(supervisor).get(reverse("cases:case-list"), {"agent": other_team_agent.pk})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert set(listed(response)) == {"HZ-001", "HZ-002", "SH-1"}  # unfiltered, still only the team's


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("outstanding", ["HZ-002", "HZ-001", "SH-1"]),
        ("oldest", ["HZ-001", "HZ-002", "SH-1"]),
        ("newest", ["SH-1", "HZ-002", "HZ-001"]),
        ("bogus", ["SH-1", "HZ-002", "HZ-001"]),
    ],
)
def test_list_sort(listing, supervisor, sort, expected):
    assert listed(signed_in(supervisor).get(reverse("cases:case-list"), {"sort": sort})) == expected


def test_list_paginates_and_keeps_the_filters(creditor, mandate, team, supervisor):
    """Keyset pages: "next" carries a signed cursor and the filters; no page number, no OFFSET."""
    for i in range(PAGE_SIZE + 5):
        CaseFactory(creditor=creditor, mandate=mandate, team=team, external_ref=f"P-{i:03d}")
    client = signed_in(supervisor)

    first = client.get(reverse("cases:case-list"), {"q": "P-", "sort": "oldest"})
    cursor = first.context["page"].next
    second = client.get(reverse("cases:case-list"), {"q": "P-", "sort": "oldest", "cursor": cursor})

    assert listed(first) == [f"P-{i:03d}" for i in range(PAGE_SIZE)]
    assert listed(second) == [f"P-{i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert "?q=P-&amp;sort=oldest&amp;cursor=" in first.content.decode()
    assert second.context["page"].next == ""
    assert client.get(reverse("cases:case-list"), {"page": 99}).status_code == 200  # an old link: page one


def test_list_shows_the_debtor_name_but_no_id_number(listing, supervisor):
    content = signed_in(supervisor).get(reverse("cases:case-list")).content.decode()

    assert "王小明" in content
    assert listing["wang"].debtor.id_number not in content


def _list_queries(client: Client, assert_max) -> int:  # type: ignore[no-untyped-def]
    # Steady state: the first request of a process loads the content types (guardian) once; measure
    # the next one.
    assert client.get(reverse("cases:case-list")).status_code == 200
    with assert_max(12) as queries:
        assert client.get(reverse("cases:case-list")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_list_query_count_does_not_grow_with_the_cases(
    request, creditor, mandate, team, supervisor, agent, other_agent, role, django_assert_max_num_queries
):
    # 12 at most: session, user, user and group permissions (can_import), the agents, supervisors and
    # teams offered in the filter form (one query), the creditors offered (the creditors table), the
    # user's groups (their roles for the navigation and their visibility scopes: cases.visibility), the
    # page of cases with debtor/creditor/supervisor/team joined and the count (capped at COUNT_CAP) as
    # a scalar subquery, one prefetch of assignments with their agents, and the session renewal
    # (savepoint, update, release).
    make = dict(
        creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent, other_agent]
    )
    client = signed_in(request.getfixturevalue(role))
    for _ in range(5):
        CaseFactory(**make)
    few = _list_queries(client, django_assert_max_num_queries)
    for _ in range(45):
        CaseFactory(**make)
    many = _list_queries(client, django_assert_max_num_queries)

    assert few == many


def test_the_count_stops_at_the_cap_and_says_so(
    client, creditor, mandate, team, supervisor, agent, monkeypatch
):
    from cases import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])

    content = signed_in(supervisor).get(reverse("cases:case-list")).content.decode()

    assert "Cases 1–3 of 2+" in content


def test_an_exact_count_below_the_cap(client, creditor, mandate, team, supervisor, agent):
    for _ in range(3):
        CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])

    content = signed_in(supervisor).get(reverse("cases:case-list")).content.decode()

    assert "Cases 1–3 of 3" in content
    assert "of 3+" not in content


# --- the case detail --------------------------------------------------------------------------------


def test_detail_masks_the_id_number(case, agent):
    content = signed_in(agent).get(detail_url(case)).content.decode()

    assert MASKED_ID.search(content)
    assert case.debtor.id_number not in content
    assert case.debtor.id_number[6:14] not in content  # nor the birth date inside it


def test_detail_masks_phones_and_addresses(case, agent):
    PhoneFactory(debtor=case.debtor, number="13912345678")
    DebtorAddress.objects.create(debtor=case.debtor, kind="home", text="北京市朝阳区建国路99号3单元")

    content = signed_in(agent).get(detail_url(case)).content.decode()

    assert "139****5678" in content
    assert "13912345678" not in content
    assert "建国路99号" not in content


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_reveal_shows_the_full_value_and_is_audited(request, case, role):
    client = signed_in(request.getfixturevalue(role))
    since = audit_head()

    response = client.post(reverse("cases:case-reveal", args=[case.pk, "id_number"]))

    assert response.status_code == 200
    assert case.debtor.id_number in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert audit_actions_since(since) == ["pii.viewed"]
    assert case.debtor.id_number not in str(audit_events_since(since)[0].data)


def test_reveal_of_phones(case, agent):
    PhoneFactory(debtor=case.debtor, number="13912345678")

    response = signed_in(agent).post(reverse("cases:case-reveal", args=[case.pk, "phones"]))

    assert "13912345678" in response.content.decode()


def test_reveal_needs_a_post(case, agent):
    client = signed_in(agent)
    since = audit_head()

    response = client.get(reverse("cases:case-reveal", args=[case.pk, "id_number"]))

    assert response.status_code == 405
    assert audit_head() == since


def test_reveal_of_an_unknown_field_is_refused_with_a_message(case, agent):
    response = signed_in(agent).post(reverse("cases:case-reveal", args=[case.pk, "salary"]), follow=True)

    assert any("INVALID_INPUT" in m for m in messages_of(response))
    assert case.debtor.id_number not in response.content.decode()


def test_reveal_button_only_for_roles_with_the_need(case, agent, compliance_officer, supervisor):
    reveal = reverse("cases:case-reveal", args=[case.pk, "id_number"])

    for user in (agent, compliance_officer, supervisor):
        assert reveal in signed_in(user).get(detail_url(case)).content.decode()


def test_verify_button_is_disabled_with_every_reason(case, agent):
    content = signed_in(agent).get(detail_url(case)).content.decode()

    assert re.search(r"<button type=\"button\" disabled>Verify</button>", content)
    assert reverse("cases:case-transition", args=[case.pk, "verify"]) not in content
    for code in ("IDENTITY_UNCHECKED", "ADDRESS_UNVERIFIED", "CONTRACT_MISSING", "ASSESSMENT_MISSING"):
        assert f"<code>{code}</code>" in content


def test_verify_button_is_offered_when_everything_is_there(case, agent):
    make_verifiable(case, agent)

    content = signed_in(agent).get(detail_url(case)).content.decode()

    assert reverse("cases:case-transition", args=[case.pk, "verify"]) in content
    assert "disabled>Verify" not in content


def test_compliance_officer_sees_why_he_cannot_verify(case, agent, compliance_officer):
    make_verifiable(case, agent)

    content = signed_in(compliance_officer).get(detail_url(case)).content.decode()

    assert "<code>PERMISSION_DENIED</code>" in content
    assert reverse("cases:case-transition", args=[case.pk, "verify"]) not in content
    assert reverse("cases:case-identity", args=[case.pk]) not in content  # no work forms either
    assert reverse("cases:case-assign", args=[case.pk]) not in content


def test_posting_verify_with_facts_missing_names_each_code(case, agent):
    client = signed_in(agent)
    since = audit_head()

    response = client.post(reverse("cases:case-transition", args=[case.pk, "verify"]), follow=True)

    assert response.redirect_chain[-1][0] == detail_url(case) + "#stage"
    shown = " ".join(messages_of(response))
    for code in ("IDENTITY_UNCHECKED", "ADDRESS_UNVERIFIED", "CONTRACT_MISSING", "ASSESSMENT_MISSING"):
        assert f"[{code}]" in shown
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW
    assert audit_actions_since(since) == ["case.verify.refused"]


def test_unknown_transition_is_404(case, agent):
    assert signed_in(agent).post(reverse("cases:case-transition", args=[case.pk, "close"])).status_code == 404


CASE_PAGE_QUERIES = 15


def _detail_queries(client: Client, case: Case) -> int:
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail_url(case)).status_code == 200
    return len(queries)


def _add_facts(case: Case, actor, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        services.document_add(
            case=case, actor=actor, kind="statement", upload=SimpleUploadedFile(f"s{i}.pdf", PDF_BYTES)
        )
        address = services.address_add(
            case=case,
            actor=actor,
            kind="work",
            text=f"北京市海淀区中关村{i}号",
            time_zone="Asia/Shanghai",
            source="creditor",
        )
        services.address_verify(case=case, address_id=address.pk, actor=actor, source="field")
        PhoneFactory(debtor=case.debtor)
        services.assessment_record(case=case, actor=actor, capacity="low", willingness="low", note="n")


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_detail_query_count_does_not_grow_with_the_facts(
    request, case, agent, role, django_assert_max_num_queries
):
    # 15 at most (CASE_PAGE_QUERIES): session, user, user and group permissions, the content type
    # (guardian, cold cache; not for compliance officers, who see every case), the case with its
    # debtor/creditor/mandate/supervisor/team/identity checker joined, ONE bundle of every list the page
    # shows (phones, addresses, documents, assignments, assessments, visits, the timeline's events,
    # history and actors, complaints, the legal hold, the assignable agents, the user's object
    # permissions on the case), the user's roles (navigation), the repayment section's one bundle
    # (agreements/templatetags), the limitation section's three (the case's current rule pack, ONE
    # bundle of the latest event of every kind that restarts the period, the acknowledgements listed),
    # and the session renewal (savepoint, update, release).
    make_verifiable(case, agent)
    client = signed_in(request.getfixturevalue(role))
    client.get(detail_url(case))  # process-wide caches warm (guardian's permission content types)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        one = _detail_queries(client, case)
    _add_facts(case, agent, 4)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        five = _detail_queries(client, case)

    assert one == five


def test_detail_shows_the_timeline(case, agent):
    make_verifiable(case, agent)

    content = signed_in(agent).get(detail_url(case)).content.decode()

    for action in ("debtor.identity_checked", "case.document_added", "case.assessment_recorded"):
        assert action in content


# --- the verification flow, through the pages ------------------------------------------------------


def test_agent_verifies_a_case_through_the_pages(case, agent):
    client = signed_in(agent)
    since = audit_head()

    def post(name: str, data: dict, *args: object) -> None:
        response = client.post(reverse(name, args=[case.pk, *args]), data, follow=True)
        assert response.status_code == 200
        errors = [m for m in response.context["messages"] if m.level_tag == "error"]
        assert not errors, [str(m) for m in errors]

    post("cases:case-identity", {"method": "Compared the ID card with the creditor's KYC photo"})
    post(
        "cases:case-address-add",
        {
            "kind": "home",
            "text": "杭州市西湖区文三路478号",
            "time_zone": "Asia/Shanghai",
            "source": "creditor",
        },
    )
    address = DebtorAddress.objects.get(debtor=case.debtor)
    post("cases:case-address-verify", {"source": "field"}, address.pk)
    post(
        "cases:case-document-add",
        {"kind": "contract", "file": SimpleUploadedFile("借款合同.pdf", PDF_BYTES, "application/pdf")},
    )
    post("cases:case-assessment", {"capacity": "medium", "willingness": "high", "note": "Salary confirmed"})
    post("cases:case-transition", {}, "verify")

    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED
    assert audit_actions_since(since) == [
        "debtor.identity_checked",
        "debtor.address_added",
        "debtor.address_verified",
        "case.document_added",
        "case.assessment_recorded",
        "case.verified",
    ]
    content = client.get(detail_url(case)).content.decode()
    assert reverse("cases:case-transition", args=[case.pk, "unverify"]) in content


def test_return_to_new_through_the_page_needs_a_reason(case, agent):
    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent)
    client = signed_in(agent)
    url = reverse("cases:case-transition", args=[case.pk, "unverify"])

    refused = client.post(url, {"reason": ""}, follow=True)
    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED
    assert any("Reason" in m for m in messages_of(refused))

    client.post(url, {"reason": "The address was a shop, not a home"})
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_identity_check_withdrawn_through_the_page(case, agent):
    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent)

    signed_in(agent).post(
        reverse("cases:case-identity", args=[case.pk]), {"action": "revoke", "reason": "Forged"}
    )

    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_address_invalidated_through_the_page(case, agent):
    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent)
    address = DebtorAddress.objects.get(debtor=case.debtor)

    signed_in(agent).post(
        reverse("cases:case-address-invalidate", args=[case.pk, address.pk]), {"reason": "Gone"}
    )

    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_form_errors_become_messages(case, agent):
    response = signed_in(agent).post(
        reverse("cases:case-assessment", args=[case.pk]),
        {"capacity": "huge", "willingness": "low", "note": ""},
        follow=True,
    )

    shown = messages_of(response)
    assert any(m.startswith("Repayment capacity:") for m in shown)
    assert any(m.startswith("Basis of the assessment:") for m in shown)
    assert not case.assessments.exists()


def test_upload_of_a_disguised_file_is_refused_with_its_code(case, agent):
    fake = SimpleUploadedFile("contract.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")

    response = signed_in(agent).post(
        reverse("cases:case-document-add", args=[case.pk]), {"kind": "contract", "file": fake}, follow=True
    )

    assert any("[UPLOAD_TYPE]" in m for m in messages_of(response))
    assert not CaseDocument.objects.exists()


def test_supervisor_assigns_agents_through_the_page(case, supervisor, agent, other_agent):
    client = signed_in(supervisor)

    client.post(reverse("cases:case-assign", args=[case.pk]), {"agents": [agent.pk, other_agent.pk]})

    assert set(case.assignments.values_list("agent", flat=True)) == {agent.pk, other_agent.pk}
    assert signed_in(other_agent).get(detail_url(case)).status_code == 200


def test_assign_form_offers_only_the_teams_agents(case, supervisor, other_team_agent):
    response = signed_in(supervisor).post(
        reverse("cases:case-assign", args=[case.pk]), {"agents": [other_team_agent.pk]}, follow=True
    )

    assert any(m.startswith("Field agents:") for m in messages_of(response))
    assert not case.assignments.filter(agent=other_team_agent).exists()


def test_agent_cannot_assign_through_the_page(case, agent, other_agent):
    response = signed_in(agent).post(
        reverse("cases:case-assign", args=[case.pk]), {"agents": [other_agent.pk]}, follow=True
    )

    assert any("[PERMISSION_DENIED]" in m for m in messages_of(response))
    assert list(case.assignments.values_list("agent", flat=True)) == [agent.pk]


# --- CSRF and documents -----------------------------------------------------------------------------


def test_posts_need_a_csrf_token(case, agent):
    make_verifiable(case, agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(reverse("cases:case-transition", args=[case.pk, "verify"]))

    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).stage == Stage.NEW


def test_posts_with_the_csrf_token_pass(case, agent):
    make_verifiable(case, agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    page = client.get(detail_url(case)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    client.post(reverse("cases:case-transition", args=[case.pk, "verify"]), {"csrfmiddlewaretoken": token})

    assert Case.objects.get(pk=case.pk).stage == Stage.VERIFIED


@pytest.fixture
def document(case, agent):  # type: ignore[no-untyped-def]
    return services.document_add(
        case=case,
        actor=agent,
        kind="contract",
        upload=SimpleUploadedFile("借款合同.pdf", PDF_BYTES, "application/pdf"),
    )


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_document_download_is_audited(request, case, document, role):
    client = signed_in(request.getfixturevalue(role))
    since = audit_head()

    response = client.get(reverse("cases:case-document-download", args=[case.pk, document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    events = audit_events_since(since)
    assert [e.action for e in events] == ["case.document_viewed"]
    assert events[0].data == {
        "sha256": document.sha256,
        "case": case.pk,
        "kind": "case_document",
        "profile": "full",
    }


@pytest.mark.parametrize("role", ["other_agent", "other_team_agent", "other_supervisor", "administrator"])
def test_document_download_is_404_for_those_who_cannot_see_the_case(request, case, document, role):
    client = signed_in(request.getfixturevalue(role))
    since = audit_head()

    response = client.get(reverse("cases:case-document-download", args=[case.pk, document.pk]))

    assert response.status_code == 404
    assert audit_head() == since


def test_document_of_another_case_is_404(case, document, agent, creditor, mandate, team):
    mine = CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[agent])

    response = signed_in(agent).get(reverse("cases:case-document-download", args=[mine.pk, document.pk]))

    assert response.status_code == 404


def test_media_is_not_served_by_url(case, document, agent):
    assert signed_in(agent).get("/media-not-public/" + document.file.name).status_code == 404
