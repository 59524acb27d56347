"""Sending through a real SMS gateway: the idempotency record, retries with back-off, the adapters.

`send_through_gateway` is what `visits.sms.GatewayBackend` calls. Per message (its idempotency key):

1. a `GatewayMessage` row with a provider id already exists: return that id, send nothing;
2. a previous attempt timed out after the request left (`uncertain`): ask the gateway whether it took
   the message (neither Aliyun nor Twilio offers an idempotency key on send: Aliyun's SendSms says "does
   not support idempotence ... check the delivery receipt status before retrying"); adopt it if so;
3. send, retrying in-process with exponential back-off (honouring Retry-After) on connection errors,
   HTTP 429 and 5xx and the gateway's throttling codes; what still fails is a `TemporaryError` for the
   caller's own retry (the Celery task's back-off), a refusal (invalid number, content) a `PermanentError`.

Neither the number nor the text is ever logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import GatewayMessage, GatewayStatus
from .sms import PermanentError, TemporaryError

log = logging.getLogger(__name__)


class Uncertain(TemporaryError):
    """The request may have reached the gateway (read timeout): look it up before sending again."""


@dataclass(frozen=True)
class Accepted:
    provider_id: str
    gateway_status: str = ""


def adapter_for(jurisdiction: str) -> Any:
    from . import sms_aliyun, sms_twilio

    name = str(getattr(settings, f"SMS_GATEWAY_{jurisdiction}", "") or "")
    adapters = {"aliyun": sms_aliyun.AliyunSms, "twilio": sms_twilio.TwilioSms}
    if name not in adapters:
        raise PermanentError(f"no SMS gateway configured for {jurisdiction} (SMS_GATEWAY_{jurisdiction})")
    return adapters[name]()


def configuration_problems() -> list[str]:
    from . import sms_aliyun, sms_twilio

    problems: list[str] = []
    adapters = {"aliyun": sms_aliyun.AliyunSms, "twilio": sms_twilio.TwilioSms}
    used = set()
    for jurisdiction in ("CN", "US", "UK"):
        name = str(getattr(settings, f"SMS_GATEWAY_{jurisdiction}", "") or "")
        if name not in adapters:
            problems.append(f"SMS_GATEWAY_{jurisdiction} must be 'aliyun' or 'twilio' (is {name!r}).")
        else:
            used.add(name)
    for name in sorted(used):
        problems += adapters[name].configuration_problems()
    return problems


def send_through_gateway(*, to: str, text: str, idempotency_key: str, jurisdiction: str) -> str:
    adapter = adapter_for(jurisdiction)
    now = timezone.now()
    with transaction.atomic():
        message, _created = GatewayMessage.objects.select_for_update().get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "provider": adapter.name,
                "recipient": to,
                "status": GatewayStatus.SENDING,
                "first_attempt_at": now,
            },
        )
        if message.provider_id:
            return message.provider_id  # sent already: never twice
        if message.status == GatewayStatus.UNCERTAIN:
            found = adapter.find_sent(message=message, text=text)
            if found is not None:
                return _accepted(message, found)
        message.attempts += 1
        message.status = GatewayStatus.SENDING
        message.save(update_fields=["attempts", "status", "updated_at"])
    try:
        accepted = with_retries(lambda: adapter.send(to=to, text=text, idempotency_key=idempotency_key))
    except Uncertain:
        GatewayMessage.objects.filter(pk=message.pk).update(status=GatewayStatus.UNCERTAIN)
        raise
    except PermanentError as error:
        GatewayMessage.objects.filter(pk=message.pk).update(
            status=GatewayStatus.FAILED, error_code=str(error)[:64]
        )
        raise
    return _accepted(message, accepted)


def _accepted(message: GatewayMessage, accepted: Accepted) -> str:
    message.provider_id = accepted.provider_id
    message.status = GatewayStatus.ACCEPTED
    message.gateway_status = accepted.gateway_status[:32]
    message.accepted_at = timezone.now()
    message.save(update_fields=["provider_id", "status", "gateway_status", "accepted_at", "updated_at"])
    return accepted.provider_id


def with_retries(call: Callable[[], Any]) -> Any:
    """`call()` with up to SMS_RETRY_ATTEMPTS tries and exponential back-off on `TemporaryError`
    (never on `Uncertain`: that one must be looked up first)."""
    attempts = max(1, int(settings.SMS_RETRY_ATTEMPTS))
    base = float(settings.SMS_RETRY_BASE_SECONDS)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Uncertain:
            raise
        except TemporaryError as error:
            if attempt == attempts:
                raise
            delay = getattr(error, "retry_after", None)
            time.sleep(min(float(delay) if delay is not None else base * 2 ** (attempt - 1), 30.0))
            log.info(
                "SMS gateway: temporary failure (%s), retry %d of %d", type(error).__name__, attempt, attempts
            )
    raise AssertionError("unreachable")


class RetryAfter(TemporaryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def http(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One HTTP call: connection failures are temporary, a read timeout is uncertain."""
    timeout = (float(settings.SMS_HTTP_CONNECT_TIMEOUT), float(settings.SMS_HTTP_READ_TIMEOUT))
    try:
        return requests.request(method, url, timeout=timeout, **kwargs)
    except requests.ConnectTimeout as error:
        raise TemporaryError("gateway connect timeout") from error
    except requests.ReadTimeout as error:
        raise Uncertain("gateway read timeout") from error
    except requests.ConnectionError as error:
        raise TemporaryError("gateway connection error") from error
    except requests.RequestException as error:
        raise TemporaryError(type(error).__name__) from error


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
