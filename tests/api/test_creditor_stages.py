"""Creditor endpoints of the later stages: recall a case (closed as recalled, through the closing
service), post payments (the payment file's rules, all or none, idempotent on the payment reference),
read a case's agreement and payments, and the visits' outcomes. Another creditor's case is 404, every
change is an audit event of `apikey:<id>`, and a recall reaches the creditor by webhook."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from accounts.services import system_user
from agreements.models import Agreement, AgreementState, Closure, ClosureReason, Payment, PaymentSource
from api import services
from api.models import DeliveryStatus, WebhookDelivery
from cases.models import Case, Stage
from tests.agreements.conftest import NOW, OWED
from tests.api.conftest import key_client, key_for
from tests.factories import CaseFactory, audit_actions_since, audit_events_since, audit_head, move_case_to
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/creditor/payments/"
HOOK = "https://hooks.hzbank.example/fieldledger"


def codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in response.json()["errors"]]


def recall_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("api:creditor-case-recall", args=[case.pk])


RECALL = {"reason": "Sold to a debt purchaser on 2026-11-20.", "creditor_reference": "RC-2026-0042"}


def assert_by_key(head: int, key) -> None:  # type: ignore[no-untyped-def]
    events = audit_events_since(head)
    assert events
    for event in events:
        assert (event.actor, event.data["via"]) == (f"apikey:{key.pk}", "api"), event.action


def visit_in(case, state: str, *agents, **fields):  # type: ignore[no-untyped-def]
    """A visit saved directly in `state` (its own services are tested in tests/visits)."""
    visit = VisitFactory(case=case, planned_by=agents[0], agents=list(agents))
    type(visit).objects.filter(pk=visit.pk).update(state=state, **fields)
    visit.refresh_from_db()
    return visit


# --- recall ---------------------------------------------------------------------------------------


def test_recall_closes_the_case_as_recalled_by_the_creditor(creditor_api, creditor_key, owing):
    key, _secret = creditor_key
    head = audit_head()

    response = creditor_api.post(recall_url(owing), RECALL, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == "closed"
    assert body["closure"]["reason"] == "recalled"
    assert body["closure"]["creditor_reference"] == "RC-2026-0042"
    assert len(body["closure"]["report_sha256"]) == 64
    closure = Closure.objects.get(case=owing)
    assert (closure.reason, closure.detail) == (ClosureReason.RECALLED, RECALL["reason"])
    assert closure.creditor_informed_on == timezone.localdate()
    assert audit_actions_since(head) == ["case.closed", "case.recalled"]
    assert_by_key(head, key)
    recalled = audit_events_since(head)[-1]
    assert recalled.data["creditor_reference"] == "RC-2026-0042"
    assert "Sold" not in json.dumps(recalled.data)  # the reason is kept on the closure, digested here


def test_recall_cancels_live_visits(creditor_api, owing, agent, other_agent):
    visit = visit_in(owing, "approved", agent, other_agent)
    move_case_to(owing, Stage.VISIT_PLANNED)
    head = audit_head()

    response = creditor_api.post(recall_url(owing), RECALL, format="json")

    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.state == "cancelled"
    assert audit_actions_since(head) == ["visit.cancelled", "case.closed", "case.recalled"]


def test_recalling_a_closed_case_is_refused(creditor_api, owing):
    assert creditor_api.post(recall_url(owing), RECALL, format="json").status_code == 200
    head = audit_head()

    again = creditor_api.post(recall_url(owing), RECALL, format="json")

    assert again.status_code == 409
    assert codes(again) == ["CASE_CLOSED"]
    assert audit_actions_since(head) == ["case.recall.refused"]
    assert Closure.objects.filter(case=owing).count() == 1


@pytest.mark.parametrize("stage", [Stage.ON_SITE, Stage.ON_HOLD])
def test_no_recall_while_agents_are_on_site_or_a_dispute_is_open(creditor_api, owing, stage):
    move_case_to(owing, stage)
    head = audit_head()

    response = creditor_api.post(recall_url(owing), RECALL, format="json")

    assert response.status_code == 409
    assert codes(response) == ["WRONG_STAGE"]
    assert response.json()["errors"][0]["field"] == "stage"
    assert audit_actions_since(head) == ["case.recall.refused"]
    assert Case.objects.get(pk=owing.pk).stage == stage


def test_a_running_agreement_needs_end_agreement(creditor_api, active):
    case = active.case
    head = audit_head()

    refused = creditor_api.post(recall_url(case), RECALL, format="json")

    assert refused.status_code == 409
    assert codes(refused) == ["AGREEMENT_RUNNING"]
    assert active.number in refused.json()["errors"][0]["message"]
    assert audit_actions_since(head) == ["case.recall.refused"]

    ended = creditor_api.post(recall_url(case), {**RECALL, "end_agreement": True}, format="json")

    assert ended.status_code == 200, ended.json()
    active.refresh_from_db()
    assert active.state == AgreementState.CANCELLED
    assert audit_events_since(head)[-1].data["agreements_ended"] == [active.number]


def test_a_recall_without_reason_or_reference_is_422(creditor_api, owing):
    head = audit_head()

    response = creditor_api.post(recall_url(owing), {"reason": "", "end_agreement": "maybe"}, format="json")

    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("creditor_reference", "FIELD_REQUIRED"),
        ("end_agreement", "INVALID_INPUT"),
        ("reason", "FIELD_REQUIRED"),
    ]
    assert audit_head() == head


def test_another_creditors_case_cannot_be_recalled(other_creditor_api, owing):
    head = audit_head()

    response = other_creditor_api.post(recall_url(owing), RECALL, format="json")

    assert response.status_code == 404
    assert codes(response) == ["NOT_FOUND"]
    assert audit_head() == head
    assert Case.objects.get(pk=owing.pk).stage == Stage.VERIFIED


@responses.activate
def test_a_recall_reaches_the_creditor_by_webhook(
    creditor_api, owing, placing_creditor, django_capture_on_commit_callbacks
):
    services.stage_changes_scan()  # the outbox has started
    services.webhook_endpoint_create(creditor=placing_creditor, url=HOOK, actor=system_user())
    responses.post(HOOK, status=200)

    with django_capture_on_commit_callbacks(execute=True):
        response = creditor_api.post(recall_url(owing), RECALL, format="json")

    assert response.status_code == 200
    sent = [json.loads(c.request.body) for c in responses.calls]
    assert [(s["case_id"], s["from"], s["to"]) for s in sent] == [(owing.pk, "verified", "closed")]
    assert responses.calls[0].request.headers["X-FieldLedger-Signature"].startswith("sha256=")
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


# --- payments -------------------------------------------------------------------------------------


def pay(case, n: int = 1, **changes):  # type: ignore[no-untyped-def]
    return {
        "external_ref": case.external_ref,
        "amount": "1000.00",
        "currency": "CNY",
        "paid_on": "2026-11-20",
        "method": "bank_transfer",
        "reference": f"PAY-{n:04d}",
        **changes,
    }


def post_payments(client, rows, **extra):  # type: ignore[no-untyped-def]
    return client.post(PAYMENTS, {"payments": rows, **extra}, format="json")


def test_payments_are_recorded_and_allocated_to_the_agreement(creditor_api, creditor_key, active):
    key, _secret = creditor_key
    case = active.case
    head = audit_head()

    response = post_payments(creditor_api, [pay(case, 1, amount="1500.00"), pay(case, 2, amount=200)])

    assert response.status_code == 201, response.json()
    body = response.json()
    ids = dict(Payment.objects.values_list("reference", "pk"))
    assert body["counts"] == {"created": 2, "unchanged": 0}
    assert body["payments"] == [
        {"reference": "PAY-0001", "id": ids["PAY-0001"], "result": "created"},
        {"reference": "PAY-0002", "id": ids["PAY-0002"], "result": "created"},
    ]
    payment = Payment.objects.get(reference="PAY-0001")
    assert (payment.source, payment.agreement_id, payment.amount) == (
        PaymentSource.API,
        active.pk,
        Decimal("1500.00"),
    )
    assert audit_actions_since(head) == ["payment.recorded", "payment.recorded", "payments.imported"]
    assert_by_key(head, key)


def test_the_same_reference_again_is_the_same_payment(creditor_api, owing):
    first = post_payments(creditor_api, [pay(owing, 1)])
    head = audit_head()

    again = post_payments(creditor_api, [pay(owing, 1), pay(owing, 2)])

    assert again.status_code == 201
    assert [(p["reference"], p["result"]) for p in again.json()["payments"]] == [
        ("PAY-0002", "created"),
        ("PAY-0001", "unchanged"),
    ]
    assert again.json()["payments"][1]["id"] == first.json()["payments"][0]["id"]
    assert Payment.objects.count() == 2
    assert audit_actions_since(head) == ["payment.recorded", "payments.imported"]

    only_old = post_payments(creditor_api, [pay(owing, 1)])
    assert only_old.status_code == 200
    assert only_old.json()["counts"] == {"created": 0, "unchanged": 1}


def test_the_same_reference_with_another_amount_is_refused_and_nothing_is_recorded(creditor_api, owing):
    post_payments(creditor_api, [pay(owing, 1)])
    head = audit_head()

    response = post_payments(creditor_api, [pay(owing, 2), pay(owing, 1, amount="999.00")])

    assert response.status_code == 422
    assert [(e["row"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (2, "reference", "DUPLICATE_REFERENCE")
    ]
    assert response.json()["errors"][0]["pointer"] == "/payments/1/reference"
    assert Payment.objects.count() == 1  # PAY-0002 was good, but it is all or nothing
    assert audit_actions_since(head) == ["payments.import.refused"]


def test_every_bad_row_is_named_like_the_payment_file(creditor_api, owing, other_creditor):
    foreign = CaseFactory(creditor=other_creditor)
    head = audit_head()

    response = post_payments(
        creditor_api,
        [
            pay(owing, 1, amount="-5"),
            pay(owing, 2, currency="USD", paid_on="2999-01-01"),
            pay(foreign, 3),
            pay(owing, 4, method="cash in a bag"),
            {**pay(owing, 5), "colour": "red", "note": {"x": 1}},
            pay(owing, 9),
            pay(owing, 9, amount="20.00"),
            {},
        ],
    )

    assert response.status_code == 422
    found = [(e["row"], e["field"], e["code"]) for e in response.json()["errors"]]
    assert (1, "amount", "INVALID_VALUE") in found
    assert (2, "currency", "CURRENCY_MISMATCH") in found
    assert (2, "paid_on", "DATE_INVALID") in found
    assert (3, "external_ref", "CASE_NOT_FOUND") in found  # another creditor's case does not exist here
    assert (4, "method", "INVALID_VALUE") in found
    assert (5, "colour", "UNKNOWN_COLUMN") in found
    assert (5, "note", "INVALID_VALUE") in found
    assert (7, "reference", "DUPLICATE_REFERENCE") in found  # the same reference as row 6
    assert (8, "external_ref", "REQUIRED") in found  # an empty row is not skipped silently
    assert all(e["message"] for e in response.json()["errors"])
    assert not Payment.objects.exists()
    assert audit_actions_since(head) == ["payments.import.refused"]


def test_a_closed_case_takes_no_payment(creditor_api, owing):
    creditor_api.post(recall_url(owing), RECALL, format="json")

    response = post_payments(creditor_api, [pay(owing, 1)])

    assert response.status_code == 422
    assert codes(response) == ["CASE_CLOSED"]


def test_a_dry_run_checks_and_records_nothing(creditor_api, owing):
    head = audit_head()

    response = post_payments(creditor_api, [pay(owing, 1)], dry_run=True)

    assert response.status_code == 200
    assert response.json()["payments"] == [{"reference": "PAY-0001", "id": None, "result": "created"}]
    assert not Payment.objects.exists()
    assert audit_head() == head


def test_a_body_that_is_not_a_list_of_payments_is_422(creditor_api):
    assert codes(creditor_api.post(PAYMENTS, {"payments": []}, format="json")) == ["MIN_LENGTH"]
    assert codes(creditor_api.post(PAYMENTS, {"payments": [1]}, format="json")) == ["NOT_A_DICT"]


def test_too_many_payments_in_one_request_is_422(creditor_api, owing, settings):
    settings.API_PLACEMENT_MAX_ROWS = 2
    response = post_payments(creditor_api, [pay(owing, n) for n in range(3)])
    assert response.status_code == 422
    assert codes(response) == ["MAX_LENGTH"]


# --- reading the agreement and the payments -------------------------------------------------------


def test_the_agreement_with_its_schedule(creditor_api, active, django_assert_max_num_queries):
    post_payments(creditor_api, [pay(active.case, 1, amount="1500.00")])
    url = reverse("api:creditor-case-agreement", args=[active.case_id])

    # key lookup + touch, the case, the agreement and its instalments, the paid total
    with django_assert_max_num_queries(7):
        response = creditor_api.get(url)

    assert response.status_code == 200
    body = response.json()
    assert (body["outstanding"], body["paid_total"], body["balance"]) == ("8200.50", "1500.00", "6700.50")
    agreement = body["agreement"]
    assert (agreement["number"], agreement["state"], agreement["kind"]) == (
        active.number,
        "active",
        "instalments",
    )
    assert len(agreement["instalments"]) == 6
    assert agreement["instalments"][0]["status"] == "paid"
    assert agreement["instalments"][1]["status"] == "partly_paid"
    assert not {"conditions", "method_note"} & set(agreement)  # the agency's notes stay with it


def test_no_agreement_signed_yet_is_null_not_a_draft(creditor_api, draft):
    response = creditor_api.get(reverse("api:creditor-case-agreement", args=[draft.case_id]))

    assert response.status_code == 200
    assert response.json()["agreement"] is None
    assert response.json()["balance"] == str(OWED)


def test_payments_with_their_allocations(creditor_api, active, django_assert_max_num_queries):
    post_payments(creditor_api, [pay(active.case, 1, amount="1500.00"), pay(active.case, 2, amount="10.00")])
    url = reverse("api:creditor-case-payments", args=[active.case_id])

    # key lookup + touch, the case, the page of payments (with agreement), their allocations
    with django_assert_max_num_queries(6):
        response = creditor_api.get(url + "?limit=1")

    assert response.status_code == 200
    (first,) = response.json()["results"]
    assert first["reference"] == "PAY-0001"
    assert first["agreement"] == active.number
    assert [a["instalment"] for a in first["allocations"]] == [1, 2]
    assert sum(Decimal(a["amount"]) for a in first["allocations"]) == Decimal("1500.00")
    assert first["credit"] == "0.00"
    second = creditor_api.get(response.json()["next"]).json()
    assert [p["reference"] for p in second["results"]] == ["PAY-0002"]
    assert second["next"] is None


def test_another_creditor_reads_none_of_it(other_creditor_api, active):
    for name in ("api:creditor-case-agreement", "api:creditor-case-payments"):
        response = other_creditor_api.get(reverse(name, args=[active.case_id]))
        assert response.status_code == 404, name


def test_a_revoked_key_reads_nothing(placing_creditor, active):
    key, secret = key_for(placing_creditor)
    services.api_key_revoke(key=key, actor=system_user())
    response = key_client(secret).get(reverse("api:creditor-case-agreement", args=[active.case_id]))
    assert response.status_code == 401


# --- visits: the outcome only ---------------------------------------------------------------------


def test_visits_carry_their_outcome_and_nothing_of_the_conversation(creditor_api, owing, agent, other_agent):
    visit_in(
        owing,
        "completed",
        agent,
        other_agent,
        outcome="promise_to_pay",
        completed_at=NOW + dt.timedelta(days=3),
    )
    visit_in(owing, "approved", agent, other_agent)

    response = creditor_api.get(reverse("api:creditor-case-visits", args=[owing.pk]))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["state"], r["outcome"]) for r in rows] == [("completed", "promise_to_pay"), ("approved", None)]
    assert rows[0]["completed_at"].endswith("Z")
    assert rows[1]["completed_at"] is None
    for row in rows:
        assert not {"talking_points", "summary", "note", "address"} & set(row)


def test_the_recalled_agreement_state_shows_to_the_creditor(creditor_api, active):
    creditor_api.post(recall_url(active.case), {**RECALL, "end_agreement": True}, format="json")

    body = creditor_api.get(reverse("api:creditor-case-agreement", args=[active.case_id])).json()

    assert body["agreement"]["state"] == "cancelled"
    assert Agreement.objects.get(pk=active.pk).cancel_reason
