"""The nightly chain check as a Celery task: eagerly, and once through a real worker and Redis."""

from __future__ import annotations

import logging
import os
import uuid

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


@pytest.fixture
def real_worker_app():  # type: ignore[no-untyped-def]
    """config.celery.app talking to REDIS_URL for real, on a queue of its own; restored afterwards."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    redis_url = os.environ["REDIS_URL"]
    queue = f"fieldledger-test-{uuid.uuid4().hex[:8]}"  # never picks up (or leaves) others' tasks
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
    )
    app.__dict__.pop("amqp", None)  # queues are derived from the configuration once; derive them again
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
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the events
def test_verify_task_through_a_real_worker(real_worker_app):
    record(5)
    head = audit.verify_chain().head_hash

    async_result = verify_audit_chain.delay()
    result = async_result.get(timeout=30)

    assert not isinstance(async_result, EagerResult)  # it went through Redis to the worker and back
    assert result == {"ok": True, "count": 5, "head": head, "bad_seq": None, "reason": ""}
    assert async_result.successful()
