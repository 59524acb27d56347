"""The one contact gate (visits/services/gate.py): a signing link at 23:30 debtor-local, an SMS contact
at 03:00, a lawyer's letter on a time-barred debt and a reminder during an open dispute are each refused
with their code, leave a refused rule decision, and never reach the gateway; an SMS goes only to a
verified number; the pack's per-channel caps hold."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agreements import services
from cases.models import DebtorPhone
from cases.services import disputes
from common.pii import phone_digest
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from tests.agreements.conftest import NOW
from tests.factories import audit_actions_since, audit_head
from tests.visits.factories import local
from visits import services as visit_services
from visits.models import ContactAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def sent(path) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def add_phone(owing, status="verified"):  # type: ignore[no-untyped-def]
    return DebtorPhone.objects.create(
        debtor=owing.debtor, number="13800138000", digest=phone_digest("13800138000"), status=status
    )


def refused_decision(error: RulesRefused, action: str) -> RuleDecision:
    decision = RuleDecision.objects.get(pk=error.decision.pk)  # kept after the rollback
    assert (decision.action, decision.outcome) == (action, RuleDecision.Outcome.REFUSED)
    return decision


def test_a_signing_link_at_2330_debtor_local_is_refused_and_never_sent(
    draft, agent, owing, outbox, django_capture_on_commit_callbacks
):
    add_phone(owing)
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RulesRefused) as error:
        services.signing_link_send(
            agreement=draft, actor=agent, channel="sms", now=local(2026, 11, 23, 23, 30)
        )

    assert error.value.codes == ["CONTACT_WINDOW"]
    refused_decision(error.value, "contact.signing_link")
    assert audit_actions_since(head) == ["rules.refused"]
    assert (callbacks, sent(outbox)) == ([], [])
    assert not draft.signing_links.exists()
    assert not ContactAttempt.objects.exists()


def test_a_signing_link_in_hours_is_a_contact_sent_after_commit(
    draft, agent, owing, outbox, django_capture_on_commit_callbacks
):
    add_phone(owing)
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True):
        services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)

    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded", "agreement.signing_link_sent"]
    contact = ContactAttempt.objects.get()
    assert (contact.channel, contact.result, contact.at) == ("sms", "sent", NOW)
    assert len(sent(outbox)) == 1


def test_a_signing_link_by_sms_to_an_unverified_number_is_refused(draft, agent, owing, outbox):
    add_phone(owing, status="unverified")

    with pytest.raises(RulesRefused) as error:
        services.signing_link_send(agreement=draft, actor=agent, channel="sms", now=NOW)

    assert error.value.codes == ["SMS_UNVERIFIED"]
    refused_decision(error.value, "contact.signing_link")
    assert sent(outbox) == []


def test_an_sms_contact_at_0300_is_refused(owing, agent, outbox):
    phone = add_phone(owing)
    at = local(2026, 11, 23, 3)
    head = audit_head()

    with pytest.raises(RulesRefused) as error:
        visit_services.contact_record(
            case=owing, actor=agent, channel="sms", at=at, result="sent", phone_id=phone.pk, now=at
        )

    assert error.value.codes == ["CONTACT_WINDOW"]
    refused_decision(error.value, "contact.recorded")
    assert audit_actions_since(head) == ["rules.refused"]
    assert not ContactAttempt.objects.exists()
    assert sent(outbox) == []


def test_a_lawyers_letter_on_a_time_barred_debt_is_refused(owing, agent):
    owing.overdue_since = dt.date(2022, 1, 1)
    owing.save()

    with pytest.raises(RulesRefused) as error:
        visit_services.contact_record(
            case=owing, actor=agent, channel="lawyer_letter", at=NOW, result="sent", now=NOW
        )

    assert error.value.codes == ["LIMITATION"]
    decision = refused_decision(error.value, "contact.recorded")
    assert decision.inputs["facts"]["legal_threat"] is True
    assert not ContactAttempt.objects.exists()


def test_a_reminder_during_an_open_dispute_is_refused_once_a_day_and_goes_after_it(
    active, owing, supervisor, compliance_officer, outbox, django_capture_on_commit_callbacks
):
    add_phone(owing)
    complaint = disputes.dispute_open(
        case=owing,
        actor=supervisor,
        channel="phone",
        text="I repaid this loan in June; the amount is wrong.",
        raised_by="debtor",
        now=NOW,
    )
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = services.reminders_send(now=local(2026, 12, 12, 10))
        later_that_day = services.reminders_send(now=local(2026, 12, 12, 11))

    assert (first, later_that_day) == ([], [])
    assert (callbacks, sent(outbox)) == ([], [])
    decision = RuleDecision.objects.get(action="contact.reminder")
    assert decision.outcome == RuleDecision.Outcome.REFUSED
    assert [f["code"] for f in decision.failures] == ["DISPUTE_OPEN"]
    assert audit_actions_since(head) == ["rules.refused"]  # one refusal a day, not one an hour
    assert active.instalments.get(number=1).reminded_at is None  # paused, not dropped

    disputes.dispute_resolve(
        complaint=complaint, actor=compliance_officer, outcome="rejected", reason="The loan is still owed."
    )
    with django_capture_on_commit_callbacks(execute=True):
        resumed = services.reminders_send(now=local(2026, 12, 13, 10))

    assert resumed == [active.instalments.get(number=1).pk]
    assert len(sent(outbox)) == 1


def test_a_reminder_at_night_waits_without_a_decision(
    active, owing, outbox, django_capture_on_commit_callbacks
):
    add_phone(owing)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=local(2026, 12, 12, 23)) == []
        assert services.reminders_send(now=local(2026, 12, 12, 10)) == [active.instalments.get(number=1).pk]

    assert RuleDecision.objects.filter(action="contact.reminder").get().outcome == "allowed"
    assert len(sent(outbox)) == 1


def test_the_packs_sms_cap_refuses_the_fourth_sms_of_the_day(owing, agent):
    phone = add_phone(owing)
    for minute in range(3):
        at = NOW + dt.timedelta(minutes=minute)
        visit_services.contact_record(
            case=owing, actor=agent, channel="sms", at=at, result="sent", phone_id=phone.pk, now=at
        )

    at = NOW + dt.timedelta(minutes=5)
    with pytest.raises(RulesRefused) as error:
        visit_services.contact_record(
            case=owing, actor=agent, channel="sms", at=at, result="sent", phone_id=phone.pk, now=at
        )

    assert error.value.codes == ["CONTACT_FREQUENCY"]
