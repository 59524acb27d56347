"""Alibaba Cloud SMS (dysmsapi, API version 2017-05-25), from its documented HTTP API.

- `SendSms`: PhoneNumbers, SignName, TemplateCode, TemplateParam (JSON), OutId (our idempotency key,
  returned in receipts); the answer `{"Code": "OK", "BizId": ...}`. Mainland-China SMS must use an
  approved signature and template: ALIYUN_SMS_TEMPLATE_CODE names a template whose variable
  ALIYUN_SMS_TEMPLATE_PARAM (default `content`) receives the notice text.
- `QuerySendDetails`: PhoneNumber, SendDate (yyyyMMdd), PageSize, CurrentPage, optional BizId; each
  `SmsSendDetailDTO` has SendStatus (1 waiting for the receipt, 2 failed, 3 delivered), ErrCode,
  ReceiveDate ("yyyy-MM-dd HH:mm:ss", China time) and OutId. This is the receipt mechanism used here
  (a pull by the beat job `visits.tasks.pull_sms_receipts`), and the look-up before a retry.
- Requests are signed with the RPC signature v1: the parameters sorted by name, each name and value
  percent-encoded (RFC 3986: space %20, * %2A, ~ kept), joined with & into the canonical query; the
  string to sign is `POST&%2F&` + percent-encode(canonical query); the signature is
  base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)), with SignatureMethod=HMAC-SHA1,
  SignatureVersion=1.0, a fresh SignatureNonce and a UTC Timestamp.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .sms import PermanentError, TemporaryError
from .sms_gateways import Accepted, RetryAfter, http

CHINA = ZoneInfo("Asia/Shanghai")
# Codes that may work later (throttling, the platform's own errors, an empty balance); all others
# (invalid number, signature, template, parameters, credentials) never will.
TEMPORARY_CODES = {
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.AMOUNT_NOT_ENOUGH",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",
}


def percent(value: str) -> str:
    return quote(value, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def domestic(number: str) -> str:
    """QuerySendDetails takes an 11-digit mainland number without its country code."""
    number = number.strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix) :]
    return number


class AliyunSms:
    name = "aliyun"

    @classmethod
    def configuration_problems(cls) -> list[str]:
        required = (
            "ALIYUN_SMS_ACCESS_KEY_ID",
            "ALIYUN_SMS_ACCESS_KEY_SECRET",
            "ALIYUN_SMS_SIGN_NAME",
            "ALIYUN_SMS_TEMPLATE_CODE",
        )
        return [
            f"{name} must be set for the Aliyun SMS gateway."
            for name in required
            if not getattr(settings, name, "")
        ]

    def call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        common = {
            "AccessKeyId": settings.ALIYUN_SMS_ACCESS_KEY_ID,
            "Action": action,
            "Format": "JSON",
            "RegionId": settings.ALIYUN_SMS_REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query = {**common, **params}
        query["Signature"] = sign(query, settings.ALIYUN_SMS_ACCESS_KEY_SECRET)
        response = http("POST", settings.ALIYUN_SMS_ENDPOINT, params=query)
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("Code", ""))
        if response.status_code == 429 or code.startswith("Throttling"):
            raise RetryAfter(f"aliyun {code or response.status_code}")
        if response.status_code >= 500 or code in TEMPORARY_CODES:
            raise TemporaryError(f"aliyun {code or response.status_code}")
        if code != "OK":
            raise PermanentError(f"aliyun {code or response.status_code}")
        return dict(body)

    def send(self, *, to: str, text: str, idempotency_key: str) -> Accepted:
        body = self.call(
            "SendSms",
            {
                "PhoneNumbers": to,
                "SignName": settings.ALIYUN_SMS_SIGN_NAME,
                "TemplateCode": settings.ALIYUN_SMS_TEMPLATE_CODE,
                "TemplateParam": json.dumps({settings.ALIYUN_SMS_TEMPLATE_PARAM: text}, ensure_ascii=False),
                "OutId": idempotency_key,
            },
        )
        return Accepted(provider_id=str(body["BizId"]), gateway_status="OK")

    def details(self, message: Any) -> list[dict[str, Any]]:
        """The gateway's records of this message (matched by OutId = our idempotency key)."""
        sent_on = (message.first_attempt_at or timezone.now()).astimezone(CHINA).strftime("%Y%m%d")
        params = {
            "PhoneNumber": domestic(message.recipient),
            "SendDate": sent_on,
            "PageSize": "50",
            "CurrentPage": "1",
        }
        if message.provider_id:
            params["BizId"] = message.provider_id
        body = self.call("QuerySendDetails", params)
        records = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return [r for r in records if str(r.get("OutId", "")) == message.idempotency_key]

    def find_sent(self, *, message: Any, text: str) -> Accepted | None:
        records = self.details(message)
        if not records:
            return None
        # QuerySendDetails carries no BizId: the OutId identifies the message for later receipts.
        return Accepted(provider_id=f"outid:{message.idempotency_key}", gateway_status="found")

    def receipt(self, message: Any) -> tuple[str, dt.datetime | None, str] | None:
        """(delivered|failed, the carrier's receipt time, error code), or None while it waits."""
        for record in self.details(message):
            status = str(record.get("SendStatus", ""))
            received = _china_time(str(record.get("ReceiveDate") or ""))
            if status == "3":
                return "delivered", received, str(record.get("ErrCode", ""))
            if status == "2":
                return "failed", received, str(record.get("ErrCode", ""))
        return None


def _china_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None
