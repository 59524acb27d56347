"""Twilio Programmable Messaging (REST API 2010-04-01), from its documented HTTP API.

- Send: `POST {TWILIO_API_BASE}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth
  (Account SID, Auth Token), form fields To, Body, From (a number) or MessagingServiceSid (MG...), and
  StatusCallback (TWILIO_STATUS_CALLBACK_URL); the answer (201) carries the message `sid` and `status`.
  429 and 5xx are temporary (Retry-After honoured); other 4xx (e.g. 21211 invalid To) are permanent.
- Receipts: Twilio POSTs MessageSid, MessageStatus (queued, sent, delivered, undelivered, failed, ...)
  and ErrorCode to the StatusCallback URL, signed in X-Twilio-Signature = base64(HMAC-SHA1(Auth Token,
  the exact callback URL + each POST parameter name and value, sorted by name)). `signature_valid`
  checks it (visits/receipt_views.py).
- The Messages API has no idempotency key: after a timeout, `find_sent` lists the messages sent To the
  number since the first attempt (`DateSent>=`) and adopts one with the same body.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings

from .sms import PermanentError, TemporaryError
from .sms_gateways import Accepted, RetryAfter, http, retry_after


def expected_signature(url: str, params: Iterable[tuple[str, str]], token: str) -> str:
    data = url + "".join(f"{name}{value}" for name, value in sorted(params, key=lambda item: item[0]))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def signature_valid(url: str, params: Iterable[tuple[str, str]], signature: str) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return hmac.compare_digest(expected_signature(url, params, token), signature)


class TwilioSms:
    name = "twilio"

    @classmethod
    def configuration_problems(cls) -> list[str]:
        problems = [
            f"{name} must be set for the Twilio SMS gateway."
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
            if not getattr(settings, name, "")
        ]
        if not str(settings.TWILIO_STATUS_CALLBACK_URL).startswith("https://"):
            problems.append(
                "TWILIO_STATUS_CALLBACK_URL must be the public https:// URL of the receipts endpoint."
            )
        return problems

    def _url(self, suffix: str) -> str:
        base = str(settings.TWILIO_API_BASE).rstrip("/")
        return f"{base}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/{suffix}"

    def _auth(self) -> tuple[str, str]:
        return (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def _check(self, response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 429 or body.get("code") == 20429:
            raise RetryAfter(f"twilio {response.status_code}", retry_after(response))
        if response.status_code >= 500:
            raise TemporaryError(f"twilio {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"twilio {body.get('code') or response.status_code}")
        return dict(body)

    def send(self, *, to: str, text: str, idempotency_key: str) -> Accepted:
        sender = str(settings.TWILIO_FROM)
        data = {"To": to, "Body": text, "StatusCallback": settings.TWILIO_STATUS_CALLBACK_URL}
        data["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        body = self._check(http("POST", self._url("Messages.json"), data=data, auth=self._auth()))
        return Accepted(provider_id=str(body["sid"]), gateway_status=str(body.get("status", "")))

    def find_sent(self, *, message: Any, text: str) -> Accepted | None:
        since = message.first_attempt_at.astimezone(dt.UTC)
        params = {"To": message.recipient, "DateSent>": since.strftime("%Y-%m-%d"), "PageSize": "50"}
        body = self._check(http("GET", self._url("Messages.json"), params=params, auth=self._auth()))
        for item in body.get("messages") or []:
            created = item.get("date_created")
            try:
                created_at = parsedate_to_datetime(created) if created else None
            except (TypeError, ValueError):
                created_at = None
            if item.get("body") == text and (
                created_at is None or created_at >= since - dt.timedelta(minutes=1)
            ):
                return Accepted(provider_id=str(item["sid"]), gateway_status=str(item.get("status", "")))
        return None


# MessageStatus values that end a message's story, and what they mean for the notice.
FINAL_STATUSES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}
