"""The agreements beat tasks through a real Celery worker on Redis and PostgreSQL (CI), and eagerly."""

from __future__ import annotations

import os

import pytest
import time_machine
from celery.result import EagerResult
from django.db import connection

from agreements import tasks
from agreements.models import AgreementState, InstalmentStatus
from cases.models import Stage
from tests.compliance.conftest import real_worker_app  # noqa: F401 - the fixture
from tests.visits.factories import local


def test_the_daily_task_marks_overdue_and_breaks_eagerly(active, owing):
    with time_machine.travel(local(2027, 1, 2, 12), tick=False):
        result = tasks.daily_follow_up.delay().get()

    assert result["overdue"] == [active.instalments.get(number=1).pk]
    assert result["broken"] == [active.pk]
    owing.refresh_from_db()
    assert owing.stage == Stage.FOLLOW_UP


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server: set REDIS_URL")
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker thread opens its own database connection; SQLite's in-memory database is not shared",
)
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the agreement
def test_the_daily_task_runs_on_a_real_worker_and_twice_is_once(shipped_rule_packs, active, real_worker_app):  # noqa: F811
    with time_machine.travel(local(2027, 1, 2, 12), tick=True):
        first = tasks.daily_follow_up.delay()
        result = first.get(timeout=60)
        second = tasks.daily_follow_up.delay().get(timeout=60)

    assert not isinstance(first, EagerResult)
    assert result["broken"] == [active.pk]
    assert second == {"overdue": [], "broken": [], "promises": []}
    active.refresh_from_db()
    assert active.state == AgreementState.BROKEN
    assert active.instalments.get(number=1).status == InstalmentStatus.OVERDUE
