"""User endpoints of the on-site and repayment stages: each wizard or agreement page action through the
same service, with the same codes and audit events ("via": "api"); idempotency keys as in the wizard;
404 for visits and agreements the user may not see, 403 for a role the service refuses; the stage
changes they cause (the agreement signed) reach the creditor by webhook."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
import responses
import time_machine
from django.urls import reverse

from accounts.services import system_user
from agreements.models import Agreement, AgreementState, FollowUp, FollowUpStatus, Payment
from api import services as api_services
from cases.models import Case, Stage
from tests.agreements.conftest import OWED, signature_png
from tests.api.conftest import _TOKENS, user_client
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import ARRIVAL, CHECKS_OK, attest_all, conversation, keyed
from visits.models import CONDUCT_ITEMS, Visit, VisitCheckIn, VisitState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signed_in")]


def codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in response.json()["errors"]]


def assert_via_api(head: int, user) -> None:  # type: ignore[no-untyped-def]
    events = audit_events_since(head)
    assert events
    for event in events:
        assert event.data["via"] == "api", event.action
        assert event.data["api_token"], event.action
        assert event.actor == f"user:{user.pk}", event.action


def post(user, name: str, pk: int, body=None):  # type: ignore[no-untyped-def]
    return user_client(user).post(reverse(name, args=[pk]), body or {}, format="json")


@pytest.fixture
def at_the_door(all_roles):  # type: ignore[no-untyped-def]
    """The clock on the visit day, when the agents arrive (10:05 Shanghai, inside the notified window);
    the tokens are issued that day (a token lives API_TOKEN_TTL_HOURS)."""
    with time_machine.travel(ARRIVAL, tick=False) as traveller:
        _TOKENS.clear()
        for role, user in all_roles.items():
            if role != "administrator":
                user_client(user)
        yield traveller


def checks_body(visit: Visit, **changes):  # type: ignore[no-untyped-def]
    agents = sorted(va.agent_id for va in visit.visit_agents.all())
    return {**CHECKS_OK, "work_ids_shown": agents, **changes}


def conversation_body(**changes):  # type: ignore[no-untyped-def]
    return {
        k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in conversation(**changes).items()
    }


# --- check-in -------------------------------------------------------------------------------------


def test_both_agents_check_in_and_the_visit_starts(notified, agent, other_agent, at_the_door):
    head = audit_head()

    first = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})
    at_the_door.shift(dt.timedelta(minutes=1))
    second = post(
        other_agent,
        "api:visit-check-in",
        notified.pk,
        {"idempotency_key": keyed(), "position_status": "given", "latitude": "31.2", "longitude": "121.4"},
    )

    assert first.status_code == 201, first.json()
    assert (first.json()["visit_state"], first.json()["start_refused"]) == ("notified", [])
    assert second.status_code == 201, second.json()
    assert second.json()["visit_state"] == "on_site"
    assert second.json()["position_status"] == "given"
    assert Case.objects.get(pk=notified.case_id).stage == Stage.ON_SITE
    assert [a for a in audit_actions_since(head) if not a.startswith("rules.")] == [
        "visit.checked_in",
        "visit.checked_in",
        "visit.on_site",
    ]
    for event in audit_events_since(head):
        assert event.data["via"] == "api"


def test_a_repeated_check_in_key_records_once(notified, agent, other_agent, at_the_door):
    key = keyed()
    first = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": key})
    head = audit_head()

    again = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": key})
    stolen = post(other_agent, "api:visit-check-in", notified.pk, {"idempotency_key": key})

    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert VisitCheckIn.objects.filter(visit=notified).count() == 1
    assert stolen.status_code == 409
    assert codes(stolen) == ["IDEMPOTENCY_KEY"]
    assert audit_actions_since(head) == ["visit.check_in.refused"]


def test_check_in_twice_with_a_new_key_is_refused(notified, agent, at_the_door):
    post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})

    again = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})

    assert again.status_code == 409
    assert codes(again) == ["ALREADY_CHECKED_IN"]


def test_check_in_input_is_checked_field_by_field(notified, agent, at_the_door):
    head = audit_head()

    response = post(
        agent,
        "api:visit-check-in",
        notified.pk,
        {"position_status": "teleported", "latitude": "91", "accuracy_m": -1},
    )

    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("accuracy_m", "MIN_VALUE"),
        ("idempotency_key", "FIELD_REQUIRED"),
        ("latitude", "MAX_VALUE"),
        ("position_status", "INVALID_CHOICE"),
    ]
    assert audit_head() == head


def test_a_key_of_the_wrong_shape_is_the_services_refusal(notified, agent, at_the_door):
    response = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": "short"})

    assert response.status_code == 409
    assert codes(response) == ["IDEMPOTENCY_KEY"]


def test_outside_the_lawful_hours_the_rules_refuse_the_check_in(notified, agent, at_the_door):
    at_the_door.move_to(ARRIVAL.replace(hour=7))  # before 08:00, and outside the notified window
    response = post(agent, "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})

    assert response.status_code == 409
    assert "decision" in response.json()
    assert not VisitCheckIn.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("other_team_agent", 404), ("other_supervisor", 404)])
def test_who_may_not_see_the_visit_gets_404(notified, all_roles, role, status, at_the_door):
    head = audit_head()

    response = post(all_roles[role], "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})

    assert response.status_code == status
    assert audit_head() == head


def test_the_supervisor_does_not_check_in_on_a_visit_they_do_not_go_on(notified, supervisor, at_the_door):
    head = audit_head()

    response = post(supervisor, "api:visit-check-in", notified.pk, {"idempotency_key": keyed()})

    assert response.status_code == 403
    assert codes(response) == ["PERMISSION_DENIED"]
    assert audit_actions_since(head) == ["visit.check_in.refused"]


# --- the visit log --------------------------------------------------------------------------------


def test_the_log_step_by_step_to_completion_then_accepted(
    on_site, agent, other_agent, supervisor, at_the_door
):
    head = audit_head()
    at_the_door.shift(dt.timedelta(minutes=3))

    checks = post(agent, "api:visit-checks", on_site.pk, checks_body(on_site))
    at_the_door.shift(dt.timedelta(minutes=33))
    talk = post(agent, "api:visit-conversation", on_site.pk, conversation_body())
    outcome = post(
        agent,
        "api:visit-outcome",
        on_site.pk,
        {"outcome": "agreement_to_draft", "summary": "Agreed to six instalments."},
    )
    items = [code for code, _label in CONDUCT_ITEMS]
    attested = post(agent, "api:visit-attest", on_site.pk, {"idempotency_key": keyed(), "items": items})
    post(other_agent, "api:visit-attest", on_site.pk, {"idempotency_key": keyed(), "items": items})
    key = keyed()
    completed = post(agent, "api:visit-complete", on_site.pk, {"idempotency_key": key})

    assert checks.status_code == 200, checks.json()
    assert checks.json()["identity_verified"] is True
    assert "id_last4" not in checks.json()
    assert talk.status_code == 200, talk.json()
    assert talk.json()["conversation_saved_at"]
    assert outcome.status_code == 200, outcome.json()
    assert attested.json()["attested"] == [agent.pk]
    assert completed.status_code == 200, completed.json()
    assert completed.json()["state"] == "completed"
    assert Case.objects.get(pk=on_site.case_id).stage == Stage.CONVERSATION_LOGGED
    actions = audit_actions_since(head)
    assert actions[-1] == "visit.completed"
    assert [a for a in actions if not a.startswith("rules.")] == [
        "visit.checks_confirmed",
        "visit.conversation_logged",
        "visit.outcome_recorded",
        "visit.conduct_attested",
        "visit.conduct_attested",
        "visit.completed",
    ]

    replay_head = audit_head()
    replay = post(agent, "api:visit-complete", on_site.pk, {"idempotency_key": key})
    assert replay.status_code == 200
    assert audit_head() == replay_head  # the same submission again records nothing

    accepted = post(supervisor, "api:visit-log-accept", on_site.pk, {"comment": "Good log."})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    log = user_client(agent).get(reverse("api:visit-log", args=[on_site.pk]))
    assert log.json()["status"] == "accepted"


def test_nothing_about_the_debt_before_the_checks(on_site, agent, at_the_door):
    head = audit_head()

    response = post(agent, "api:visit-conversation", on_site.pk, conversation_body())

    assert response.status_code == 409
    assert codes(response) == ["CHECKS_MISSING"]
    assert audit_actions_since(head) == ["visit.log_save.refused"]


def test_someone_else_met_no_conversation_only_what_was_said(on_site, agent, at_the_door):
    post(
        agent,
        "api:visit-checks",
        on_site.pk,
        checks_body(on_site, relation="family", identification="not_identified"),
    )

    talk = post(agent, "api:visit-conversation", on_site.pk, conversation_body())
    said = post(
        agent,
        "api:visit-not-debtor",
        on_site.pk,
        {"nothing_about_debt_said": True, "third_party_note": "Asked when he is home."},
    )
    wrong = post(agent, "api:visit-outcome", on_site.pk, {"outcome": "promise_to_pay"})

    assert talk.status_code == 409
    assert codes(talk) == ["IDENTITY_BEFORE_DISCLOSURE"]
    assert said.status_code == 200, said.json()
    assert wrong.status_code == 409
    assert "IDENTITY_BEFORE_DISCLOSURE" in codes(wrong)


def test_confirmed_checks_are_locked(identified, agent, at_the_door):
    response = post(agent, "api:visit-checks", identified.pk, checks_body(identified, entry="inside"))

    assert response.status_code == 409
    assert codes(response) == ["CHECKS_LOCKED"]


def test_log_input_is_checked_field_by_field(on_site, agent, at_the_door):
    checks = post(agent, "api:visit-checks", on_site.pk, {"relation": "cousin", "id_last4": "12"})
    talk = post(agent, "api:visit-conversation", on_site.pk, {"started_at": "10:05", "evidence_shown": ["x"]})

    assert checks.status_code == 422
    assert sorted((e["field"], e["code"]) for e in checks.json()["errors"]) == [
        ("id_last4", "MIN_LENGTH"),
        ("relation", "INVALID_CHOICE"),
    ]
    assert talk.status_code == 422
    assert sorted(e["field"] for e in talk.json()["errors"]) == ["evidence_shown.0", "started_at"]


def test_completion_needs_every_attestation(talked, agent, at_the_door):
    at_the_door.shift(dt.timedelta(minutes=40))
    post(agent, "api:visit-outcome", talked.pk, {"outcome": "refusal_to_pay"})

    response = post(agent, "api:visit-complete", talked.pk, {"idempotency_key": keyed()})

    assert response.status_code == 409
    assert "CONDUCT_ATTESTED" in codes(response)
    assert Visit.objects.get(pk=talked.pk).state == VisitState.ON_SITE


def test_the_log_of_a_visit_not_started_is_404_and_outsiders_see_none(
    notified, talked, agent, other_team_agent
):
    assert user_client(agent).get(reverse("api:visit-log", args=[talked.pk])).status_code == 200
    assert user_client(other_team_agent).get(reverse("api:visit-log", args=[talked.pk])).status_code == 404


def test_the_supervisor_aborts_a_visit_that_cannot_be_completed(talked, supervisor, agent, at_the_door):
    refused = post(agent, "api:visit-abort", talked.pk, {"reason": "The debtor moved away."})
    aborted = post(supervisor, "api:visit-abort", talked.pk, {"reason": "The debtor moved away."})

    assert refused.status_code == 403
    assert aborted.status_code == 200, aborted.json()
    assert aborted.json()["state"] != "on_site"


def test_a_returned_log_is_corrected_and_resubmitted(talked, agent, supervisor, at_the_door):
    at_the_door.shift(dt.timedelta(minutes=40))
    post(agent, "api:visit-outcome", talked.pk, {"outcome": "refusal_to_pay"})
    attest_all(talked, at=ARRIVAL + dt.timedelta(minutes=40))
    assert post(agent, "api:visit-complete", talked.pk, {"idempotency_key": keyed()}).status_code == 200

    returned = post(supervisor, "api:visit-log-return", talked.pk, {"comment": "Add the reasons."})
    post(agent, "api:visit-conversation", talked.pk, {"default_reasons": "Lost his job; wife ill."})
    again = post(agent, "api:visit-complete", talked.pk, {"idempotency_key": keyed()})

    assert returned.status_code == 200, returned.json()
    assert returned.json()["version"] == 2
    assert again.status_code == 200, again.json()
    assert again.json()["state"] == "completed"


# --- agreements -----------------------------------------------------------------------------------


def draft_body(**changes):  # type: ignore[no-untyped-def]
    return {
        "kind": "instalments",
        "total": str(OWED),
        "first_due_date": "2026-12-15",
        "instalment_count": 6,
        "frequency": "monthly",
        "method": "bank_transfer",
        "stated_income": "9000.00",
        "stated_expenses": "5000.00",
        **changes,
    }


def png64(seed: int) -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png(seed)).decode("ascii")


def sign_body(**changes):  # type: ignore[no-untyped-def]
    return {
        "idempotency_key": keyed(),
        "debtor_signature": png64(1),
        "agent_signature": png64(2),
        "witness_name": "Chen Jing",
        "witness_signature": png64(3),
        "debtor_understood": True,
        **changes,
    }


def test_draft_then_sign_an_agreement(owing, agent):
    head = audit_head()

    drafted = post(agent, "api:case-agreements", owing.pk, draft_body())

    assert drafted.status_code == 201, drafted.json()
    body = drafted.json()
    assert (body["state"], body["total"], len(body["instalments"])) == ("draft", str(OWED), 6)
    assert audit_actions_since(head) == ["agreement.drafted"]
    assert_via_api(head, agent)

    sign_head = audit_head()
    key = keyed()
    signed = post(agent, "api:agreement-sign", body["id"], sign_body(idempotency_key=key))

    assert signed.status_code == 200, signed.json()
    assert signed.json()["state"] == "active"
    assert len(signed.json()["pdf_sha256"]) == 64
    assert {s["role"] for s in signed.json()["signatures"]} == {"debtor", "agent", "witness"}
    assert "agreement.signed" in audit_actions_since(sign_head)
    assert Case.objects.get(pk=owing.pk).stage == Stage.AGREEMENT_SIGNED

    replay_head = audit_head()
    replay = post(agent, "api:agreement-sign", body["id"], sign_body(idempotency_key=key))
    assert replay.status_code == 200
    assert audit_head() == replay_head


def test_unaffordable_terms_are_refused_by_the_rules_at_signing(owing, agent):
    steep = post(agent, "api:case-agreements", owing.pk, draft_body(instalment_count=2))  # 4,100 a month
    assert steep.status_code == 201, steep.json()

    response = post(agent, "api:agreement-sign", steep.json()["id"], sign_body())

    assert response.status_code == 409, response.json()
    assert codes(response) == ["AFFORDABILITY"]
    assert response.json()["decision"]["id"]  # the rule pack's recorded decision
    assert Agreement.objects.get().state == AgreementState.DRAFT


def test_a_draft_with_bad_input_is_422(owing, agent):
    response = post(
        agent,
        "api:case-agreements",
        owing.pk,
        draft_body(total="-1", kind="barter", schedule=[{"due_date": "soon", "amount": "1"}]),
    )

    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("kind", "INVALID_CHOICE"),
        ("schedule.0.due_date", "INVALID_INPUT"),
        ("total", "MIN_VALUE"),
    ]


def test_a_blank_signature_is_refused(draft, agent):
    from tests.agreements.conftest import blank_png

    blank = base64.b64encode(blank_png()).decode("ascii")
    response = post(agent, "api:agreement-sign", draft.pk, sign_body(agent_signature=blank))

    assert response.status_code == 409
    assert "SIGNATURE_MISSING" in codes(response)
    assert Agreement.objects.get(pk=draft.pk).state == AgreementState.DRAFT


def test_a_settlement_discount_goes_through_approval(owing, agent, supervisor, other_supervisor):
    drafted = post(agent, "api:case-agreements", owing.pk, draft_body(total="4000.00", instalment_count=2))
    assert drafted.status_code == 201, drafted.json()
    pk = drafted.json()["id"]
    assert drafted.json()["approval_required"] is True

    early = post(agent, "api:agreement-sign", pk, sign_body())
    submitted = post(agent, "api:agreement-submit", pk)
    by_drafter = post(agent, "api:agreement-approve", pk, {"comment": "ok"})
    outsider = post(other_supervisor, "api:agreement-approve", pk, {"comment": "ok"})
    approved = post(supervisor, "api:agreement-approve", pk, {"comment": "Within the creditor's policy."})

    assert early.status_code == 409
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "awaiting_approval"
    assert by_drafter.status_code == 403
    assert outsider.status_code == 404
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_by"]["id"] == supervisor.pk


def test_cancel_a_draft(draft, agent):
    response = post(agent, "api:agreement-cancel", draft.pk, {"reason": "The debtor changed his mind."})

    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"


def test_agreements_read_with_a_fixed_number_of_queries(
    active, agent, other_team_agent, django_assert_max_num_queries
):
    url = reverse("api:case-agreements", args=[active.case_id])
    client = user_client(agent)

    # token lookup, its user and the touch, the visible case, the page of agreements with drafter and
    # approver, their instalments, their signatures, the user's groups (roles) for the policy
    with django_assert_max_num_queries(9):
        response = client.get(url)

    assert response.status_code == 200
    assert [a["number"] for a in response.json()["results"]] == [active.number]
    assert client.get(reverse("api:agreement-detail", args=[active.pk])).status_code == 200
    assert user_client(other_team_agent).get(url).status_code == 404
    assert (
        user_client(other_team_agent).get(reverse("api:agreement-detail", args=[active.pk])).status_code
        == 404
    )


@responses.activate
def test_signing_through_the_api_reaches_the_creditor_by_webhook(
    draft, agent, creditor, django_capture_on_commit_callbacks
):
    hook = "https://hooks.hzbank.example/fieldledger"
    api_services.stage_changes_scan()
    api_services.webhook_endpoint_create(creditor=creditor, url=hook, actor=system_user())
    responses.post(hook, status=200)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent, "api:agreement-sign", draft.pk, sign_body())

    assert response.status_code == 200, response.json()
    assert [json.loads(c.request.body)["to"] for c in responses.calls] == ["agreement_signed"]


# --- payments and follow-up -----------------------------------------------------------------------


def payment_body(**changes):  # type: ignore[no-untyped-def]
    return {
        "amount": "1500.00",
        "paid_on": "2026-11-20",
        "method": "bank_transfer",
        "reference": "BK-1",
        **changes,
    }


def test_a_supervisor_records_a_payment_allocated_to_the_agreement(active, supervisor, agent):
    head = audit_head()

    response = post(supervisor, "api:case-payments", active.case_id, payment_body())
    again = post(supervisor, "api:case-payments", active.case_id, payment_body())
    other = post(supervisor, "api:case-payments", active.case_id, payment_body(amount="1.00"))
    by_agent = post(agent, "api:case-payments", active.case_id, payment_body(reference="BK-2"))

    assert response.status_code == 201, response.json()
    assert response.json()["agreement"] == active.number
    assert [a["instalment"] for a in response.json()["allocations"]] == [1, 2]
    assert again.json()["id"] == response.json()["id"]  # the same reference: the same payment
    assert other.status_code == 409
    assert codes(other) == ["DUPLICATE_REFERENCE"]
    assert by_agent.status_code == 403  # agents do not handle money
    assert Payment.objects.count() == 1
    assert audit_actions_since(head) == [
        "payment.recorded",
        "payment.record.refused",
        "payment.record.refused",
    ]
    listed = user_client(agent).get(reverse("api:case-payments", args=[active.case_id]))
    assert [p["reference"] for p in listed.json()["results"]] == ["BK-1"]


def test_a_payment_with_bad_input_is_422(active, supervisor):
    response = post(supervisor, "api:case-payments", active.case_id, {"amount": "lots", "method": "gold"})

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "amount",
        "method",
        "paid_on",
        "reference",
    ]


def test_plan_a_follow_up_and_mark_it_done(owing, agent, supervisor, other_team_agent):
    planned = post(
        agent,
        "api:case-follow-ups",
        owing.pk,
        {"next_action": "call", "due_on": "2026-11-30", "owner": agent.pk, "capacity": "medium"},
    )
    foreign_owner = post(
        agent,
        "api:case-follow-ups",
        owing.pk,
        {"next_action": "call", "due_on": "2026-11-30", "owner": other_team_agent.pk},
    )
    unknown = post(
        agent,
        "api:case-follow-ups",
        owing.pk,
        {"next_action": "call", "due_on": "2026-11-30", "owner": 999_999},
    )

    assert planned.status_code == 201, planned.json()
    assert foreign_owner.status_code == 409
    assert unknown.status_code == 422
    assert codes(unknown) == ["UNKNOWN_USER"]
    pk = planned.json()["id"]
    head = audit_head()

    done = post(agent, "api:follow-up-done", pk, {"note": "Called; he will pay on Friday."})
    twice = post(agent, "api:follow-up-done", pk)

    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert twice.status_code == 409
    assert codes(twice) == ["WRONG_STATE"]
    assert audit_actions_since(head) == ["follow_up.done", "follow_up.done.refused"]
    assert FollowUp.objects.get(pk=pk).status == FollowUpStatus.DONE
    assert post(other_team_agent, "api:follow-up-done", pk).status_code == 404


def test_the_compliance_officer_reads_but_changes_nothing(active, compliance_officer):
    client = user_client(compliance_officer)
    assert client.get(reverse("api:case-agreements", args=[active.case_id])).status_code == 200

    response = post(compliance_officer, "api:case-payments", active.case_id, payment_body())

    assert response.status_code == 403
    assert not Payment.objects.filter(amount=Decimal("1500.00")).exists()
