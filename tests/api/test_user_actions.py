"""User endpoints: each UI action through the same service, with the same codes and audit events.

A refusal is 409 with one error per failed check (403 when the role alone refuses), invalid input 422
naming the field and rule, an object the user may not see 404; every event says "via": "api".
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import DebtorPhone, Stage, VerificationStatus
from common.pii import phone_digest
from compliance.models import RuleDecision
from tests.api.conftest import user_client
from tests.debtor_fact_helpers import put_facts
from tests.factories import audit_actions_since, audit_events_since, audit_head, make_verifiable
from tests.visits.factories import local
from visits.models import ContactAttempt, Notice, Visit, VisitState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signed_in")]

START, END = "2026-11-26T10:00:00+08:00", "2026-11-26T12:00:00+08:00"
CHECKLIST = ["loan_contract", "repayment_records", "authorization_letter", "work_ids"]


def codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in response.json()["errors"]]


def assert_via_api(head: int, user) -> None:  # type: ignore[no-untyped-def]
    for event in audit_events_since(head):
        assert event.data["via"] == "api", event.action
        assert event.data["api_token"], event.action
        assert event.actor == f"user:{user.pk}", event.action


# --- cases --------------------------------------------------------------------------------------------


def test_verify_a_case(case, agent):
    make_verifiable(case, agent)
    head = audit_head()

    response = user_client(agent).post(reverse("api:case-verify", args=[case.pk]))

    assert response.status_code == 200
    assert response.json()["stage"] == "verified"
    assert audit_actions_since(head) == ["case.verified"]
    assert_via_api(head, agent)


def test_verify_refused_names_every_missing_fact(case, agent):
    head = audit_head()

    response = user_client(agent).post(reverse("api:case-verify", args=[case.pk]))

    assert response.status_code == 409
    assert sorted(codes(response)) == [
        "ADDRESS_UNVERIFIED",
        "ASSESSMENT_MISSING",
        "CONTRACT_MISSING",
        "IDENTITY_UNCHECKED",
    ]
    assert all(set(e) == {"code", "message", "source", "field"} for e in response.json()["errors"])
    assert audit_actions_since(head) == ["case.verify.refused"]
    assert audit_events_since(head)[0].data["codes"] == codes(response)
    case.refresh_from_db()
    assert case.stage == Stage.NEW


def test_the_compliance_officer_sees_the_case_but_is_refused_403(case, compliance_officer):
    head = audit_head()

    response = user_client(compliance_officer).post(reverse("api:case-verify", args=[case.pk]))

    assert response.status_code == 403
    assert codes(response) == ["PERMISSION_DENIED"]
    assert audit_actions_since(head) == ["case.verify.refused"]


def test_another_teams_agent_gets_404(case, other_team_agent):
    client = user_client(other_team_agent)
    head = audit_head()

    assert client.get(reverse("api:case-detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("api:case-verify", args=[case.pk])).status_code == 404
    assert audit_head() == head


def test_unverify_needs_a_reason(verified_case, agent):
    client = user_client(agent)

    missing = client.post(reverse("api:case-unverify", args=[verified_case.pk]), {}, format="json")
    done = client.post(
        reverse("api:case-unverify", args=[verified_case.pk]), {"reason": "ID was forged"}, format="json"
    )

    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"code": "FIELD_REQUIRED", "message": "This field is required.", "source": "", "field": "reason"}
    ]
    assert done.status_code == 200
    assert done.json()["stage"] == "new"


def test_assign_agents(case, supervisor, other_agent, other_team_agent, agent):
    client = user_client(supervisor)
    url = reverse("api:case-agents", args=[case.pk])

    unknown = client.post(url, {"agents": [999_999]}, format="json")
    wrong_team = client.post(url, {"agents": [other_team_agent.pk]}, format="json")
    head = audit_head()
    done = client.post(url, {"agents": [agent.pk, other_agent.pk]}, format="json")

    assert unknown.status_code == 422
    assert (unknown.json()["errors"][0]["field"], codes(unknown)) == ("agents", ["UNKNOWN_USER"])
    assert wrong_team.status_code == 409
    assert codes(wrong_team) == ["AGENT_OTHER_TEAM"]
    assert done.status_code == 200
    assert sorted(a["id"] for a in done.json()["agents"]) == sorted([agent.pk, other_agent.pk])
    assert audit_actions_since(head) == ["case.agents_assigned"]
    assert_via_api(head, supervisor)


def test_an_agent_may_not_assign(case, agent, other_agent):
    response = user_client(agent).post(
        reverse("api:case-agents", args=[case.pk]), {"agents": [other_agent.pk]}, format="json"
    )

    assert response.status_code == 403
    assert codes(response) == ["PERMISSION_DENIED"]


# --- planning and approval ------------------------------------------------------------------------------


def plan_body(home, *agents, **changes):  # type: ignore[no-untyped-def]
    return {
        "address_id": home.pk,
        "purpose": "negotiate",
        "window_start": START,
        "window_end": END,
        "agents": [a.pk for a in agents],
        "checklist": CHECKLIST,
        **changes,
    }


def test_plan_a_visit(verified_case, home, agent, other_agent):
    head = audit_head()

    response = user_client(agent).post(
        reverse("api:case-visits", args=[verified_case.pk]),
        plan_body(home, agent, other_agent),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["window_start"], body["window_start_local"]) == (
        "planned",
        "2026-11-26T02:00:00Z",
        "2026-11-26T10:00:00+08:00",
    )
    assert body["address"]["text_masked"] != home.text
    verified_case.refresh_from_db()
    assert verified_case.stage == Stage.VISIT_PLANNED
    assert audit_actions_since(head) == ["rules.allowed", "visit.planned"]
    assert_via_api(head, agent)
    listed = user_client(agent).get(reverse("api:case-visits", args=[verified_case.pk])).json()
    assert [v["id"] for v in listed["results"]] == [body["id"]]


def test_a_plan_the_rules_refuse_is_409_with_the_decision(verified_case, home, agent):
    head = audit_head()

    response = user_client(agent).post(
        reverse("api:case-visits", args=[verified_case.pk]), plan_body(home, agent), format="json"
    )

    assert response.status_code == 409
    assert codes(response) == ["MIN_AGENTS"]
    decision = RuleDecision.objects.get(pk=response.json()["decision"]["id"])
    assert decision.outcome == "refused"
    assert response.json()["decision"]["overridable"] is False
    assert audit_actions_since(head) == ["rules.refused"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"window_start": "2026-11-26T10:00:00"}, "window_start", "NAIVE"),
        ({"window_start": "tomorrow"}, "window_start", "INVALID_INPUT"),
        ({"purpose": "chat"}, "purpose", "INVALID_CHOICE"),
        ({"agents": []}, "agents", "MIN_LENGTH"),
        ({"checklist": ["umbrella"]}, "checklist.0", "INVALID_CHOICE"),
        ({"address_id": 0}, "address_id", "MIN_VALUE"),
    ],
)
def test_a_plan_that_does_not_match_the_schema_is_422(
    verified_case, home, agent, other_agent, changes, field, code
):
    head = audit_head()

    response = user_client(agent).post(
        reverse("api:case-visits", args=[verified_case.pk]),
        plan_body(home, agent, other_agent, **changes),
        format="json",
    )

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert audit_head() == head


@pytest.fixture
def planned_soon(verified_case, home, agent, other_agent):  # type: ignore[no-untyped-def]
    """Planned for tomorrow morning: too late for a 24 h notice, which approval refuses (overridably)."""
    response = user_client(agent).post(
        reverse("api:case-visits", args=[verified_case.pk]),
        plan_body(
            home,
            agent,
            other_agent,
            window_start="2026-11-24T10:00:00+08:00",
            window_end="2026-11-24T11:00:00+08:00",
        ),
        format="json",
    )
    assert response.status_code == 201
    return Visit.objects.get(pk=response.json()["id"])


def test_approval_refused_for_the_notice_lead_time_then_overridden(planned_soon, supervisor):
    client = user_client(supervisor)
    url = reverse("api:visit-approve", args=[planned_soon.pk])

    refused = client.post(url, {}, format="json")
    head = audit_head()
    overridden = client.post(url, {"override_reason": "Debtor asked for tomorrow by phone."}, format="json")

    assert refused.status_code == 409
    assert codes(refused) == ["NOTICE_LEAD_TIME"]
    assert refused.json()["decision"]["overridable"] is True
    assert overridden.status_code == 200
    assert overridden.json()["state"] == "approved"
    assert audit_actions_since(head) == ["rules.refused", "rules.overridden", "visit.approved"]
    assert_via_api(head, supervisor)


def test_the_planner_may_not_approve(planned, agent):
    response = user_client(agent).post(reverse("api:visit-approve", args=[planned.pk]), {}, format="json")

    assert response.status_code == 403


def test_send_back_resubmit_cancel(planned, supervisor, agent, other_agent):
    sup, planner = user_client(supervisor), user_client(agent)

    sent_back = sup.post(
        reverse("api:visit-send-back", args=[planned.pk]), {"reason": "Take the contract."}, format="json"
    )
    again = planner.post(
        reverse("api:visit-resubmit", args=[planned.pk]),
        {
            "window_start": START,
            "window_end": "2026-11-26T11:30:00+08:00",
            "agents": [agent.pk, other_agent.pk],
            "checklist": CHECKLIST,
        },
        format="json",
    )
    head = audit_head()
    cancelled = planner.post(
        reverse("api:visit-cancel", args=[planned.pk]), {"reason": "Debtor moved."}, format="json"
    )
    cancelled_twice = planner.post(
        reverse("api:visit-cancel", args=[planned.pk]), {"reason": "again"}, format="json"
    )

    assert (sent_back.status_code, sent_back.json()["state"], sent_back.json()["return_reason"]) == (
        200,
        "returned",
        "Take the contract.",
    )
    assert (again.status_code, again.json()["state"], again.json()["window_end"]) == (
        200,
        "planned",
        "2026-11-26T03:30:00Z",
    )
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    assert cancelled_twice.status_code == 409
    assert codes(cancelled_twice) == ["WRONG_STATE"]
    assert audit_actions_since(head) == ["visit.cancelled", "visit.cancel.refused"]
    planned.case.refresh_from_db()
    assert planned.case.stage == Stage.VERIFIED


# --- notices, answers, contacts ---------------------------------------------------------------------


@pytest.fixture
def approved_visit(planned, supervisor):  # type: ignore[no-untyped-def]
    response = user_client(supervisor).post(
        reverse("api:visit-approve", args=[planned.pk]), {}, format="json"
    )
    assert response.status_code == 200
    DebtorPhone.objects.create(
        debtor=planned.case.debtor,
        number="13800138000",
        digest=phone_digest("13800138000"),
        status=VerificationStatus.VERIFIED,
    )
    return Visit.objects.get(pk=planned.pk)


def test_record_a_notice_and_the_debtors_refusal(approved_visit, agent):
    client = user_client(agent)
    head = audit_head()

    notice = client.post(
        reverse("api:visit-notices", args=[approved_visit.pk]),
        {"channel": "phone", "given_at": "2026-11-23T20:02:00+08:00", "language": "zh-hans"},
        format="json",
    )
    answered = client.post(
        reverse("api:notice-answer", args=[notice.json()["id"]]),
        {"answer": "refused", "note": "Do not come."},
        format="json",
    )

    assert notice.status_code == 201
    assert (notice.json()["channel"], notice.json()["delivery_status"]) == ("phone", "recorded")
    assert "13800138000" not in notice.content.decode()
    assert answered.status_code == 200
    assert answered.json()["answer"] == "refused"
    approved_visit.case.refresh_from_db()
    assert approved_visit.case.stage == Stage.VISITS_REFUSED
    # the notice passes the contact gate, which records the contact too (as in tests/visits/test_notices.py)
    assert audit_actions_since(head) == [
        "rules.allowed",
        "rules.allowed",
        "contact.recorded",
        "notice.recorded",
        "notice.answered",
        "debtor.visits_refused",
    ]
    assert_via_api(head, agent)


def test_a_notice_for_a_visit_not_approved_is_refused(planned, agent):
    response = user_client(agent).post(
        reverse("api:visit-notices", args=[planned.pk]),
        {"channel": "letter", "given_at": "2026-11-23T19:00:00+08:00", "language": "en"},
        format="json",
    )

    assert response.status_code == 409
    assert "VISIT_NOT_APPROVED" in codes(response)
    assert not Notice.objects.exists()


def test_resume_visits_after_a_refusal(approved_visit, agent, supervisor):
    client = user_client(agent)
    notice = client.post(
        reverse("api:visit-notices", args=[approved_visit.pk]),
        {"channel": "letter", "given_at": "2026-11-23T20:02:00+08:00", "language": "en"},
        format="json",
    ).json()
    client.post(reverse("api:notice-answer", args=[notice["id"]]), {"answer": "refused"}, format="json")
    url = reverse("api:case-resume-visits", args=[approved_visit.case_id])

    by_agent = client.post(url, {"reason": "The debtor called back and agreed."}, format="json")
    by_supervisor = user_client(supervisor).post(
        url, {"reason": "The debtor called back and agreed."}, format="json"
    )

    assert by_agent.status_code == 403
    assert by_supervisor.status_code == 200
    assert by_supervisor.json()["stage"] == "verified"


def test_record_a_contact_with_the_rules_warnings(verified_case, agent):
    phone = DebtorPhone.objects.create(
        debtor=verified_case.debtor, number="13800138001", digest=phone_digest("13800138001")
    )
    client = user_client(agent)
    url = reverse("api:case-contacts", args=[verified_case.pk])
    head = audit_head()

    # The contact gate (issue 15) refuses a call out of the debtor's hours; it used to record it with a warning.
    late = client.post(
        url,
        {"channel": "phone", "at": "2026-11-23T07:30:00+08:00", "result": "no_answer", "phone_id": phone.pk},
        format="json",
    )

    assert late.status_code == 409
    assert codes(late) == ["CONTACT_WINDOW"]
    assert audit_actions_since(head) == ["rules.refused"]
    head = audit_head()

    in_hours = client.post(
        url,
        {"channel": "phone", "at": "2026-11-23T10:00:00+08:00", "result": "no_answer", "phone_id": phone.pk},
        format="json",
    )

    assert in_hours.status_code == 201, in_hours.json()
    assert in_hours.json()["warnings"] == []
    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded"]
    assert_via_api(head, agent)
    history = client.get(url).json()["results"]
    # The case's history also holds the gentler contacts tried before (GENTLER_FIRST fixture).
    (mine,) = [c for c in history if c["id"] == in_hours.json()["id"]]
    assert mine["warnings"] == []


def test_a_contact_after_cease_contact_is_refused(verified_case, agent):
    put_facts(verified_case, contact_ceased=True)
    before = ContactAttempt.objects.count()  # the gentler channels tried before (fixture)

    response = user_client(agent).post(
        reverse("api:case-contacts", args=[verified_case.pk]),
        {"channel": "letter", "at": "2026-11-23T19:00:00+08:00", "result": "sent"},
        format="json",
    )

    assert response.status_code == 409
    assert codes(response) == ["CEASE_CONTACT"]
    assert ContactAttempt.objects.count() == before


# --- reads --------------------------------------------------------------------------------------------


def test_the_case_detail_is_masked_and_offers_the_moves(case, agent):
    make_verifiable(case, agent)

    body = user_client(agent).get(reverse("api:case-detail", args=[case.pk])).json()

    debtor = case.debtor
    assert body["debtor"]["id_number_masked"] == debtor.id_number_masked != debtor.id_number
    assert debtor.id_number not in str(body)
    assert body["debtor"]["addresses"][0]["text_masked"] != debtor.addresses.get().text
    assert body["transitions"] == [{"name": "verify", "target": "verified", "available": True, "reasons": []}]


def test_lists_page_by_id_and_count_their_queries(
    case, agent, supervisor, django_assert_max_num_queries, creditor, mandate, team
):
    from tests.factories import CaseFactory

    for _ in range(4):
        CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent])
    client = user_client(supervisor)
    client.get(reverse("api:me"))  # the token's last use is written once a minute: not in the counts below
    # 1 token+user, 2 the user's and the groups' permissions, 1 the role groups, 1 the team's cases
    # (guardian's object permissions are a subquery), 1 the assignments with their agents
    with django_assert_max_num_queries(7):
        first = client.get(reverse("api:case-list"), {"limit": 3})
    second = client.get(first.json()["next"])

    assert len(first.json()["results"]) == 3
    assert len(second.json()["results"]) == 2
    assert second.json()["next"] is None


def test_visit_lists_mine_and_by_state(
    planned, agent, supervisor, other_agent, django_assert_max_num_queries
):
    client = user_client(other_agent)
    client.get(reverse("api:me"))
    # 1 token+user, up to 3 permissions and roles, 1 the visits page with case and address, 1 the agents
    with django_assert_max_num_queries(7):
        mine = client.get(reverse("api:visit-list"), {"mine": "true"}).json()
    approved = user_client(supervisor).get(reverse("api:visit-list"), {"state": "approved"}).json()

    assert [v["id"] for v in mine["results"]] == [planned.pk]
    assert approved["results"] == []
    assert (
        user_client(supervisor).get(reverse("api:visit-detail", args=[planned.pk])).json()["id"] == planned.pk
    )


def test_visit_times_are_utc_and_the_debtors_local_time(planned, agent):
    body = user_client(agent).get(reverse("api:visit-detail", args=[planned.pk])).json()

    assert body["window_start"] == "2026-11-26T02:00:00Z"
    assert body["window_start_local"] == local(2026, 11, 26, 10).isoformat()
    assert body["agents"][0]["name"]
    assert dt.datetime.fromisoformat(body["window_end"].replace("Z", "+00:00")) == planned.window_end
    assert body["state"] == VisitState.PLANNED


def test_the_case_detail_has_a_fixed_number_of_queries(case, agent, django_assert_max_num_queries):
    make_verifiable(case, agent)
    client = user_client(agent)
    client.get(reverse("api:me"))
    # 1 token+user, 2 the user's and groups' permissions, 1 guardian's content type, 1 the case with
    # debtor, creditor, mandate, team and supervisor, 5 prefetches (phones, addresses, documents,
    # assignments, assessments), 1 the assessors, 2 the object-permission checker (transition options)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("api:case-detail", args=[case.pk]))
    assert response.status_code == 200
