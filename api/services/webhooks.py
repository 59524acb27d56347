"""Webhooks: a creditor's endpoint and secret, and the signed, retried delivery of each stage change.

The request: `POST <url>` with the body `canonical_json(payload)` (UTF-8) and the headers
`X-FieldLedger-Timestamp` (Unix seconds) and `X-FieldLedger-Signature: sha256=<hex>` where
`hex = HMAC-SHA256(secret, f"{timestamp}." + body)`; docs/api.md shows how a creditor checks it.
A 2xx answer delivers; anything else (another status, a redirect, a timeout, a refused connection)
is logged as an attempt and retried with exponential backoff until API_WEBHOOK_MAX_ATTEMPTS.

Never twice after a success: the delivery row is locked for the whole try, so two workers running the
same delivery serialize and the second finds it delivered (or its retry not yet due) and does nothing.
If the receiver answered 2xx but this server died before its commit, the try is repeated with the
same `X-FieldLedger-Delivery` id, by which a receiver recognizes a repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Creditor
from common.errors import DomainError, Failure, PermissionRefused
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import crypto, policies
from ..models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ._shared import now as _now
from .credentials import SOURCE_API

EVENT_TYPE = "case.stage_changed"
TIMESTAMP_HEADER = "X-FieldLedger-Timestamp"
SIGNATURE_HEADER = "X-FieldLedger-Signature"
EVENT_HEADER = "X-FieldLedger-Event"
DELIVERY_HEADER = "X-FieldLedger-Delivery"
SECRET_KIND = "whsec"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class EndpointSecret:
    """An endpoint and its new signing secret: show the secret once; only its encryption is stored."""

    endpoint: WebhookEndpoint
    secret: str


# --- signing --------------------------------------------------------------------------------------


def payload(delivery: WebhookDelivery) -> dict[str, Any]:
    change = delivery.change
    return {
        "id": str(delivery.event_id),
        "type": EVENT_TYPE,
        "case_id": change.case_id,
        "external_ref": change.external_ref,
        "from": change.from_stage,
        "to": change.to_stage,
        "at": audit.format_at(change.at),
    }


def body_of(delivery: WebhookDelivery) -> bytes:
    return audit.canonical_json(payload(delivery)).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed try: base, 2 × base, 4 × base, … capped."""
    base = settings.API_WEBHOOK_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.API_WEBHOOK_RETRY_MAX_SECONDS))


# --- endpoints (the Django admin) -----------------------------------------------------------------


def url_failures(url: str) -> list[Failure]:
    parts = urlsplit(url or "")
    schemes = ("https", "http") if settings.API_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return [
            Failure(
                "WEBHOOK_URL_INVALID",
                _("Give an https:// URL with a host name."),
                SOURCE_API,
                "url",
            )
        ]
    return []


def _new_secret() -> str:
    return f"{SECRET_KIND}_{secrets.token_urlsafe(32)}"


def _set_secret(endpoint: WebhookEndpoint, secret: str) -> None:
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.secret_hint = secret[-4:]
    endpoint.secret_set_at = _now()


def _require_manager(actor: Any) -> None:
    if not policies.can_manage_webhooks(actor):
        raise PermissionRefused.because(_("Only administrators manage webhook endpoints."))


@refusals_recorded("webhook.endpoint_created", subject="creditor", object_type="api.creditor")
@transaction.atomic
def webhook_endpoint_create(
    *, creditor: Creditor, url: str, actor: Any, is_active: bool = True
) -> EndpointSecret:
    _require_manager(actor)
    failures = url_failures(url)
    if WebhookEndpoint.objects.filter(creditor=creditor).exists():
        failures.append(
            Failure(
                "WEBHOOK_EXISTS", _("This creditor already has a webhook endpoint."), SOURCE_API, "creditor"
            )
        )
    if failures:
        raise DomainError(failures)
    secret = _new_secret()
    endpoint = WebhookEndpoint(creditor=creditor, url=url, is_active=is_active)
    _set_secret(endpoint, secret)
    endpoint._history_user = actor  # type: ignore[attr-defined]
    endpoint.full_clean()
    endpoint.save()
    audit.record(
        actor=actor,
        action="webhook.endpoint_created",
        obj=endpoint,
        data={"creditor": creditor.code, "url": url, "active": is_active},
    )
    return EndpointSecret(endpoint, secret)


@refusals_recorded("webhook.endpoint_changed", subject="endpoint", object_type="api.endpoint")
@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, is_active: bool, actor: Any
) -> WebhookEndpoint:
    _require_manager(actor)
    failures = url_failures(url)
    if failures:
        raise DomainError(failures)
    endpoint = WebhookEndpoint.objects.select_for_update().select_related("creditor").get(pk=endpoint.pk)
    changed = [
        name for name, value in (("url", url), ("is_active", is_active)) if getattr(endpoint, name) != value
    ]
    endpoint.url, endpoint.is_active = url, is_active
    endpoint._history_user = actor  # type: ignore[attr-defined]
    endpoint.full_clean()
    endpoint.save()
    audit.record(
        actor=actor,
        action="webhook.endpoint_changed",
        obj=endpoint,
        data={"creditor": endpoint.creditor.code, "changed": changed, "url": url, "active": is_active},
    )
    return endpoint


@refusals_recorded("webhook.secret_rotated", subject="endpoint", object_type="api.endpoint")
@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Any) -> EndpointSecret:
    """A new signing secret; deliveries from now on are signed with it (the old one stops working)."""
    _require_manager(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().select_related("creditor").get(pk=endpoint.pk)
    secret = _new_secret()
    _set_secret(endpoint, secret)
    endpoint._history_user = actor  # type: ignore[attr-defined]
    endpoint.save()
    audit.record(
        actor=actor, action="webhook.secret_rotated", obj=endpoint, data={"creditor": endpoint.creditor.code}
    )
    return EndpointSecret(endpoint, secret)


# --- delivering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # "delivered", "retry", "failed", or "skipped" (nothing to do now)
    retry_in: int | None = None  # seconds until the next try is due


def _post(endpoint: WebhookEndpoint, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.API_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:300]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    reason = "redirects are not followed" if 300 <= response.status_code < 400 else response.reason or ""
    return response.status_code, f"HTTP {response.status_code} {reason}".strip()[:300]


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> DeliveryOutcome:
    """Try one delivery now, if it is pending and due; log the attempt and schedule the next."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint__creditor", "change")
            .filter(pk=delivery_id)
            .first()
        )
        now = now or _now()
        if delivery is None or delivery.status != DeliveryStatus.PENDING or not delivery.endpoint.is_active:
            return DeliveryOutcome("skipped")
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return DeliveryOutcome("skipped", int((delivery.next_attempt_at - now).total_seconds()) + 1)
        endpoint = delivery.endpoint
        body = body_of(delivery)
        started = time.monotonic()
        try:
            secret = crypto.decrypt(endpoint.secret_encrypted)
        except crypto.SecretUnreadable as error:
            status_code, error_text = None, f"SecretUnreadable: {error}"
        else:
            timestamp = int(now.timestamp())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "FieldLedger-Webhooks/1",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature(secret, timestamp, body),
                EVENT_HEADER: EVENT_TYPE,
                DELIVERY_HEADER: str(delivery.event_id),
            }
            status_code, error_text = _post(endpoint, body, headers)
        duration = int((time.monotonic() - started) * 1000)
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error_text
        if not error_text:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.DELIVERED,
                now,
                None,
            )
            outcome = DeliveryOutcome("delivered")
        elif delivery.attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            outcome = DeliveryOutcome("failed")
        else:
            wait = backoff_seconds(delivery.attempts)
            delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
            outcome = DeliveryOutcome("retry", wait)
        delivery.save()
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=now,
            status_code=status_code,
            error=error_text,
            duration_ms=duration,
            next_attempt_at=delivery.next_attempt_at,
        )
        if outcome.status in ("delivered", "failed"):
            audit.record(
                actor=None,
                action=f"webhook.{outcome.status}",
                obj=delivery,
                case_id=delivery.change.case_id,
                data={
                    "creditor": endpoint.creditor.code,
                    "event": str(delivery.event_id),
                    "change": [delivery.change.from_stage, delivery.change.to_stage],
                    "attempts": delivery.attempts,
                    "status_code": status_code,
                },
            )
    return outcome


def webhook_deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries of active endpoints whose next try is due (the beat sweep)."""
    now = now or _now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, endpoint__is_active=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@refusals_recorded("webhook.retry_requested", subject="delivery", object_type="api.delivery")
@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """An administrator asks for one more try of a delivery that gave up (never of a delivered one)."""
    if not policies.can_retry_deliveries(actor):
        raise PermissionRefused.because(_("Only administrators retry webhook deliveries."))
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",)).select_related("change").get(pk=delivery.pk)
    )
    if delivery.status != DeliveryStatus.FAILED:
        raise DomainError(
            [Failure("NOT_FAILED", _("Only a delivery that gave up can be retried."), SOURCE_API, "status")]
        )
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, _now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    audit.record(
        actor=actor,
        action="webhook.retry_requested",
        obj=delivery,
        case_id=delivery.change.case_id,
        data={"event": str(delivery.event_id), "attempts": delivery.attempts},
    )
    return delivery
