"""Sending notices and the beat jobs: a duplicated or retried task never sends twice; reminders,
expiry and lead-time flags each happen once, judged at an injected `now`. One test runs the send
through a real Celery worker against Redis and PostgreSQL."""

# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import pytest
from celery.result import EagerResult
from django.db import connection

from compliance.models import AuditEvent
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.factories import VisitFactory, local
from tests.visits.test_notices import URLS, approved, notice_case, record  # noqa: F401 (fixtures)
from visits import services, sms, tasks
from visits.models import Channel, DeliveryStatus, Notice, VisitState

pytestmark = [pytest.mark.urls(URLS)]


class RecordingBackend:
    """A gateway double: records calls; fails temporarily the first `failures` times."""

    calls: list[dict[str, str]] = []
    failures = 0
    permanent = False

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        if RecordingBackend.permanent:
            raise sms.PermanentError("invalid number")
        if RecordingBackend.failures > 0:
            RecordingBackend.failures -= 1
            raise sms.TemporaryError("gateway timeout")
        RecordingBackend.calls.append({"to": to, "key": idempotency_key})
        return f"rec-{len(RecordingBackend.calls)}"


@pytest.fixture
def gateway(settings):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "tests.visits.test_notice_tasks.RecordingBackend"
    RecordingBackend.calls = []
    RecordingBackend.failures = 0
    RecordingBackend.permanent = False
    return RecordingBackend


@pytest.fixture
def queued(approved, agent, gateway) -> Notice:  # type: ignore[no-untyped-def]
    """An SMS notice recorded but not yet sent (its on_commit hook never ran)."""
    return record(approved, agent, channel=Channel.SMS)


@pytest.mark.django_db
def test_running_the_task_twice_sends_once(queued, gateway):
    head = audit_head()

    tasks.send_notice.delay(notice_id=queued.pk)
    tasks.send_notice.delay(notice_id=queued.pk)

    assert len(gateway.calls) == 1
    assert gateway.calls[0]["key"] == queued.idempotency_key
    queued.refresh_from_db()
    assert (queued.delivery_status, queued.delivery_attempts) == (DeliveryStatus.SENT, 1)
    assert queued.delivered_at is not None
    # the contact gate judges the notice again when it is sent (its decision), then `notice.sent`
    assert audit_actions_since(head) == ["rules.allowed", "notice.sent"]
    event = audit_events_since(head)[1]
    assert event.data["channel"] == "sms"
    assert event.data["attempts"] == 1
    assert "rec-1" not in json.dumps(event.data)  # the provider id by digest only


@pytest.fixture
def eager_retries():  # type: ignore[no-untyped-def]
    """Eager `apply` runs each retry in-process, but only when eager errors do not propagate."""
    from config.celery import app

    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


@pytest.mark.django_db
def test_a_retry_after_a_temporary_error_sends_once(queued, gateway, eager_retries):
    gateway.failures = 2
    head = audit_head()

    tasks.send_notice.apply(
        kwargs={"notice_id": queued.pk}, throw=False
    )  # eager apply runs the retries in-process

    assert len(gateway.calls) == 1
    queued.refresh_from_db()
    assert (queued.delivery_status, queued.delivery_attempts) == (DeliveryStatus.SENT, 3)
    assert audit_actions_since(head) == ["rules.allowed"] * 3 + ["notice.sent"]  # judged at each try


@pytest.mark.django_db
def test_a_temporary_error_on_the_last_try_fails_the_notice(queued, gateway, eager_retries):
    gateway.failures = 99

    tasks.send_notice.apply(kwargs={"notice_id": queued.pk}, throw=False)

    queued.refresh_from_db()
    assert queued.delivery_status == DeliveryStatus.FAILED
    assert queued.delivery_attempts == 6  # the first try and five retries
    assert gateway.calls == []
    assert queued.contacts.get().result == "failed"


@pytest.mark.django_db
def test_a_permanent_error_fails_the_notice_at_once_and_is_audited(queued, gateway):
    gateway.permanent = True
    head = audit_head()

    tasks.send_notice.delay(notice_id=queued.pk)
    tasks.send_notice.delay(notice_id=queued.pk)

    queued.refresh_from_db()
    assert (queued.delivery_status, queued.delivery_attempts) == (DeliveryStatus.FAILED, 1)
    assert audit_actions_since(head) == ["rules.allowed", "notice.send_failed"]
    assert audit_events_since(head)[1].data["error"] == "PermanentError"


def test_the_send_task_retries_temporary_errors_with_backoff():
    assert tasks.send_notice.autoretry_for == (sms.TemporaryError,)
    assert tasks.send_notice.retry_backoff is True
    assert tasks.send_notice.max_retries == 5


def test_the_beat_schedule_runs_the_visit_jobs(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["visits-remind-agents"]["task"] == tasks.remind_agents.name
    assert schedule["visits-expire-unapproved"]["task"] == tasks.expire_unapproved_plans.name
    assert schedule["visits-flag-notice-lead-time"]["task"] == tasks.flag_notice_lead_time_at_risk.name


# --- beat jobs -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_go_the_day_before_and_the_hour_before_each_once(approved, agent, other_agent, mailoutbox):
    agent.email, other_agent.email = "li@example.test", "zhao@example.test"
    agent.save()
    other_agent.save()
    head = audit_head()
    start = approved.window_start  # 2026-11-26 10:00 Shanghai

    assert services.visit_reminders_send(now=start - dt.timedelta(hours=25)) == []
    assert services.visit_reminders_send(now=start - dt.timedelta(hours=23)) == [(approved.pk, "day_before")]
    assert services.visit_reminders_send(now=start - dt.timedelta(hours=20)) == []
    assert services.visit_reminders_send(now=start - dt.timedelta(minutes=50)) == [
        (approved.pk, "hour_before")
    ]
    assert services.visit_reminders_send(now=start - dt.timedelta(minutes=10)) == []
    assert services.visit_reminders_send(now=start + dt.timedelta(minutes=10)) == []

    assert len(mailoutbox) == 2
    assert sorted(mailoutbox[0].to) == ["li@example.test", "zhao@example.test"]
    assert audit_actions_since(head) == ["visit.reminder_sent", "visit.reminder_sent"]
    assert [e.data["kind"] for e in audit_events_since(head)] == ["day_before", "hour_before"]


@pytest.mark.django_db
def test_no_reminder_for_a_visit_that_is_not_approved(notice_case, agent):
    visit = VisitFactory(case=notice_case, planned_by=agent, agents=[agent])

    assert services.visit_reminders_send(now=visit.window_start - dt.timedelta(hours=2)) == []


@pytest.mark.django_db
def test_plans_not_approved_by_their_start_expire_and_the_case_can_be_planned_again(notice_case, agent):
    visit = VisitFactory(case=notice_case, planned_by=agent, agents=[agent])
    head = audit_head()

    assert services.visit_plans_expire(now=visit.window_start - dt.timedelta(minutes=1)) == []
    assert services.visit_plans_expire(now=visit.window_start) == [visit.pk]
    assert services.visit_plans_expire(now=visit.window_start + dt.timedelta(hours=1)) == []

    visit.refresh_from_db()
    notice_case.refresh_from_db()
    assert visit.state == VisitState.EXPIRED
    assert notice_case.stage == "verified"
    assert audit_actions_since(head) == ["visit.expired", "case.visit_plan_dropped"]


@pytest.mark.django_db
def test_an_expired_plan_keeps_the_case_planned_while_another_visit_is_live(notice_case, agent):
    stale = VisitFactory(case=notice_case, planned_by=agent, agents=[agent])
    VisitFactory(
        case=notice_case,
        planned_by=agent,
        agents=[agent],
        window_start=local(2026, 12, 1, 10),
        window_end=local(2026, 12, 1, 12),
    )
    head = audit_head()

    services.visit_plans_expire(now=stale.window_start)

    notice_case.refresh_from_db()
    assert notice_case.stage == "visit_planned"
    assert audit_actions_since(head) == ["visit.expired"]


@pytest.mark.django_db
def test_approved_visits_whose_lead_time_cannot_be_met_are_flagged_once(approved):
    head = audit_head()
    start = approved.window_start  # CN pack: 24 h

    assert services.notice_lead_time_flag(now=start - dt.timedelta(hours=24)) == []
    assert services.notice_lead_time_flag(now=start - dt.timedelta(hours=23, minutes=59)) == [approved.pk]
    assert services.notice_lead_time_flag(now=start - dt.timedelta(hours=2)) == []

    assert audit_actions_since(head) == ["visit.notice_lead_time_at_risk"]
    assert audit_events_since(head)[0].data["lead_hours"] == 24


@pytest.mark.django_db
def test_a_notified_visit_is_not_flagged(approved, agent):
    record(approved, agent)

    assert services.notice_lead_time_flag(now=approved.window_start - dt.timedelta(hours=2)) == []


@pytest.mark.django_db
def test_the_beat_tasks_call_the_services(approved, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "visit_reminders_send", lambda: calls.append("remind") or [(1, "x")])
    monkeypatch.setattr(services, "visit_plans_expire", lambda: calls.append("expire") or [2])
    monkeypatch.setattr(services, "notice_lead_time_flag", lambda: calls.append("flag") or [3])

    assert tasks.remind_agents.delay().get() == [[1, "x"]]
    assert tasks.expire_unapproved_plans.delay().get() == [2]
    assert tasks.flag_notice_lead_time_at_risk.delay().get() == [3]
    assert calls == ["remind", "expire", "flag"]


# --- a real worker --------------------------------------------------------------------------------


@pytest.fixture
def real_worker_app():  # type: ignore[no-untyped-def]
    """config.celery.app talking to REDIS_URL for real, on a queue of its own; restored afterwards."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    redis_url = os.environ["REDIS_URL"]
    queue = f"fieldledger-test-{uuid.uuid4().hex[:8]}"
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
    )
    app.__dict__.pop("amqp", None)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield app
    finally:
        app.conf.update(saved)
        app.__dict__.pop("amqp", None)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server: set REDIS_URL")
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker thread opens its own database connection; SQLite's in-memory test database is not "
    "shared with it (set DATABASE_URL to PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the notice
def test_send_notice_twice_through_a_real_worker_sends_once(
    shipped_rule_packs, approved, agent, gateway, real_worker_app
):
    # Recorded through the service (the contact gate, then the outbox publishes the send after commit,
    # to the worker); the shipped packs are back after another transactional test's flush. Two more
    # deliveries of the same task, as a broker may redeliver: the gateway is still called once.
    notice = record(approved, agent, channel=Channel.SMS)
    first = tasks.send_notice.delay(notice_id=notice.pk)
    second = tasks.send_notice.delay(notice_id=notice.pk)

    assert not isinstance(first, EagerResult)
    assert {first.get(timeout=30), second.get(timeout=30)} == {"sent"}
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT
    assert len(gateway.calls) == 1  # the worker thread shares this process's backend double
    assert AuditEvent.objects.filter(action="notice.sent", object_id=str(notice.pk)).count() == 1


@pytest.mark.django_db
def test_a_reminder_that_could_not_be_sent_is_tried_again_on_the_next_run(
    approved, agent, monkeypatch, mailoutbox
):
    agent.email = "li@example.test"
    agent.save()
    now = approved.window_start - dt.timedelta(hours=23)

    def smtp_down(self, fail_silently=False):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", smtp_down)
        assert services.visit_reminders_send(now=now) == []
    assert not AuditEvent.objects.filter(action="visit.reminder_sent").exists()

    assert services.visit_reminders_send(now=now) == [(approved.pk, "day_before")]
    assert len(mailoutbox) == 1
