"""Fixtures of the compliance tests: a real Celery worker on Redis (for the tests that need one)."""

from __future__ import annotations

import os
import uuid

import pytest


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
