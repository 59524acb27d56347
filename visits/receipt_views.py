"""Delivery-receipt endpoints of the SMS gateways that push them (Twilio's StatusCallback).

No session and no CSRF token (the gateway posts); the request is trusted only when its X-Twilio-Signature
matches the Auth Token over TWILIO_STATUS_CALLBACK_URL and the posted parameters (403 otherwise, nothing
recorded). Aliyun receipts are pulled instead (visits.tasks.pull_sms_receipts)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import sms_twilio
from .services import sms_receipt_record


@login_not_required
@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    params = [(name, value) for name, values in request.POST.lists() for value in values]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not sms_twilio.signature_valid(settings.TWILIO_STATUS_CALLBACK_URL, params, signature):
        return HttpResponseForbidden("invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    status = (request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower()
    if sid:
        sms_receipt_record(
            provider=sms_twilio.TwilioSms.name,
            provider_id=sid,
            outcome=sms_twilio.FINAL_STATUSES.get(status, ""),
            gateway_status=status,
            error_code=request.POST.get("ErrorCode", ""),
        )
    return HttpResponse(status=204)
