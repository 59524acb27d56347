"""The generic outbox (common/outbox.py), the audit-export reconciler and the cache-down answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis.exceptions
from django.test import RequestFactory
from django.utils import timezone

from common.middleware import CacheUnavailableMiddleware
from common.models import OutboxMessage
from common.outbox import outbox_enqueue, outbox_publish, outbox_purge, outbox_relay
from compliance import exports, search
from compliance.models import AuditExport
from tests.factories import audit_actions_since, audit_head

pytestmark = pytest.mark.django_db


def test_enqueue_publishes_after_commit_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = outbox_enqueue(task="common.tasks.purge_outbox")
    assert message.status == OutboxMessage.Status.PENDING
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PUBLISHED, 1)
    assert outbox_publish(message_id=message.pk) is False  # published once only


def test_an_unknown_task_stays_pending_with_its_error(caplog):
    message = outbox_enqueue(task="nowhere.tasks.nothing")
    assert outbox_publish(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert "unknown task" in message.last_error


def test_the_relay_logs_what_is_pending_for_long(caplog):
    message = outbox_enqueue(task="nowhere.tasks.nothing")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    result = outbox_relay()
    assert result == {"candidates": 1, "published": 0, "stuck": 1}
    assert "pending for more than" in caplog.text


def test_the_purge_deletes_old_published_messages_only():
    old = outbox_enqueue(task="common.tasks.purge_outbox")
    pending = outbox_enqueue(task="common.tasks.purge_outbox")
    OutboxMessage.objects.filter(pk=old.pk).update(
        status=OutboxMessage.Status.PUBLISHED, published_at=timezone.now() - dt.timedelta(days=8)
    )
    assert outbox_purge() == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [pending.pk]


def test_an_export_left_queued_is_handed_over_again(compliance_officer, django_capture_on_commit_callbacks):
    export = exports.export_request(actor=compliance_officer, filter=search.AuditFilter(), formats=["csv"])
    OutboxMessage.objects.update(status=OutboxMessage.Status.PUBLISHED)  # published, then lost
    assert exports.exports_requeue_stuck() == []
    head = audit_head()
    later = timezone.now() + dt.timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.exports_requeue_stuck(now=later) == [export.pk]
    export.refresh_from_db()
    assert export.status == AuditExport.Status.DONE
    assert audit_actions_since(head) == ["audit.export_requeued", "audit.exported"]


@pytest.mark.parametrize("error", [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError])
def test_the_cache_down_answers_a_json_503_under_the_api(error):
    middleware = CacheUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/api/v1/cases/"), error("refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert json.loads(response.content)["errors"][0]["code"] == "SERVICE_UNAVAILABLE"


def test_the_cache_down_answers_a_page_elsewhere():
    middleware = CacheUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(
        RequestFactory().get("/v/some-token/"), redis.exceptions.ConnectionError("refused")
    )
    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("other")) is None
