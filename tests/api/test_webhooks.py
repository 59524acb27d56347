"""Stage changes reach the creditor: the outbox finds every change in the case history (any stage,
any transition, with no help from the stage services), once; each is posted signed, retried with
exponential backoff, logged attempt by attempt, and never delivered twice after a success.
HTTP is mocked with `responses`: no request leaves the machine."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import uuid
from pathlib import Path

import pytest
import requests
import responses
from django.db import connection
from django.utils import timezone

from accounts.services import system_user
from api import crypto, services, tasks
from api.models import CaseStageMark, DeliveryStatus, StageChange, WebhookAttempt, WebhookDelivery
from api.services import outbox
from cases import services as case_services
from cases.models import Case, Stage
from compliance import audit
from tests.factories import (
    TODAY,
    CaseFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
    make_verifiable,
)

pytestmark = pytest.mark.django_db

URL = "https://hooks.hzbank.example/fieldledger"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture
def endpoint(creditor):  # type: ignore[no-untyped-def]
    made = services.webhook_endpoint_create(creditor=creditor, url=URL, actor=system_user())
    made.endpoint.plain_secret = made.secret
    return made.endpoint


@pytest.fixture
def started(db):  # type: ignore[no-untyped-def]
    """The outbox has run once: what happened before it existed is never reported."""
    services.stage_changes_scan()


def verify_and_unverify(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    case_services.case_unverify(case=case, actor=agent, reason="address wrong")


# --- the outbox ----------------------------------------------------------------------------------


def test_each_stage_change_is_found_once(started, case, agent, endpoint):
    verify_and_unverify(case, agent)

    first = services.stage_changes_scan()
    second = services.stage_changes_scan()

    changes = list(StageChange.objects.order_by("history_id"))
    assert [(c.case_id, c.from_stage, c.to_stage) for c in changes] == [
        (case.pk, "new", "verified"),
        (case.pk, "verified", "new"),
    ]
    assert changes[0].external_ref == case.external_ref
    assert len(first.changes) == 2
    assert second.changes == []
    assert second.deliveries == []
    assert sorted(first.deliveries) == sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert CaseStageMark.objects.get(case_id=case.pk).stage == "new"


def test_saves_that_keep_the_stage_are_not_changes(started, case, agent):
    make_verifiable(case, agent)  # facts recorded, the case saved again and again: still `new`

    assert services.stage_changes_scan().changes == []


def test_history_from_before_the_outbox_is_not_reported(case, agent):
    verify_and_unverify(case, agent)

    services.stage_changes_scan()  # the first run starts at the present
    assert not StageChange.objects.exists()
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    services.stage_changes_scan()

    assert [(c.from_stage, c.to_stage) for c in StageChange.objects.all()] == [("new", "verified")]


def test_a_stage_nobody_has_built_yet_is_caught_too(started, case):
    """Another engineer's new transition: saved like any other, with its audit event. The outbox needs
    no change: it reads the stage from the case history, whatever the stage is."""
    Case.objects.filter(pk=case.pk).update(stage=Stage.ON_HOLD)  # as a future transition would set it
    fresh = Case.objects.get(pk=case.pk)
    fresh.save()  # the history row
    audit.record(
        actor=None,
        action="case.put_on_hold",
        obj=fresh,
        case_id=fresh.pk,
        data={"from": "new", "to": "on_hold"},
    )

    result = services.stage_changes_scan()

    assert [(c.from_stage, c.to_stage) for c in StageChange.objects.filter(pk__in=result.changes)] == [
        ("new", "on_hold")
    ]


def test_a_placed_case_is_not_a_change_and_placement_batches_are_read_in_full(
    started, creditor, mandate, monkeypatch
):
    monkeypatch.setattr(outbox, "EVENTS_PER_BATCH", 3)
    cases = [CaseFactory(creditor=creditor, mandate=mandate) for _ in range(4)]
    for case in cases:
        audit.record(actor=None, action="case.imported", obj=case, case_id=case.pk, data={})

    result = services.stage_changes_scan()

    assert result.events == 4
    assert result.changes == []
    assert CaseStageMark.objects.count() == 4


def test_changes_without_an_endpoint_are_kept_but_not_sent(started, case, agent):
    verify_and_unverify(case, agent)

    result = services.stage_changes_scan()

    assert len(result.changes) == 2
    assert result.deliveries == []


# --- signing and delivering ------------------------------------------------------------------------


def docs_verifier():  # type: ignore[no-untyped-def]
    """The verification snippet of docs/api.md, run as the creditor would run it."""
    text = DOCS.read_text(encoding="utf-8")
    code = re.search(r"```python\n(# verify_webhook\.py.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify"]


@responses.activate
def test_a_change_is_posted_signed_and_the_docs_snippet_verifies_it(started, case, agent, endpoint):
    responses.post(URL, status=204)
    verify_and_unverify(case, agent)
    head = audit_head()

    tasks.scan_stage_changes.delay()

    assert len(responses.calls) == 2
    request = responses.calls[0].request
    body = json.loads(request.body)
    delivery = WebhookDelivery.objects.get(event_id=body["id"])
    assert body == {
        "id": str(delivery.event_id),
        "type": "case.stage_changed",
        "case_id": case.pk,
        "external_ref": case.external_ref,
        "from": "new",
        "to": "verified",
        "at": audit.format_at(delivery.change.at),
    }
    timestamp = request.headers["X-FieldLedger-Timestamp"]
    expected = hmac.new(
        endpoint.plain_secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert request.headers["X-FieldLedger-Signature"] == f"sha256={expected}"
    assert request.headers["X-FieldLedger-Delivery"] == str(delivery.event_id)
    verify = docs_verifier()
    now = int(timestamp)
    assert verify(endpoint.plain_secret, request.headers, request.body, now=now) is True
    assert verify("whsec_wrong", request.headers, request.body, now=now) is False
    assert (
        verify(endpoint.plain_secret, request.headers, request.body.replace(b"verified", b"closed"), now=now)
        is False
    )
    assert verify(endpoint.plain_secret, request.headers, request.body, now=now + 600) is False  # a replay
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert audit_actions_since(head) == ["webhook.delivered", "webhook.delivered"]
    assert audit_events_since(head)[0].case_id == case.pk


@pytest.fixture
def delivery(started, case, agent, endpoint):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    services.stage_changes_scan()
    return WebhookDelivery.objects.get()


@responses.activate
def test_failures_are_retried_with_exponential_backoff_and_logged(delivery, settings):
    settings.API_WEBHOOK_RETRY_BASE_SECONDS = 30
    responses.post(URL, status=500)
    responses.post(URL, body=requests.exceptions.ConnectionError("refused"))
    responses.post(URL, status=200)
    t0 = timezone.now()

    first = services.webhook_deliver(delivery_id=delivery.pk, now=t0)
    early = services.webhook_deliver(delivery_id=delivery.pk, now=t0 + dt.timedelta(seconds=29))
    second = services.webhook_deliver(delivery_id=delivery.pk, now=t0 + dt.timedelta(seconds=30))
    third = services.webhook_deliver(delivery_id=delivery.pk, now=t0 + dt.timedelta(seconds=90))
    after = services.webhook_deliver(delivery_id=delivery.pk, now=t0 + dt.timedelta(hours=1))

    assert (first.status, first.retry_in) == ("retry", 30)
    assert early.status == "skipped"
    assert (second.status, second.retry_in) == ("retry", 60)
    assert (third.status, after.status) == ("delivered", "skipped")
    assert len(responses.calls) == 3
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, None), (3, 200)]
    assert log[0].error == "HTTP 500 Internal Server Error"
    assert log[1].error.startswith("ConnectionError")
    assert log[0].next_attempt_at == t0 + dt.timedelta(seconds=30)
    assert log[1].next_attempt_at == t0 + dt.timedelta(seconds=90)
    assert log[2].next_attempt_at is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
    )


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.API_WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.API_WEBHOOK_RETRY_MAX_SECONDS = 200

    assert [services.webhooks.backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


@responses.activate
def test_after_the_last_attempt_it_gives_up_and_says_so(delivery, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 2
    responses.post(URL, status=503)
    head = audit_head()
    t0 = timezone.now()

    services.webhook_deliver(delivery_id=delivery.pk, now=t0)
    last = services.webhook_deliver(delivery_id=delivery.pk, now=t0 + dt.timedelta(hours=1))

    assert last.status == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert audit_actions_since(head) == ["webhook.failed"]
    assert services.webhook_deliveries_due(now=t0 + dt.timedelta(days=1)) == []


@responses.activate
def test_a_redirect_is_not_followed(delivery):
    responses.post(URL, status=302, headers={"Location": "https://elsewhere.example/"})

    services.webhook_deliver(delivery_id=delivery.pk)

    assert len(responses.calls) == 1
    assert WebhookAttempt.objects.get().error == "HTTP 302 redirects are not followed"


@responses.activate
def test_never_twice_after_a_success_however_often_it_is_run(delivery):
    responses.post(URL, status=200)

    for _ in range(3):
        tasks.deliver_webhook.delay(delivery_id=delivery.pk)
    tasks.deliver_due_webhooks.delay()

    assert len(responses.calls) == 1
    assert WebhookAttempt.objects.count() == 1


@responses.activate
def test_the_sweep_sends_what_is_due(delivery):
    responses.post(URL, status=500)
    responses.post(URL, status=200)
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    assert services.webhook_deliveries_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == []
    assert services.webhook_deliveries_due(now=delivery.next_attempt_at) == [delivery.pk]


def test_the_task_retries_through_celery_with_the_backoff(delivery, monkeypatch):
    class Retried(Exception):
        pass

    calls = []

    def fake_retry(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        return Retried()

    monkeypatch.setattr(services, "webhook_deliver", lambda **kw: services.DeliveryOutcome("retry", 60))
    monkeypatch.setattr(tasks.deliver_webhook, "retry", fake_retry)
    task = tasks.deliver_webhook
    task.push_request(is_eager=False)
    try:
        with pytest.raises(Retried):
            task.run(delivery_id=delivery.pk)
    finally:
        task.pop_request()
    assert calls == [{"countdown": 60}]


def test_an_inactive_endpoint_gets_nothing(delivery, endpoint):
    services.webhook_endpoint_update(endpoint=endpoint, url=URL, is_active=False, actor=system_user())

    assert services.webhook_deliver(delivery_id=delivery.pk).status == "skipped"
    assert services.webhook_deliveries_due() == []


@responses.activate
def test_a_secret_that_no_longer_decrypts_is_a_logged_failure_not_a_crash(delivery, settings):
    settings.PII_DIGEST_KEY = "a-different-key"

    outcome = services.webhook_deliver(delivery_id=delivery.pk)

    assert outcome.status == "retry"
    assert WebhookAttempt.objects.get().error.startswith("SecretUnreadable")
    assert len(responses.calls) == 0


@responses.activate
def test_a_failed_delivery_can_be_tried_once_more_by_an_administrator(delivery, administrator, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 1
    responses.post(URL, status=500)
    responses.post(URL, status=200)
    services.webhook_deliver(delivery_id=delivery.pk)
    head = audit_head()

    services.webhook_delivery_retry(delivery=delivery, actor=administrator)
    services.webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert audit_actions_since(head) == ["webhook.retry_requested", "webhook.delivered"]


# --- endpoints and their secrets ------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_rotates(endpoint, administrator):
    stored = endpoint.secret_encrypted
    assert endpoint.plain_secret not in stored
    assert crypto.decrypt(stored) == endpoint.plain_secret
    assert endpoint.secret_hint == endpoint.plain_secret[-4:]
    head = audit_head()

    rotated = services.webhook_secret_rotate(endpoint=endpoint, actor=administrator)

    assert rotated.secret != endpoint.plain_secret
    endpoint.refresh_from_db()
    assert crypto.decrypt(endpoint.secret_encrypted) == rotated.secret
    assert audit_actions_since(head) == ["webhook.secret_rotated"]
    assert rotated.secret not in json.dumps(audit_events_since(head)[0].data)


@pytest.mark.parametrize(
    "url", ["http://hooks.example/x", "ftp://hooks.example/x", "https:///nohost", "not a url"]
)
def test_an_endpoint_needs_an_https_url(creditor, url):
    from common.errors import DomainError

    with pytest.raises(DomainError) as refused:
        services.webhook_endpoint_create(creditor=creditor, url=url, actor=system_user())
    assert refused.value.codes == ["WEBHOOK_URL_INVALID"]


def test_http_is_allowed_only_when_configured(creditor, settings):
    settings.API_WEBHOOK_ALLOW_HTTP = True

    made = services.webhook_endpoint_create(
        creditor=creditor, url="http://127.0.0.1:9000/hook", actor=system_user()
    )

    assert made.endpoint.url.startswith("http://")


def test_only_administrators_manage_endpoints(creditor, supervisor):
    from common.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        services.webhook_endpoint_create(creditor=creditor, url=URL, actor=supervisor)


def test_the_beat_runs_the_outbox_and_the_sweep(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["api-scan-stage-changes"] == {"task": tasks.scan_stage_changes.name, "schedule": 60}
    assert schedule["api-deliver-due-webhooks"] == {"task": tasks.deliver_due_webhooks.name, "schedule": 60}


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
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the deliveries
@responses.activate
def test_a_retry_through_a_real_worker_delivers_once(case, agent, creditor, settings, real_worker_app):
    settings.API_WEBHOOK_RETRY_BASE_SECONDS = 1
    responses.post(URL, status=503)
    responses.post(URL, status=200)
    services.webhook_endpoint_create(creditor=creditor, url=URL, actor=system_user())
    services.stage_changes_scan()
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    scan = services.stage_changes_scan()
    (delivery_id,) = scan.deliveries

    first = tasks.deliver_webhook.delay(delivery_id=delivery_id)
    second = tasks.deliver_webhook.delay(delivery_id=delivery_id)

    assert {first.get(timeout=30), second.get(timeout=30)} <= {"delivered", "skipped"}
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(responses.calls) == 2  # the 503, then the retry: the worker thread shares this mock
    assert WebhookAttempt.objects.filter(delivery_id=delivery_id).count() == 2


@responses.activate
def test_an_api_action_kicks_the_outbox_after_commit(
    started, case, agent, endpoint, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from tests.api.conftest import user_client

    responses.post(URL, status=200)
    make_verifiable(case, agent)
    client = user_client(agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("api:case-verify", args=[case.pk]))

    assert response.status_code == 200
    assert len(callbacks) == 1  # the kick, registered by the view once the service committed
    assert [json.loads(c.request.body)["to"] for c in responses.calls] == ["verified"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
