"""The server's clock is the record (visits/services/clock.py): a typed time may precede its recording by
the pack's grace only; a phone notice recorded on the visit day but typed three days earlier does not
satisfy the lead time, and the late recording is in the compliance exceptions report."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import DebtorPhone
from common.errors import DomainError
from common.pii import phone_digest
from compliance import exceptions
from compliance.refusals import RulesRefused
from tests.factories import audit_events_since, audit_head
from tests.visits.conftest import APPROVED_AT, ARRIVAL, NOTICE_AT, keyed
from tests.visits.factories import local
from visits import selectors, services
from visits.models import DeliveryStatus, Visit

pytestmark = pytest.mark.django_db

VISIT_DAY_MORNING = local(2026, 11, 26, 8)


def phone_notice(visit: Visit, actor, *, given_at: dt.datetime, now: dt.datetime):  # type: ignore[no-untyped-def]
    return services.notice_record(
        visit=visit, actor=actor, channel="phone", given_at=given_at, language="zh-hans", now=now
    )


def test_a_phone_notice_typed_three_days_before_its_recording_does_not_satisfy_the_lead_time(
    approved_visit, agent
):
    typed = local(2026, 11, 23, 11)  # after the approval, three days before the visit
    head = audit_head()

    notice = phone_notice(approved_visit, agent, given_at=typed, now=VISIT_DAY_MORNING)

    grace = dt.timedelta(minutes=selectors.pack_for_case(approved_visit.case).typed_time_grace_minutes)
    assert notice.given_at == typed  # the record says what the agent typed...
    assert (notice.recorded_at, notice.counts_from) == (VISIT_DAY_MORNING, VISIT_DAY_MORNING - grace)
    event = next(e for e in audit_events_since(head) if e.action == "notice.recorded")
    assert event.data["late_minutes"] == int((VISIT_DAY_MORNING - grace - typed).total_seconds() // 60)
    # ...but the lead time counts from the recording less the grace: 2 h before the visit, not 24 h
    with pytest.raises(RulesRefused) as refused:
        services.visit_check_in(visit=approved_visit, actor=agent, idempotency_key=keyed(), now=ARRIVAL)
    assert "NOTICE_LEAD_TIME" in refused.value.codes


def test_a_notice_recorded_within_the_grace_counts_from_the_time_typed(approved_visit, agent):
    notice = phone_notice(approved_visit, agent, given_at=NOTICE_AT, now=NOTICE_AT + dt.timedelta(minutes=20))

    assert notice.counts_from == NOTICE_AT
    assert selectors.notice_reached_at(notice) == NOTICE_AT


def test_a_notice_typed_before_the_approval_is_refused(approved_visit, agent):
    with pytest.raises(DomainError) as refused:
        phone_notice(approved_visit, agent, given_at=APPROVED_AT - dt.timedelta(hours=1), now=NOTICE_AT)

    assert refused.value.codes == ["GIVEN_BEFORE_APPROVAL"]


def test_a_late_recording_is_in_the_exceptions_report(approved_visit, agent):
    phone_notice(approved_visit, agent, given_at=local(2026, 11, 23, 11), now=VISIT_DAY_MORNING)

    rows = [r for r in exceptions.rows(exceptions.ReportFilter()) if r.source == "visits.late_recording"]

    assert [(r.what, r.case_id) for r in rows] == [("notice.recorded", approved_visit.case_id)]


def test_a_gateway_receipt_moves_the_delivery_time_of_an_sms_notice(
    approved_visit, agent, settings, tmp_path
):
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    DebtorPhone.objects.create(
        debtor=approved_visit.case.debtor,
        number="13800138000",
        digest=phone_digest("13800138000"),
        status="verified",
    )
    notice = services.notice_record(
        visit=approved_visit,
        actor=agent,
        channel="sms",
        given_at=NOTICE_AT,
        language="zh-hans",
        now=NOTICE_AT,
    )
    services.notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT
    receipt = notice.delivered_at + dt.timedelta(hours=3)

    services.notice_delivered(idempotency_key=notice.idempotency_key, delivered_at=receipt)

    notice.refresh_from_db()
    assert selectors.notice_reached_at(notice) == receipt
