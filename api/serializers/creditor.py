"""What a creditor's system sends and gets back. No personal data goes out: no debtor's name, document,
phone or address, and of the agents only their ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from agreements.models import (
    AgreementKind,
    AgreementState,
    ClosureReason,
    Frequency,
    InstalmentStatus,
    PaymentMethod,
    PaymentSource,
)
from agreements.services.payments import COLUMNS as PAYMENT_COLUMNS
from cases.importing import COLUMNS
from cases.models import Stage
from visits.models import Outcome, Purpose, VisitState

from .common import UtcDateTimeField, local_iso
from .user import PLACEMENT_RESULTS


class PlacementInputSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        help_text=(
            "The placement file's rows as objects keyed by its columns: " + ", ".join(COLUMNS) + ". Text as "
            "JSON strings (integers are read as their digits), amounts as strings or numbers, dates as "
            "YYYY-MM-DD; `phone` may be a list."
        ),
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report; write nothing.")

    def validate_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        limit = settings.API_PLACEMENT_MAX_ROWS
        if len(rows) > limit:
            raise serializers.ValidationError(
                _("At most %(n)d rows per request; send more requests or use the file import.")
                % {"n": limit},
                code="max_length",
            )
        return rows


class PlacementCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    debtors_created = serializers.IntegerField()
    debtors_matched = serializers.IntegerField()
    phones_added = serializers.IntegerField()
    addresses_added = serializers.IntegerField()


class PlacedCaseSerializer(serializers.Serializer):
    external_ref = serializers.CharField()
    id = serializers.IntegerField(
        allow_null=True, help_text="The case id (null in a dry run for a new case)."
    )
    result = serializers.ChoiceField(choices=PLACEMENT_RESULTS)


class PlacementResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = PlacementCountsSerializer()
    cases = PlacedCaseSerializer(many=True)
    summary = serializers.CharField()


class StageHistoryEntrySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    at = UtcDateTimeField()


class CreditorCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    external_ref = serializers.CharField()
    contract_no = serializers.CharField()
    product = serializers.CharField()
    principal = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    overdue_since = serializers.DateField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_changed_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()


class CreditorCaseDetailSerializer(CreditorCaseSerializer):
    stage_history = StageHistoryEntrySerializer(
        many=True, help_text="Each stage the case entered, oldest first (the first is its placement)."
    )


class CreditorCaseQuerySerializer(serializers.Serializer):
    external_ref = serializers.CharField(required=False, max_length=64, help_text="Your reference, exactly.")
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)


class BlankAsNullChoiceField(serializers.ChoiceField):
    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


class CreditorVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    state = serializers.ChoiceField(choices=VisitState.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    window_start = UtcDateTimeField()
    window_end = UtcDateTimeField()
    time_zone = serializers.CharField(help_text="The debtor's time zone the window was planned in.")
    window_start_local = serializers.SerializerMethodField(
        help_text="window_start in time_zone, with offset."
    )
    window_end_local = serializers.SerializerMethodField(help_text="window_end in time_zone, with offset.")
    agents = serializers.SerializerMethodField(help_text="The agents' ids (no names).")
    outcome = BlankAsNullChoiceField(
        choices=Outcome.choices,
        allow_null=True,
        help_text="What came of the visit (its log's outcome) once completed; null before. Only the "
        "outcome: the conversation stays with the agency.",
    )
    completed_at = UtcDateTimeField(allow_null=True, help_text="When the agents submitted the visit log.")
    state_changed_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()

    def get_window_start_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_start, visit.time_zone)

    def get_window_end_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_end, visit.time_zone)

    def get_agents(self, visit: Any) -> list[int]:
        return sorted(va.agent_id for va in visit.visit_agents.all())


class AuditEventSerializer(serializers.Serializer):
    """Exactly one line of `export_audit` (docs/audit-format.md): canonical_json(event) is that line."""

    seq = serializers.IntegerField()
    at = serializers.CharField(help_text="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ")
    actor = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    data = serializers.DictField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        import json

        from compliance.audit import export_line

        return json.loads(export_line(instance))


# --- recall ---------------------------------------------------------------------------------------


class RecallInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why you recall the case (kept on the closure)."
    )
    creditor_reference = serializers.CharField(
        max_length=64, help_text="Your reference for this recall decision (kept on the closure)."
    )
    end_agreement = serializers.BooleanField(
        default=False,
        help_text="Recall even though the debtor has a signed agreement running: it is cancelled. Without "
        "it such a recall is refused (409 AGREEMENT_RUNNING).",
    )


class ClosureOutSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    creditor_reference = serializers.CharField()
    closed_at = UtcDateTimeField()
    paid_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    report_sha256 = serializers.CharField(help_text="SHA-256 of the closing report PDF.")


class RecallResultSerializer(CreditorCaseSerializer):
    closure = ClosureOutSerializer()


# --- payments -------------------------------------------------------------------------------------


class PaymentsInputSerializer(serializers.Serializer):
    payments = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        help_text=(
            "The payment file's rows as objects keyed by its columns: " + ", ".join(PAYMENT_COLUMNS) + ". "
            "`external_ref` is your case reference, `reference` your payment reference (the idempotency "
            "key), `amount` a decimal string, `paid_on` YYYY-MM-DD, `method` one of "
            + ", ".join(PaymentMethod.values)
            + "."
        ),
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report; record nothing.")

    def validate_payments(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        limit = settings.API_PLACEMENT_MAX_ROWS
        if len(rows) > limit:
            raise serializers.ValidationError(
                _("At most %(n)d payments per request; send more requests or use the file import.")
                % {"n": limit},
                code="max_length",
            )
        return rows


class PaymentsCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class PostedPaymentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    id = serializers.IntegerField(
        allow_null=True, help_text="The payment id (null in a dry run for a new one)."
    )
    result = serializers.ChoiceField(
        choices=[("created", "created"), ("unchanged", "unchanged")],
        help_text="unchanged: this reference was already recorded with the same case, amount and date.",
    )


class PaymentsResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = PaymentsCountsSerializer()
    payments = PostedPaymentSerializer(many=True)
    summary = serializers.CharField()


class AllocationOutSerializer(serializers.Serializer):
    instalment = serializers.IntegerField(source="instalment.number", help_text="The instalment's number.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class CreditorPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField(help_text="Your payment reference.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    source = serializers.ChoiceField(choices=PaymentSource.choices)
    agreement = serializers.CharField(
        source="agreement.number", allow_null=True, help_text="The agreement it was allocated to."
    )
    allocations = AllocationOutSerializer(many=True, help_text="How it paid the agreement's instalments.")
    credit = serializers.SerializerMethodField(
        help_text="What was left over beyond the schedule (the agreement's credit); null without agreement."
    )
    created_at = UtcDateTimeField()

    def get_credit(self, payment: Any) -> str | None:
        if payment.agreement_id is None:
            return None
        allocated = sum((a.amount for a in payment.allocations.all()), Decimal("0.00"))
        return str(payment.amount - allocated)


# --- agreement ------------------------------------------------------------------------------------


class InstalmentOutSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.ChoiceField(choices=InstalmentStatus.choices)
    overdue_since = serializers.DateField(allow_null=True)


class CreditorAgreementSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    state = serializers.ChoiceField(choices=AgreementState.choices)
    state_changed_at = UtcDateTimeField(allow_null=True)
    currency = serializers.CharField()
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What the debtor owed when it was drafted."
    )
    total = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What the debtor agreed to pay."
    )
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    first_due_date = serializers.DateField()
    instalment_count = serializers.IntegerField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    approval_required = serializers.BooleanField(help_text="A settlement discount a supervisor approved.")
    approved_at = UtcDateTimeField(allow_null=True)
    signed_at = UtcDateTimeField(allow_null=True)
    completed_at = UtcDateTimeField(allow_null=True)
    broken_at = UtcDateTimeField(allow_null=True)
    pdf_sha256 = serializers.CharField(help_text="SHA-256 of the signed agreement's PDF.")
    instalments = InstalmentOutSerializer(many=True)


class CreditorCaseAgreementSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    currency = serializers.CharField()
    outstanding = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The outstanding amount you placed."
    )
    paid_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Every payment recorded."
    )
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="outstanding − paid_total.")
    agreement = CreditorAgreementSerializer(
        allow_null=True,
        help_text="The agreement the debtor signed last (running, completed, broken or ended), with its "
        "schedule; null when none was signed. Drafts not yet signed are not shown.",
    )
