"""Faults around handing notices over (issue 21): the broker unreachable when a notice is recorded, a
worker dying between the gateway's answer and the record, and the reconciler. The broker here is a
closed port (no Redis needed); the real-Redis versions are in tests/test_fault_tolerance.py."""

# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from common.models import OutboxMessage
from common.outbox import outbox_relay
from tests.factories import audit_actions_since, audit_head
from tests.visits.test_notices import URLS, approved, notice_case, outbox, outbox_lines, record  # noqa: F401
from visits import services, sms, tasks
from visits.models import Channel, DeliveryStatus, VisitState

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

CLOSED_PORT = "redis://127.0.0.1:6398/0"  # nothing listens there (this branch's range, never started)


@pytest.fixture
def broker_down():  # type: ignore[no-untyped-def]
    """The Celery app publishing to a broker that does not answer; restored afterwards."""
    from config.celery import app

    keys = ("broker_url", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=CLOSED_PORT, task_always_eager=False)
    _reset(app)
    yield app
    app.conf.update(saved)
    _reset(app)


def _reset(app):  # type: ignore[no-untyped-def]
    """Connections and queues are derived from the configuration once: derive them again."""
    app.__dict__.pop("amqp", None)
    app._pool = None


def test_a_notice_recorded_while_the_broker_is_down_is_sent_once_when_it_is_back(
    approved, agent, outbox, broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        notice = record(approved, agent, channel=Channel.SMS)
    assert time.monotonic() - started < 10  # fails fast, the request is not held
    notice.refresh_from_db()
    approved.refresh_from_db()
    # The request succeeded: the notice is recorded as queued, the visit notified.
    assert notice.delivery_status == DeliveryStatus.QUEUED
    assert approved.state == VisitState.NOTIFIED
    (message,) = OutboxMessage.objects.all()
    assert (message.task, message.kwargs) == ("visits.tasks.send_notice", {"notice_id": notice.pk})
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert outbox_lines(outbox) == []

    # Still down: the relay tries, leaves it pending.
    assert outbox_relay(older_than=dt.timedelta(0))["published"] == 0
    # The broker is back (here: the eager in-process worker): the relay publishes it, once.
    broker_down.conf.task_always_eager = True
    head = audit_head()
    assert outbox_relay(older_than=dt.timedelta(0))["published"] == 1
    assert outbox_relay(older_than=dt.timedelta(0))["published"] == 0
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT
    assert len(outbox_lines(outbox)) == 1
    # the contact gate judges the notice again when it is sent (its decision), then `notice.sent`
    assert audit_actions_since(head) == ["rules.allowed", "notice.sent"]


def test_the_relay_leaves_a_fresh_message_to_its_own_attempt(approved, agent, outbox, broker_down):
    record(approved, agent, channel=Channel.SMS)  # the after-commit attempt never ran (no commit here)
    broker_down.conf.task_always_eager = True
    assert outbox_relay()["candidates"] == 0  # younger than 30 s
    assert outbox_relay(older_than=dt.timedelta(0))["published"] == 1


class DiesAfterSending(sms.FileBackend):
    """The gateway takes the message, then the worker dies before it records it."""

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        super().send_sms(to=to, text=text, idempotency_key=idempotency_key)
        raise SystemExit("SIGKILL")


def test_a_worker_dying_after_the_gateway_took_the_message_does_not_send_it_twice(
    approved, agent, outbox, settings
):
    notice = record(approved, agent, channel=Channel.SMS)
    settings.SMS_BACKEND = "tests.visits.test_outbox_faults.DiesAfterSending"
    with pytest.raises(SystemExit):
        services.notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    # The attempt was committed before the gateway was called; nothing recorded the send.
    assert (notice.delivery_status, notice.delivery_attempts) == (DeliveryStatus.QUEUED, 1)
    assert len(outbox_lines(outbox)) == 1

    # acks_late: the message comes back to a live worker, which sends with the same key.
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    head = audit_head()
    tasks.send_notice.delay(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.delivery_status, notice.delivery_attempts) == (DeliveryStatus.SENT, 2)
    lines = outbox_lines(outbox)
    assert len(lines) == 1
    assert lines[0]["idempotency_key"] == notice.idempotency_key
    # the contact gate judges the notice again when it is sent (its decision), then `notice.sent`
    assert audit_actions_since(head) == ["rules.allowed", "notice.sent"]


def test_the_reconciler_hands_over_again_a_notice_left_queued(
    approved, agent, outbox, django_capture_on_commit_callbacks
):
    notice = record(approved, agent, channel=Channel.SMS)
    # Published, then lost with a worker (its outbox message is no longer pending).
    OutboxMessage.objects.update(status=OutboxMessage.Status.PUBLISHED, published_at=timezone.now())
    assert services.notices_requeue_stuck() == []  # not late yet
    later = timezone.now() + dt.timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notices_requeue_stuck(now=later) == [notice.pk]
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT  # handed over again, sent (eagerly here)
    assert services.notices_requeue_stuck(now=later + dt.timedelta(minutes=30)) == []


def test_the_reconciler_leaves_to_the_relay_what_the_outbox_still_holds(approved, agent, outbox):
    notice = record(approved, agent, channel=Channel.SMS)  # pending in the outbox (no commit here)
    later = timezone.now() + dt.timedelta(minutes=16)
    assert services.notices_requeue_stuck(now=later) == []
    assert OutboxMessage.objects.filter(kwargs={"notice_id": notice.pk}).count() == 1
