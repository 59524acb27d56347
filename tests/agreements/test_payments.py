"""Payments recorded by hand and imported (all or nothing, idempotent on the reference), allocated
oldest instalment first with any overpayment as credit; the beat jobs: reminders within the debtor's
hours, overdue marking, broken agreements, promises kept or broken."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from agreements import selectors, services
from agreements.models import AgreementState, FollowUp, InstalmentStatus, Payment, PromiseCheck
from cases.models import DebtorPhone, Stage
from common.errors import DomainError
from common.pii import phone_digest
from compliance.models import RuleDecision
from tests.agreements.conftest import NOW
from tests.debtor_fact_helpers import put_facts
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.fixtures.placement import csv_bytes
from tests.visits.factories import local

pytestmark = pytest.mark.django_db


def pay(case, actor, amount, reference, *, paid_on=dt.date(2026, 11, 23), now=NOW, **changes):  # type: ignore[no-untyped-def]
    return services.payment_record(
        case=case,
        actor=actor,
        amount=Decimal(amount),
        currency="CNY",
        paid_on=paid_on,
        method="bank_transfer",
        reference=reference,
        now=now,
        **changes,
    )


def test_a_payment_is_allocated_oldest_instalment_first(active, owing, supervisor):
    head = audit_head()

    pay(owing, supervisor, "2000.00", "P-1")

    first, second, third = active.instalments.order_by("number")[:3]
    assert (first.paid, first.status) == (Decimal("1366.75"), InstalmentStatus.PAID)
    assert (second.paid, second.status) == (Decimal("633.25"), InstalmentStatus.PARTLY_PAID)
    assert third.paid == 0
    assert selectors.balance(owing) == Decimal("6200.50")
    assert audit_actions_since(head) == ["payment.recorded"]
    assert audit_events_since(head)[0].data["allocations"] == [[1, "1366.75"], [2, "633.25"]]


def test_paying_the_whole_schedule_completes_the_agreement_and_keeps_the_rest_as_credit(
    active, owing, supervisor
):
    head = audit_head()

    pay(owing, supervisor, "8300.50", "P-ALL")

    active.refresh_from_db()
    assert active.state == AgreementState.COMPLETED
    assert selectors.agreement_credit(active) == Decimal("100.00")
    assert audit_actions_since(head) == ["payment.recorded", "agreement.completed"]


def test_the_same_reference_again_is_the_same_payment(active, owing, supervisor):
    first = pay(owing, supervisor, "500.00", "P-2")
    head = audit_head()

    again = pay(owing, supervisor, "500.00", "P-2")

    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert audit_actions_since(head) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": "0.00"}, "AMOUNT_INVALID"),
        ({"paid_on": dt.date(2026, 12, 31)}, "DATE_INVALID"),
        ({"currency": "USD"}, "CURRENCY_MISMATCH"),
        ({"reference": " "}, "FIELD_REQUIRED"),
    ],
)
def test_bad_payments_are_refused(owing, supervisor, changes, code):
    values = {"amount": "100.00", "reference": "P-X", "paid_on": dt.date(2026, 11, 23), "currency": "CNY"}
    values.update(changes)
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        services.payment_record(
            case=owing,
            actor=supervisor,
            amount=Decimal(values["amount"]),
            currency=values["currency"],
            paid_on=values["paid_on"],
            method="bank_transfer",
            reference=values["reference"],
            now=NOW,
        )

    assert refused.value.codes == [code]
    assert audit_actions_since(head) == ["payment.record.refused"]


def test_a_reference_used_for_another_payment_is_refused(owing, supervisor):
    pay(owing, supervisor, "100.00", "P-3")

    with pytest.raises(DomainError) as refused:
        pay(owing, supervisor, "250.00", "P-3")

    assert refused.value.codes == ["DUPLICATE_REFERENCE"]


@pytest.mark.parametrize("role", ["agent", "compliance_officer", "other_supervisor"])
def test_only_the_teams_supervisor_records_payments(owing, all_roles, role):
    with pytest.raises(DomainError) as refused:
        pay(owing, all_roles[role], "100.00", "P-4")

    assert refused.value.codes == ["PERMISSION_DENIED"]


# --- the creditor's payment file ---------------------------------------------------------------------

COLUMNS = ("external_ref", "amount", "currency", "paid_on", "method", "reference", "note")


def payment_file(rows: list[dict[str, str]]) -> bytes:
    return csv_bytes(rows, header=COLUMNS)


def row(case, reference: str, amount: str = "100.00", **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "external_ref": case.external_ref,
        "amount": amount,
        "currency": "CNY",
        "paid_on": "2026-11-20",
        "method": "bank_transfer",
        "reference": reference,
        "note": "",
        **changes,
    }


def test_a_good_file_records_every_payment_in_one_go_and_again_records_nothing(
    active, owing, supervisor, creditor
):
    data = payment_file([row(owing, "F-1"), row(owing, "F-2", amount="1,266.75")])

    report = services.payments_import(
        creditor=creditor, actor=supervisor, data=data, filename="pay.csv", now=NOW
    )
    again = services.payments_import(
        creditor=creditor, actor=supervisor, data=data, filename="pay.csv", now=NOW
    )

    assert (report.created, report.unchanged) == (["F-1", "F-2"], [])
    assert (again.created, again.unchanged) == ([], ["F-1", "F-2"])
    assert selectors.paid_total(owing) == Decimal("1366.75")
    assert active.instalments.get(number=1).status == InstalmentStatus.PAID


def test_one_bad_row_and_nothing_is_recorded(owing, supervisor, creditor):
    data = payment_file(
        [
            row(owing, "G-1"),
            row(owing, "G-2", amount="abc"),
            row(owing, "G-1"),
            {**row(owing, "G-3"), "external_ref": "NO-SUCH-CASE"},
            row(owing, "G-4", method="cash_to_agent"),
        ]
    )
    head = audit_head()

    report = services.payments_import(
        creditor=creditor, actor=supervisor, data=data, filename="pay.csv", now=NOW
    )

    assert not report.ok
    assert {(e.line, e.code) for e in report.errors} == {
        (3, "INVALID_VALUE"),
        (4, "DUPLICATE_REFERENCE"),
        (5, "CASE_NOT_FOUND"),
        (6, "INVALID_VALUE"),
    }
    assert not Payment.objects.exists()
    assert audit_actions_since(head) == ["payments.import.refused"]


def test_a_dry_run_writes_nothing(owing, supervisor, creditor):
    report = services.payments_import(
        creditor=creditor,
        actor=supervisor,
        data=payment_file([row(owing, "D-1")]),
        filename="p.csv",
        dry_run=True,
        now=NOW,
    )

    assert report.created == ["D-1"]
    assert not Payment.objects.exists()


def test_an_xlsx_payment_file_is_read_like_the_placement_file(owing, supervisor, creditor):
    from tests.fixtures.placement import xlsx_bytes

    data = xlsx_bytes(
        [{**row(owing, "X-1"), "amount": 250.5, "paid_on": dt.date(2026, 11, 20)}], header=COLUMNS
    )

    report = services.payments_import(
        creditor=creditor, actor=supervisor, data=data, filename="pay.xlsx", now=NOW
    )

    assert report.created == ["X-1"]
    assert Payment.objects.get().amount == Decimal("250.50")


# --- beat jobs ------------------------------------------------------------------------------------------


@pytest.fixture
def phone(owing):  # type: ignore[no-untyped-def]
    return DebtorPhone.objects.create(
        debtor=owing.debtor, number="13800138000", digest=phone_digest("13800138000"), status="verified"
    )


@pytest.fixture
def outbox(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def sms_lines(path) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def test_a_reminder_goes_three_days_before_within_the_debtors_hours_once(
    active, phone, outbox, django_capture_on_commit_callbacks
):
    too_early = services.reminders_send(now=local(2026, 12, 11, 10))  # four days before 15 December
    at_night = services.reminders_send(now=local(2026, 12, 11, 23))  # three days before, 23:00
    head = audit_head()
    with django_capture_on_commit_callbacks(execute=True):  # the SMS leaves after commit
        sent = services.reminders_send(now=local(2026, 12, 12, 10))
        again = services.reminders_send(now=local(2026, 12, 13, 10))

    assert (too_early, at_night, again) == ([], [], [])
    assert sent == [active.instalments.get(number=1).pk]
    (message,) = sms_lines(outbox)
    assert active.number in message["text"]
    assert "1366" not in message["text"]  # the amount stays off the phone
    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded", "instalment.reminder_sent"]


def test_no_reminder_when_contact_must_cease(active, phone, outbox, owing):
    put_facts(owing, contact_ceased=True)

    assert services.reminders_send(now=local(2026, 12, 12, 10)) == []
    assert sms_lines(outbox) == []
    # refused by the contact gate, which leaves the decision
    assert RuleDecision.objects.get(action="contact.reminder").failures[0]["code"] == "CEASE_CONTACT"


def test_an_unpaid_instalment_becomes_overdue_then_the_agreement_breaks(active, owing, supervisor):
    assert services.overdue_mark(now=local(2026, 12, 15, 12)) == []  # due today: not yet overdue
    assert services.overdue_mark(now=local(2026, 12, 16, 12)) == [active.instalments.get(number=1).pk]
    assert services.agreements_break(now=local(2026, 12, 30, 12)) == []  # 14 days overdue: within grace
    head = audit_head()

    assert services.agreements_break(now=local(2027, 1, 1, 12)) == [active.pk]

    active.refresh_from_db()
    owing.refresh_from_db()
    assert active.state == AgreementState.BROKEN
    assert owing.stage == Stage.FOLLOW_UP
    task = FollowUp.objects.get(case=owing)
    assert (task.trigger, task.next_action, task.owner) == ("agreement_broken", "decide", supervisor)
    assert audit_actions_since(head) == ["follow_up.planned", "agreement.broken"]


def test_a_paid_instalment_never_becomes_overdue(active, owing, supervisor):
    pay(owing, supervisor, "1366.75", "P-ON-TIME", paid_on=dt.date(2026, 11, 23))

    assert services.overdue_mark(now=local(2026, 12, 20, 12)) == []


@pytest.fixture
def promised(talked, agent):  # type: ignore[no-untyped-def]
    """A visit completed with a promise of CNY 800 by 10 December."""
    from tests.visits.conftest import attest_all, keyed
    from visits import services as visit_services

    visit_services.visit_log_save(
        visit=talked,
        actor=agent,
        step="outcome",
        data={
            "outcome": "promise_to_pay",
            "promise_amount": Decimal("800.00"),
            "promise_date": dt.date(2026, 12, 10),
        },
        now=local(2026, 11, 26, 10, 50),
    )
    attest_all(talked)
    visit_services.visit_complete(
        visit=talked, actor=agent, idempotency_key=keyed(), now=local(2026, 11, 26, 10, 55)
    )
    return talked


def test_a_promise_is_kept_by_the_payments_that_follow(promised, supervisor):
    services.promises_track(now=local(2026, 11, 27, 9))
    check = PromiseCheck.objects.get()
    assert check.status == "pending"

    pay(
        promised.case,
        supervisor,
        "800.00",
        "PROMISE-1",
        paid_on=dt.date(2026, 11, 27),
        now=local(2026, 11, 27, 12),
    )

    check.refresh_from_db()
    assert check.status == "kept"


def test_a_promise_not_kept_is_broken_after_the_grace_with_a_task(promised, supervisor):
    services.promises_track(now=local(2026, 11, 27, 9))
    assert services.promises_track(now=local(2026, 12, 13, 9)) == []  # three days of grace
    head = audit_head()

    decided = services.promises_track(now=local(2026, 12, 14, 9))

    check = PromiseCheck.objects.get()
    assert decided == [check.pk]
    assert check.status == "broken"
    assert FollowUp.objects.get(case=promised.case).trigger == "promise_broken"
    assert audit_actions_since(head) == ["follow_up.planned", "promise.broken"]
