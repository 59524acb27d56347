"""Delivery receipts of real SMS gateways, recorded on the gateway message and on its notice.

A notice sent through a gateway that reports delivery (`visits.sms.GatewayBackend`) is `sent` with no
`delivered_at` until its receipt: the lead time counts from the receipt (`selectors.latest_accepted_notice`
skips a sent notice without one). A "delivered" receipt sets `delivered_at` to the gateway's receipt
time (never later than the server's clock, never before the gateway accepted the message); a failed one
marks the notice failed and its contact attempt failed. Receipts are idempotent: a final status is
never overwritten, a repeated receipt changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance import audit

from ..models import ContactAttempt, ContactResult, DeliveryStatus, GatewayMessage, GatewayStatus, Notice
from ._shared import sha256_hex

log = logging.getLogger(__name__)

FINAL = {GatewayStatus.DELIVERED, GatewayStatus.FAILED}


@transaction.atomic
def sms_receipt_record(
    *,
    provider: str,
    provider_id: str,
    outcome: str,
    gateway_status: str = "",
    reported_at: dt.datetime | None = None,
    error_code: str = "",
) -> GatewayMessage | None:
    """Record one receipt. `outcome` is "delivered", "failed" or "" (an intermediate status, e.g.
    Twilio's "sent"). Returns the message, or None when no message of ours has that id."""
    message = (
        GatewayMessage.objects.select_for_update().filter(provider=provider, provider_id=provider_id).first()
    )
    if message is None:
        return None
    if message.status in FINAL:
        return message  # a repeated or late receipt: the first final one stands
    now = timezone.now()
    message.gateway_status = (gateway_status or outcome)[:32]
    if not outcome:
        message.save(update_fields=["gateway_status", "updated_at"])
        return message
    at = min(reported_at or now, now)
    if message.accepted_at and at < message.accepted_at:
        at = message.accepted_at
    message.status = GatewayStatus.DELIVERED if outcome == "delivered" else GatewayStatus.FAILED
    message.receipt_at, message.error_code = at, error_code[:64]
    message.save(update_fields=["status", "gateway_status", "receipt_at", "error_code", "updated_at"])
    _apply_to_notice(message)
    return message


def _apply_to_notice(message: GatewayMessage) -> None:
    notice = (
        Notice.objects.select_for_update(of=("self",))
        .select_related("visit")
        .filter(idempotency_key=message.idempotency_key)
        .first()
    )
    if notice is None or notice.delivery_status != DeliveryStatus.SENT:
        return  # not a notice (a signing link, a reminder), or no longer waiting for its receipt
    data: dict[str, Any] = {
        "channel": notice.channel,
        "gateway": message.provider,
        "provider_id_digest": sha256_hex(message.provider_id),
        "receipt_at": message.receipt_at.isoformat() if message.receipt_at else None,
    }
    if message.status == GatewayStatus.DELIVERED:
        if notice.delivered_at is not None:
            return
        notice.delivered_at = message.receipt_at
        notice.save(update_fields=["delivered_at", "updated_at"])
        audit.record(
            actor=None, action="notice.delivered", obj=notice, case_id=notice.visit.case_id, data=data
        )
    else:
        notice.delivery_status = DeliveryStatus.FAILED
        notice.save(update_fields=["delivery_status", "updated_at"])
        ContactAttempt.objects.filter(notice=notice).update(result=ContactResult.FAILED)
        audit.record(
            actor=None,
            action="notice.delivery_failed",
            obj=notice,
            case_id=notice.visit.case_id,
            data={**data, "error": message.error_code},
        )


def sms_receipts_pull(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Ask the gateways that do not push receipts (Aliyun) about every message still waiting, up to
    its gateway's look-back (30 days for QuerySendDetails); returns (message id, outcome) per change."""
    from ..sms_aliyun import AliyunSms

    now = now or timezone.now()
    waiting = GatewayMessage.objects.filter(
        provider=AliyunSms.name, status=GatewayStatus.ACCEPTED, accepted_at__gte=now - dt.timedelta(days=29)
    ).order_by("accepted_at")[:500]
    changed: list[tuple[int, str]] = []
    adapter = AliyunSms()
    for message in waiting:
        try:
            receipt = adapter.receipt(message)
        except Exception as error:  # one message's failure must not stop the others
            log.warning("SMS receipt pull failed for message %s: %s", message.pk, type(error).__name__)
            continue
        if receipt is None:
            continue
        outcome, at, code = receipt
        sms_receipt_record(
            provider=message.provider,
            provider_id=message.provider_id,
            outcome=outcome,
            gateway_status=code or outcome,
            reported_at=at,
            error_code="" if outcome == "delivered" else code,
        )
        changed.append((message.pk, outcome))
    return changed
