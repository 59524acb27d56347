"""Fixtures of the compliance tests: a real Celery worker on Redis (for the tests that need one)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest


@pytest.fixture
def real_worker_app():  # type: ignore[no-untyped-def]
    """config.celery.app talking to REDIS_URL for real, on a queue of its own; restored afterwards."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from config.celery import app

    def close_worker_connections(**kwargs):  # type: ignore[no-untyped-def]
        # The worker thread's own connections: left open, they keep the test database from being dropped.
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()

    redis_url = os.environ["REDIS_URL"]
    queue = f"fieldledger-test-{uuid.uuid4().hex[:8]}"  # never picks up (or leaves) others' tasks
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
    )
    app.__dict__.pop("amqp", None)  # queues are derived from the configuration once; derive them again
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield app
    finally:
        task_postrun.disconnect(close_worker_connections)
        app.conf.update(saved)
        app.__dict__.pop("amqp", None)
