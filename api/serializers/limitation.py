"""The limitation period of a case and the debtor's acknowledgements of the debt (compliance/limitation.py,
agreements.services.acknowledgement_record). The API is JSON only, so the evidence travels as base64
(bounded by the upload limit before it is decoded); the service judges the file by its content."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agreements.models import AcknowledgementForm

from .common import PersonRefSerializer, UtcDateTimeField


class EvidenceInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, help_text="The file's name, e.g. letter.pdf.")
    content_base64 = serializers.CharField(help_text="The file, base64-encoded (PDF, JPEG, PNG or audio).")

    def validate(self, data: dict[str, Any]) -> SimpleUploadedFile:
        limit = settings.FIELDLEDGER_MAX_UPLOAD_BYTES
        text = data["content_base64"]
        if len(text) > (limit * 4) // 3 + 4:  # before decoding: the base64 of the largest allowed file
            raise serializers.ValidationError(
                {
                    "content_base64": _("The evidence may be at most %(mb)d MB.")
                    % {"mb": limit // (1024 * 1024)}
                }
            )
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise serializers.ValidationError({"content_base64": _("This is not valid base64.")}) from error
        return SimpleUploadedFile(data["name"], content)


class AcknowledgementInputSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=AcknowledgementForm.choices)
    acknowledged_at = serializers.DateTimeField(help_text="When the debtor acknowledged the debt (ISO 8601).")
    statement = serializers.CharField(max_length=2000, help_text="What the debtor said or wrote.")
    evidence = EvidenceInputSerializer()


class AcknowledgementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    form = serializers.ChoiceField(choices=AcknowledgementForm.choices)
    acknowledged_at = UtcDateTimeField()
    evidence_sha256 = serializers.CharField()
    evidence_size = serializers.IntegerField()
    evidence_type = serializers.CharField()
    recorded_by = PersonRefSerializer()
    created_at = UtcDateTimeField()


class InterruptionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    on = serializers.DateField()
    by = serializers.CharField()
    ref = serializers.CharField()


class LimitationSerializer(serializers.Serializer):
    years = serializers.IntegerField()
    overdue_since = serializers.DateField()
    interrupted_by = serializers.ListField(child=serializers.CharField())
    last_interruption = InterruptionSerializer(source="last", allow_null=True)
    runs_until = serializers.DateField()


class FollowUpReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    follow_up_id = serializers.IntegerField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    owner = PersonRefSerializer()
    done_at = UtcDateTimeField(allow_null=True)


class ReviewDoneInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, allow_blank=True, help_text="What the review found.")
