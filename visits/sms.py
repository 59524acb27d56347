"""A small pluggable SMS backend: `send_sms(*, to, text, idempotency_key) -> provider message id`.

`settings.SMS_BACKEND` names the class (dotted path). Shipped:

- `FileBackend` (default): the simulated gateway. It appends one JSON line per message to
  `settings.SMS_FILE_PATH` (default var/sms-outbox.jsonl). That file necessarily holds the phone
  numbers and texts, as a real gateway's records would: keep it out of backups, logs and tickets.
- `ConsoleBackend`: writes the message to stdout (the demo), the number masked.

Plugging in a real gateway: write a class with the same `send_sms` method, e.g. in
`myagency/sms.py`, and set `SMS_BACKEND=myagency.sms.AliyunBackend`. It must

1. pass `idempotency_key` to the provider when the provider supports one (most do: "out id",
   "client reference"), so that a message retried after a lost answer is not delivered twice;
2. raise `TemporaryError` for what may work later (timeouts, 5xx, throttling): the Celery task
   retries with exponential back-off; raise `PermanentError` for what never will (invalid number,
   rejected content): the notice is marked failed and not retried;
3. return the provider's message id (only its digest reaches the audit trail);
4. never log the number or the text.

Real gateways (README, "SMS gateways"): `GatewayBackend` sends each message through the gateway of
its jurisdiction (`SMS_GATEWAY_CN`, `SMS_GATEWAY_US`, `SMS_GATEWAY_UK`: `aliyun` or `twilio`; the
jurisdiction is the caller's `jurisdiction=` or the number's country code). The adapters
(visits/sms_aliyun.py, visits/sms_twilio.py) are written against the providers' documented HTTP APIs;
`GatewayMessage` rows keep the provider id and the delivery receipt, and a notice sent through them
counts from its receipt (visits/services/sms_receipts.py). The file and console backends are
simulations: `manage.py check --deploy` refuses them unless ALLOW_SIMULATED_MESSAGING=1 (visits/checks.py).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from common.pii import mask_phone


class SmsError(Exception):
    pass


class TemporaryError(SmsError):
    """May succeed later: the task retries."""


class PermanentError(SmsError):
    """Will never succeed: the notice is marked failed."""


class SmsBackend(Protocol):
    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str: ...


class FileBackend:
    """The simulated gateway: JSON lines in settings.SMS_FILE_PATH (holds phone numbers, see above)."""

    simulated = True

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        # Like a real gateway: a key it already took returns that message, nothing is sent twice.
        if self.path.exists():
            with self.path.open(encoding="utf-8") as sent:
                for raw in sent:
                    try:
                        earlier = json.loads(raw)
                    except ValueError:
                        continue
                    if earlier.get("idempotency_key") == idempotency_key:
                        return str(earlier["id"])
        message_id = f"file-{uuid.uuid4().hex}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": message_id,
            "at": timezone.now().isoformat(),
            "to": to,
            "text": text,
            "idempotency_key": idempotency_key,
        }
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(line, ensure_ascii=False) + "\n")
        return message_id


class ConsoleBackend:
    simulated = True

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(f"SMS {message_id} to {mask_phone(to)} [{idempotency_key}]\n{text}\n")
        return message_id


class GatewayBackend:
    """The real gateways, one per jurisdiction (see the module docstring)."""

    simulated = False
    reports_delivery = True

    def send_sms(self, *, to: str, text: str, idempotency_key: str, jurisdiction: str = "") -> str:
        from .sms_gateways import send_through_gateway

        return send_through_gateway(
            to=to,
            text=text,
            idempotency_key=idempotency_key,
            jurisdiction=jurisdiction or jurisdiction_of(to),
        )

    @classmethod
    def configuration_problems(cls) -> list[str]:
        from .sms_gateways import configuration_problems

        return configuration_problems()


def jurisdiction_of(number: str) -> str:
    """The jurisdiction of a number by its country code; a bare 11-digit 1xx number is a CN mobile."""
    digits = number.strip().replace(" ", "").replace("-", "")
    if digits.startswith(("+86", "0086")) or (len(digits) == 11 and digits.startswith("1")):
        return "CN"
    if digits.startswith(("+44", "0044")):
        return "UK"
    if digits.startswith("+1"):
        return "US"
    return str(settings.SMS_DEFAULT_JURISDICTION)


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def reports_delivery() -> bool:
    """Whether the configured backend reports delivery receipts (then a notice counts from its receipt)."""
    return bool(getattr(import_string(settings.SMS_BACKEND), "reports_delivery", False))


def configuration_problems(backend: Any) -> list[str]:
    """What a backend class lacks to work (the deploy check lists each)."""
    check = getattr(backend, "configuration_problems", None)
    return list(check()) if callable(check) else []


def send_sms(*, to: str, text: str, idempotency_key: str, jurisdiction: str = "") -> str:
    backend = get_backend()
    if jurisdiction and isinstance(backend, GatewayBackend):
        return backend.send_sms(to=to, text=text, idempotency_key=idempotency_key, jurisdiction=jurisdiction)
    return backend.send_sms(to=to, text=text, idempotency_key=idempotency_key)
