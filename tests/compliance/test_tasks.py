"""The nightly chain check as a Celery task: eagerly, and once through a real worker and Redis."""

from __future__ import annotations

import logging
import os

import pytest
from celery.result import EagerResult
from django.db import connection

from compliance import audit
from compliance.db import create_statements, drop_statements
from compliance.tasks import verify_audit_chain


def record(n: int) -> None:
    audit.record_many(audit.EventSpec("test.event", object_type="t", object_id=str(i)) for i in range(n))


@pytest.mark.django_db
def test_verify_task_eager_reports_an_intact_chain():
    record(3)
    head = audit.verify_chain().head_hash

    result = verify_audit_chain.delay().get(timeout=5)

    assert result == {"ok": True, "count": 3, "head": head, "bad_seq": None, "reason": ""}


@pytest.mark.django_db
def test_verify_task_logs_and_returns_a_broken_chain(caplog):
    record(3)
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("DELETE FROM compliance_auditevent WHERE seq = 2")
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)

    with caplog.at_level(logging.ERROR, logger="fieldledger.audit"):
        result = verify_audit_chain.delay().get(timeout=5)

    assert (result["ok"], result["bad_seq"], result["count"]) == (False, 2, 1)
    assert "gap" in result["reason"]
    assert "audit chain broken at seq 2" in caplog.text


def test_the_task_is_scheduled_nightly(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain-nightly"]

    assert schedule["task"] == verify_audit_chain.name
    assert schedule["schedule"] == 24 * 60 * 60


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server: set REDIS_URL")
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker thread opens its own database connection; SQLite's in-memory test database is not "
    "shared with it (set DATABASE_URL to PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the events
def test_verify_task_through_a_real_worker(real_worker_app):
    record(5)
    head = audit.verify_chain().head_hash

    async_result = verify_audit_chain.delay()
    result = async_result.get(timeout=30)

    assert not isinstance(async_result, EagerResult)  # it went through Redis to the worker and back
    assert result == {"ok": True, "count": 5, "head": head, "bad_seq": None, "reason": ""}
    assert async_result.successful()


@pytest.mark.django_db
def test_a_break_raises_one_alert_and_emails_the_compliance_officers(
    compliance_officer, mailoutbox, django_capture_on_commit_callbacks
):
    from compliance.models import Alert

    compliance_officer.email = "co@example.com"
    compliance_officer.save()
    record(3)
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("UPDATE compliance_auditevent SET object_id = 'forged' WHERE seq = 2")
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)

    with django_capture_on_commit_callbacks(execute=True):
        verify_audit_chain.delay().get(timeout=5)
    with django_capture_on_commit_callbacks(execute=True):
        verify_audit_chain.delay().get(timeout=5)  # the next night: the same break, no second alert

    alert = Alert.objects.get()
    assert (alert.kind, alert.key, alert.data["bad_seq"]) == ("chain_broken", "seq:2", 2)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["co@example.com"]
    assert "Audit chain broken" in mailoutbox[0].subject
    assert "/compliance/" in mailoutbox[0].body
