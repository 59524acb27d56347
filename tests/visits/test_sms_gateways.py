"""The real SMS gateways (Alibaba Cloud SMS, Twilio) against a local fake HTTP server.

The fake is a real socket server in a thread: it checks each request as the provider documents it
(Aliyun's RPC signature v1 recomputed here independently; Twilio's basic auth and form fields) and
answers from a script, so retries, throttling, refusals and timeouts are exercised over HTTP. Receipts:
Twilio's signed StatusCallback posted to our endpoint, Aliyun's QuerySendDetails pulled by the task.
"""

# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.test_notices import URLS, approved, notice_case, record  # noqa: F401 (fixtures)
from visits import selectors, sms, tasks
from visits.models import Channel, ContactAttempt, DeliveryStatus, GatewayMessage, GatewayStatus, Notice

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

KEY_ID, SECRET = "LTAI-test-key", "aliyun-test-secret"
SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-test-token"
CALLBACK = "https://fieldledger.example.test/visits/sms/receipts/twilio/"


class Fake:
    """Shared state of the fake gateways: requests seen, scripted answers per (provider, action)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: dict[str, list[tuple[int, dict[str, Any], dict[str, str], float]]] = {}
        self.details: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []

    def answer(self, action: str) -> tuple[int, dict[str, Any], dict[str, str], float]:
        queue = self.script.get(action) or []
        return queue.pop(0) if queue else (0, {}, {}, 0.0)


def _aliyun_signature(params: dict[str, str], secret: str) -> str:
    """Alibaba Cloud RPC signature v1, as its "Signature mechanism" page describes (written here apart
    from visits/sms_aliyun.py on purpose)."""

    def enc(value: str) -> str:
        return quote(value, safe="-_.~")

    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
    string_to_sign = "POST&" + enc("/") + "&" + enc(canonical)
    return base64.b64encode(
        hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    ).decode()


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/2010-04-01/"):
                return self._twilio_send(url.path)
            return self._aliyun(dict(parse_qsl(url.query, keep_blank_values=True)))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            fake.requests.append({"provider": "twilio", "action": "List", "params": query})
            to = query.get("To")
            self._reply(200, {"messages": [m for m in fake.messages if m["to"] == to]})

        def _aliyun(self, params: dict[str, str]) -> None:
            action = params.get("Action", "")
            signed = params.get("Signature") == _aliyun_signature(params, SECRET)
            fake.requests.append({"provider": "aliyun", "action": action, "params": params, "signed": signed})
            if not signed or params.get("AccessKeyId") != KEY_ID:
                return self._reply(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
            if action == "QuerySendDetails":
                records = [d for d in fake.details if d["PhoneNum"] == params.get("PhoneNumber")]
                return self._reply(
                    200,
                    {
                        "Code": "OK",
                        "TotalCount": len(records),
                        "SmsSendDetailDTOs": {"SmsSendDetailDTO": records},
                    },
                )
            status, body, headers, delay = fake.answer("SendSms")
            if not status:
                status, body = (
                    200,
                    {"Code": "OK", "Message": "OK", "BizId": f"900{len(fake.requests)}^0", "RequestId": "r"},
                )
            if body.get("Code") == "OK":  # the gateway has the message before it answers (or times out)
                fake.details.append(
                    {
                        "PhoneNum": params["PhoneNumbers"].removeprefix("+86"),
                        "SendStatus": 1,
                        "ErrCode": "",
                        "OutId": params.get("OutId", ""),
                        "ReceiveDate": "",
                    }
                )
            if delay:
                time.sleep(delay)
            self._reply(status, body, headers)

        def _twilio_send(self, path: str) -> None:
            form = self._form()
            auth = self.headers.get("Authorization", "")
            authorized = auth == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            fake.requests.append(
                {
                    "provider": "twilio",
                    "action": "Send",
                    "path": path,
                    "params": form,
                    "authorized": authorized,
                }
            )
            if not authorized:
                return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            status, body, headers, delay = fake.answer("Send")
            sid = f"SM{len(fake.requests):032d}"
            if not status or status == 201:
                fake.messages.append(
                    {
                        "sid": sid,
                        "to": form["To"],
                        "body": form["Body"],
                        "status": "queued",
                        "date_created": "Mon, 07 Dec 2026 10:00:00 +0000",
                    }
                )
            if delay:
                time.sleep(delay)
            if not status:
                status, body = 201, {"sid": sid, "status": "queued"}
            self._reply(status, body, headers)

    return Handler


@pytest.fixture
def fake(settings) -> Iterator[Fake]:  # type: ignore[no-untyped-def]
    state = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_BACKEND = "visits.sms.GatewayBackend"
    settings.SMS_GATEWAY_CN, settings.SMS_GATEWAY_US, settings.SMS_GATEWAY_UK = "aliyun", "twilio", "twilio"
    settings.ALIYUN_SMS_ENDPOINT = base + "/"
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
    settings.ALIYUN_SMS_SIGN_NAME, settings.ALIYUN_SMS_TEMPLATE_CODE = "安信催收", "SMS_123456"
    settings.TWILIO_API_BASE = base
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = SID, TOKEN, "+15005550006"
    settings.TWILIO_STATUS_CALLBACK_URL = CALLBACK
    settings.SMS_RETRY_ATTEMPTS, settings.SMS_RETRY_BASE_SECONDS = 3, 0.01
    settings.SMS_HTTP_CONNECT_TIMEOUT, settings.SMS_HTTP_READ_TIMEOUT = 2.0, 0.5
    yield state
    server.shutdown()
    server.server_close()


def sends(fake: Fake, provider: str) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["provider"] == provider and r["action"] in ("SendSms", "Send")]


# --- Alibaba Cloud SMS ---------------------------------------------------------------------------------


def test_aliyun_sends_a_signed_sendsms_and_never_twice(fake):
    provider_id = sms.send_sms(to="+8613800138000", text="您好，测试", idempotency_key="k-1")

    (request,) = sends(fake, "aliyun")
    params = request["params"]
    assert request["signed"]
    assert (params["SignatureMethod"], params["SignatureVersion"], params["Version"]) == (
        "HMAC-SHA1",
        "1.0",
        "2017-05-25",
    )
    assert (params["PhoneNumbers"], params["SignName"], params["TemplateCode"], params["OutId"]) == (
        "+8613800138000",
        "安信催收",
        "SMS_123456",
        "k-1",
    )
    assert json.loads(params["TemplateParam"]) == {"content": "您好，测试"}
    message = GatewayMessage.objects.get(idempotency_key="k-1")
    assert (message.provider, message.provider_id, message.status) == (
        "aliyun",
        provider_id,
        GatewayStatus.ACCEPTED,
    )

    assert sms.send_sms(to="+8613800138000", text="您好，测试", idempotency_key="k-1") == provider_id
    assert len(sends(fake, "aliyun")) == 1  # the same key is never sent twice


def test_aliyun_retries_5xx_and_throttling_with_back_off(fake):
    fake.script["SendSms"] = [
        (503, {"Code": "ServiceUnavailable"}, {}, 0.0),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"}, {}, 0.0),
    ]

    sms.send_sms(to="13800138000", text="t", idempotency_key="k-2")

    assert len(sends(fake, "aliyun")) == 3
    assert GatewayMessage.objects.get(idempotency_key="k-2").attempts == 1  # one send, three HTTP tries


def test_aliyun_gives_up_temporarily_after_its_attempts(fake):
    fake.script["SendSms"] = [(503, {"Code": "ServiceUnavailable"}, {}, 0.0)] * 3
    with pytest.raises(sms.TemporaryError):
        sms.send_sms(to="13800138000", text="t", idempotency_key="k-3")
    assert len(sends(fake, "aliyun")) == 3
    assert GatewayMessage.objects.get(idempotency_key="k-3").status == GatewayStatus.SENDING


def test_aliyun_refusal_is_permanent_and_not_retried(fake):
    fake.script["SendSms"] = [(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"}, {}, 0.0)]
    with pytest.raises(sms.PermanentError):
        sms.send_sms(to="13800138000", text="t", idempotency_key="k-4")
    assert len(sends(fake, "aliyun")) == 1
    assert GatewayMessage.objects.get(idempotency_key="k-4").status == GatewayStatus.FAILED


def test_aliyun_timeout_is_looked_up_before_sending_again(fake):
    fake.script["SendSms"] = [(200, {"Code": "OK", "BizId": "late^0"}, {}, 1.0)]  # answers after the timeout

    with pytest.raises(sms.TemporaryError):
        sms.send_sms(to="13800138000", text="t", idempotency_key="k-5")
    assert GatewayMessage.objects.get(idempotency_key="k-5").status == GatewayStatus.UNCERTAIN

    provider_id = sms.send_sms(to="13800138000", text="t", idempotency_key="k-5")

    assert len(sends(fake, "aliyun")) == 1  # found by its OutId: not sent a second time
    assert provider_id == "outid:k-5"
    assert [r["action"] for r in fake.requests] == ["SendSms", "QuerySendDetails"]


def test_bad_credentials_are_permanent(fake, settings):
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "wrong"
    with pytest.raises(sms.PermanentError):
        sms.send_sms(to="13800138000", text="t", idempotency_key="k-6")
    assert fake.requests[0]["signed"] is False


# --- Twilio ------------------------------------------------------------------------------------------


def test_twilio_sends_with_basic_auth_and_status_callback(fake):
    provider_id = sms.send_sms(to="+14155550100", text="Hello", idempotency_key="t-1")

    (request,) = sends(fake, "twilio")
    assert request["authorized"]
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["params"] == {
        "To": "+14155550100",
        "Body": "Hello",
        "From": "+15005550006",
        "StatusCallback": CALLBACK,
    }
    assert provider_id.startswith("SM")
    assert sms.send_sms(to="+14155550100", text="Hello", idempotency_key="t-1") == provider_id
    assert len(sends(fake, "twilio")) == 1


def test_twilio_429_waits_retry_after_then_sends(fake):
    fake.script["Send"] = [(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "0"}, 0.0)]
    sms.send_sms(to="+447700900123", text="Hello", idempotency_key="t-2")  # UK: Twilio too
    assert len(sends(fake, "twilio")) == 2


def test_twilio_invalid_number_is_permanent(fake):
    fake.script["Send"] = [
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, {}, 0.0)
    ]
    with pytest.raises(sms.PermanentError):
        sms.send_sms(to="+14155550100", text="Hello", idempotency_key="t-3")
    assert len(sends(fake, "twilio")) == 1


def test_twilio_timeout_is_looked_up_before_sending_again(fake):
    fake.script["Send"] = [(201, {"sid": "SMlate", "status": "queued"}, {}, 1.0)]
    with pytest.raises(sms.TemporaryError):
        sms.send_sms(to="+14155550100", text="Hello", idempotency_key="t-4")

    provider_id = sms.send_sms(to="+14155550100", text="Hello", idempotency_key="t-4")

    assert len(sends(fake, "twilio")) == 1
    assert provider_id == fake.messages[0]["sid"]


# --- notices count from their delivery receipt ---------------------------------------------------------


@pytest.fixture
def sent_notice(approved, agent, fake) -> Notice:  # type: ignore[no-untyped-def]
    notice = record(approved, agent, channel=Channel.SMS)
    tasks.send_notice.delay(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def test_a_gateway_notice_counts_only_from_its_aliyun_receipt(sent_notice, fake):
    assert sent_notice.delivery_status == DeliveryStatus.SENT
    assert sent_notice.delivered_at is None
    assert selectors.latest_accepted_notice(sent_notice.visit) is None  # no receipt: it reached nobody
    assert tasks.pull_sms_receipts.delay().get() == []  # still waiting

    fake.details[0].update(SendStatus=3, ErrCode="DELIVERED", ReceiveDate="2026-11-24 18:07:00")
    head = audit_head()
    message = GatewayMessage.objects.get(idempotency_key=sent_notice.idempotency_key)

    assert tasks.pull_sms_receipts.delay().get() == [[message.pk, "delivered"]]

    sent_notice.refresh_from_db()
    message.refresh_from_db()
    # The carrier's time is later than the server's clock here (the suite's clock is frozen): the
    # server's clock is the record, so the receipt counts from when it was learnt, never later.
    receipt = dt.datetime(2026, 11, 24, 18, 7, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert message.accepted_at <= sent_notice.delivered_at <= min(receipt, timezone.now())
    assert sent_notice.delivered_at == message.receipt_at
    assert selectors.latest_accepted_notice(sent_notice.visit) == sent_notice
    assert audit_actions_since(head) == ["notice.delivered"]
    (event,) = audit_events_since(head)
    assert event.data["gateway"] == "aliyun"
    assert "13800138000" not in json.dumps(event.data)
    assert tasks.pull_sms_receipts.delay().get() == []  # recorded once


def test_an_aliyun_failure_receipt_fails_the_notice(sent_notice, fake):
    fake.details[0].update(SendStatus=2, ErrCode="MK:0001", ReceiveDate="2026-11-24 18:07:00")
    tasks.pull_sms_receipts.delay()
    sent_notice.refresh_from_db()
    assert sent_notice.delivery_status == DeliveryStatus.FAILED
    assert set(ContactAttempt.objects.filter(notice=sent_notice).values_list("result", flat=True)) <= {
        "failed"
    }


def _twilio_post(client: Client, params: dict[str, str], token: str = TOKEN) -> Any:
    data = CALLBACK + "".join(f"{k}{params[k]}" for k in sorted(params))
    signature = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return client.post(reverse("visits:sms-receipt-twilio"), params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def twilio_notice(approved, agent, fake, settings) -> Notice:  # type: ignore[no-untyped-def]
    settings.SMS_GATEWAY_CN = "twilio"  # route the CN test number through Twilio
    notice = record(approved, agent, channel=Channel.SMS)
    tasks.send_notice.delay(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def test_twilio_status_callback_is_signed_and_sets_the_delivery(twilio_notice, fake):
    message = GatewayMessage.objects.get(idempotency_key=twilio_notice.idempotency_key)
    client = Client()
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered", "AccountSid": SID}
    head = audit_head()

    assert _twilio_post(client, params, token="forged").status_code == 403
    assert audit_actions_since(head) == []
    assert _twilio_post(client, {**params, "MessageStatus": "sent"}).status_code == 204  # intermediate
    twilio_notice.refresh_from_db()
    assert twilio_notice.delivered_at is None

    assert _twilio_post(client, params).status_code == 204

    twilio_notice.refresh_from_db()
    assert twilio_notice.delivered_at is not None
    assert audit_actions_since(head) == ["notice.delivered"]
    assert _twilio_post(client, {**params, "MessageStatus": "undelivered"}).status_code == 204  # too late
    twilio_notice.refresh_from_db()
    assert twilio_notice.delivery_status == DeliveryStatus.SENT


def test_twilio_undelivered_callback_fails_the_notice(twilio_notice, fake):
    message = GatewayMessage.objects.get(idempotency_key=twilio_notice.idempotency_key)
    params = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert _twilio_post(Client(), params).status_code == 204
    twilio_notice.refresh_from_db()
    message.refresh_from_db()
    assert twilio_notice.delivery_status == DeliveryStatus.FAILED
    assert (message.status, message.error_code) == (GatewayStatus.FAILED, "30003")


def test_the_receipt_endpoint_refuses_get_and_unsigned_posts(fake):
    client = Client()
    url = reverse("visits:sms-receipt-twilio")
    assert client.get(url).status_code == 405
    assert client.post(url, {"MessageSid": "SMx", "MessageStatus": "delivered"}).status_code == 403
