# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
"""Guards found in review: an SMS is judged and recorded at the instant it is sent; a notice cannot
predate the approval; only a notice that reached the debtor counts for the lead time; a queued notice
is withdrawn when the visit was cancelled or contact must cease before it went out."""

from __future__ import annotations

import pytest

from common.errors import DomainError
from tests.debtor_fact_helpers import put_facts
from tests.visits.factories import local
from tests.visits.test_notices import approved, notice_case, outbox, outbox_lines  # noqa: F401
from visits import selectors, services
from visits.models import Channel, DeliveryStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.visits.test_notices")]


def test_an_sms_at_night_is_refused_whatever_time_was_typed(approved, agent, outbox):
    night = local(2026, 11, 24, 23, 30)
    with pytest.raises(DomainError) as error:
        services.notice_record(
            visit=approved,
            actor=agent,
            channel=Channel.SMS,
            given_at=local(2026, 11, 25, 9, 0),
            language="zh-hans",
            now=night,
        )
    assert error.value.codes == ["CONTACT_WINDOW"]
    assert outbox_lines(outbox) == []


def test_an_sms_is_recorded_at_the_instant_it_is_queued(approved, agent, outbox):
    now = local(2026, 11, 24, 10, 5)
    notice = services.notice_record(
        visit=approved,
        actor=agent,
        channel=Channel.SMS,
        given_at=local(2026, 11, 20, 10),
        language="en",
        now=now,
    )
    assert notice.given_at == now


def test_a_notice_cannot_predate_the_approval(approved, agent):
    with pytest.raises(DomainError) as error:
        services.notice_record(
            visit=approved,
            actor=agent,
            channel=Channel.PHONE,
            given_at=local(2026, 11, 20, 10),
            language="en",
            now=local(2026, 11, 24, 10, 5),
        )
    assert error.value.codes == ["GIVEN_BEFORE_APPROVAL"]


def test_a_queued_sms_does_not_count_as_notice_until_it_is_sent(approved, agent, outbox):
    notice = services.notice_record(
        visit=approved,
        actor=agent,
        channel=Channel.SMS,
        given_at=local(2026, 11, 24, 10),
        language="en",
        now=local(2026, 11, 24, 10, 5),
    )
    assert notice.delivery_status == DeliveryStatus.QUEUED
    assert selectors.latest_accepted_notice(approved) is None

    services.notice_send(notice_id=notice.pk)

    sent = selectors.latest_accepted_notice(approved)
    assert sent == notice
    sent.refresh_from_db()
    assert selectors.notice_reached_at(sent) == sent.delivered_at


def test_a_queued_sms_is_withdrawn_when_contact_must_cease_before_it_goes_out(approved, agent, outbox):
    notice = services.notice_record(
        visit=approved,
        actor=agent,
        channel=Channel.SMS,
        given_at=local(2026, 11, 24, 10),
        language="zh-hans",
        now=local(2026, 11, 24, 10, 5),
    )
    put_facts(approved.case, contact_ceased=True)

    services.notice_send(notice_id=notice.pk)

    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.FAILED
    assert outbox_lines(outbox) == []


def test_a_queued_sms_is_withdrawn_when_the_visit_was_cancelled(approved, agent, supervisor, outbox):
    notice = services.notice_record(
        visit=approved,
        actor=agent,
        channel=Channel.SMS,
        given_at=local(2026, 11, 24, 10),
        language="zh-hans",
        now=local(2026, 11, 24, 10, 5),
    )
    services.visit_cancel(visit=approved, actor=supervisor, reason="debtor asked to stop")

    services.notice_send(notice_id=notice.pk)

    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.FAILED
    assert outbox_lines(outbox) == []
