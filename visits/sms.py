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
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Protocol

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
    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(f"SMS {message_id} to {mask_phone(to)} [{idempotency_key}]\n{text}\n")
        return message_id


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(*, to: str, text: str, idempotency_key: str) -> str:
    return get_backend().send_sms(to=to, text=text, idempotency_key=idempotency_key)
