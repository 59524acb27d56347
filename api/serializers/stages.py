"""What users send and get back on site (check-in, the visit log step by step, attestations, completion,
review) and for repayment (agreements, payments, follow-up plans): the wizard's and the agreement
pages' fields, passed to the same services. The ID card's last characters are compared, never returned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from agreements.models import (
    AgreementKind,
    AgreementState,
    FollowUpStatus,
    Frequency,
    InstalmentStatus,
    NextAction,
    PaymentMethod,
    SignatureRole,
)
from cases.models import Level
from visits.models import (
    CONDUCT_ITEMS,
    DebtorState,
    Entry,
    EvidenceShown,
    Identification,
    LogStatus,
    Outcome,
    PositionStatus,
    Relation,
    VisitState,
)

from .common import AwareDateTimeField, IdField, PersonRefSerializer, UtcDateTimeField
from .user import LANGUAGES, ErrorEntrySerializer


def KeyField(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=64,
        help_text=(
            "A key you make for this submission (8–64 of A-Z a-z 0-9 _ -, e.g. a UUID): sending it again "
            "(a retry after a timeout) records nothing new and answers what the first one recorded."
        ),
        **kwargs,
    )


MONEY = {"max_digits": 14, "decimal_places": 2}

# --- on site: in ----------------------------------------------------------------------------------


class CheckInInputSerializer(serializers.Serializer):
    idempotency_key = KeyField()
    position_status = serializers.ChoiceField(
        choices=PositionStatus.choices,
        default=PositionStatus.UNAVAILABLE,
        help_text="given (with latitude and longitude), denied or unavailable.",
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        required=False,
        allow_null=True,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        required=False,
        allow_null=True,
    )
    accuracy_m = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, allow_null=True)


class ChecksInputSerializer(serializers.Serializer):
    """The identity and credential checks, confirmed at once (then locked)."""

    work_ids_shown = serializers.ListField(
        child=IdField(), max_length=20, default=list, help_text="The agents (ids) who showed their work ID."
    )
    authorization_shown = serializers.BooleanField(default=False)
    authorization_number = serializers.CharField(max_length=64, allow_blank=True, default="")
    purpose_stated = serializers.BooleanField(default=False)
    relation = serializers.ChoiceField(choices=Relation.choices, help_text="Who was met.")
    identification = serializers.ChoiceField(choices=Identification.choices, allow_blank=True, default="")
    id_last4 = serializers.CharField(
        min_length=4,
        max_length=4,
        required=False,
        allow_blank=True,
        default="",
        help_text="With id_card: the last 4 characters of the card sighted; compared, never stored.",
    )
    entry = serializers.ChoiceField(choices=Entry.choices, allow_blank=True, default="")
    entry_consent = serializers.BooleanField(default=False)
    recording_consent = serializers.BooleanField(allow_null=True, default=None, help_text="null: not asked.")


class ConversationInputSerializer(serializers.Serializer):
    """The logged conversation (only with the verified debtor). Fields left out keep the draft's value."""

    started_at = AwareDateTimeField(required=False)
    ended_at = AwareDateTimeField(required=False)
    people_present = serializers.CharField(max_length=500, required=False, allow_blank=True)
    evidence_shown = serializers.ListField(
        child=serializers.ChoiceField(choices=EvidenceShown.choices), max_length=10, required=False
    )
    talking_points = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    default_reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    willingness = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    capacity = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    debtor_state = serializers.ChoiceField(choices=DebtorState.choices, required=False, allow_blank=True)
    safety_incident = serializers.BooleanField(required=False)
    police_called = serializers.BooleanField(required=False)
    incident_note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    statement_shown = serializers.BooleanField(required=False)


class NotDebtorInputSerializer(serializers.Serializer):
    """The person met is not the verified debtor: what was (not) said to them."""

    nothing_about_debt_said = serializers.BooleanField(default=False)
    third_party_note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    promise_amount = serializers.DecimalField(
        **MONEY, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    promise_date = serializers.DateField(required=False, allow_null=True)
    dispute_text = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    reschedule_note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    refuses_visits = serializers.BooleanField(required=False)
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class AttestInputSerializer(serializers.Serializer):
    idempotency_key = KeyField()
    items = serializers.ListField(
        child=serializers.ChoiceField(choices=CONDUCT_ITEMS),
        max_length=len(CONDUCT_ITEMS),
        help_text="Every item must be attested (CONDUCT_ATTESTED); a missing one is refused with its code.",
    )


class CompleteInputSerializer(serializers.Serializer):
    idempotency_key = KeyField()
    client_submitted_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="The phone's clock when it sent the log (kept, not trusted).",
    )


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReturnInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="What the agents must correct.")


# --- on site: out ---------------------------------------------------------------------------------


class CheckInResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    visit_id = serializers.IntegerField()
    agent_id = serializers.IntegerField()
    at = UtcDateTimeField()
    position_status = serializers.ChoiceField(choices=PositionStatus.choices)
    distance_m = serializers.IntegerField(allow_null=True, help_text="From the visit's address, when given.")
    decision_id = serializers.IntegerField(allow_null=True)
    visit_state = serializers.ChoiceField(
        choices=VisitState.choices, help_text="The visit's state afterwards."
    )
    start_refused = ErrorEntrySerializer(
        many=True,
        help_text="Enough agents arrived but the visit could not start (e.g. MIN_AGENTS among those present): "
        "the check-in is kept, the visit stays where it was.",
    )


class VisitLogSerializer(serializers.Serializer):
    visit_id = serializers.IntegerField()
    visit_state = serializers.CharField(source="visit.state")
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LogStatus.choices)
    work_ids_shown = serializers.ListField(child=serializers.IntegerField())
    authorization_shown = serializers.BooleanField()
    authorization_number = serializers.CharField()
    purpose_stated = serializers.BooleanField()
    relation = serializers.CharField()
    identification = serializers.CharField()
    id_match = serializers.BooleanField(allow_null=True, help_text="The card's last characters matched.")
    entry = serializers.CharField()
    entry_consent = serializers.BooleanField()
    recording_consent = serializers.BooleanField(allow_null=True)
    identity_verified = serializers.BooleanField()
    checks_confirmed_at = UtcDateTimeField(allow_null=True)
    started_at = UtcDateTimeField(allow_null=True)
    ended_at = UtcDateTimeField(allow_null=True)
    people_present = serializers.CharField()
    evidence_shown = serializers.ListField(child=serializers.CharField())
    talking_points = serializers.CharField()
    default_reasons = serializers.CharField()
    willingness = serializers.CharField()
    capacity = serializers.CharField()
    debtor_state = serializers.CharField()
    safety_incident = serializers.BooleanField()
    police_called = serializers.BooleanField()
    incident_note = serializers.CharField()
    statement_shown = serializers.BooleanField()
    conversation_saved_at = UtcDateTimeField(allow_null=True)
    nothing_about_debt_said = serializers.BooleanField()
    third_party_note = serializers.CharField()
    outcome = serializers.CharField()
    promise_amount = serializers.DecimalField(**MONEY, allow_null=True)
    promise_date = serializers.DateField(allow_null=True)
    dispute_text = serializers.CharField()
    reschedule_note = serializers.CharField()
    refuses_visits = serializers.BooleanField()
    summary = serializers.CharField()
    attested = serializers.SerializerMethodField(help_text="The agents (ids) who attested their conduct.")

    def get_attested(self, log: Any) -> list[int]:
        return sorted(log.visit.attestations.values_list("agent_id", flat=True))


# --- repayment: in --------------------------------------------------------------------------------


class ScheduleLineSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))


class AgreementDraftInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    total = serializers.DecimalField(
        **MONEY, min_value=Decimal("0.01"), help_text="What the debtor will pay."
    )
    first_due_date = serializers.DateField()
    instalment_count = serializers.IntegerField(min_value=1, max_value=120, default=1)
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.MONTHLY)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    method_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    conditions = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    stated_income = serializers.DecimalField(**MONEY, min_value=Decimal(0), allow_null=True)
    stated_expenses = serializers.DecimalField(**MONEY, min_value=Decimal(0), allow_null=True)
    debtor_requested_terms = serializers.BooleanField(default=False)
    schedule = ScheduleLineSerializer(
        many=True, required=False, allow_null=True, default=None, help_text="A schedule edited by hand."
    )
    visit_id = IdField(required=False, allow_null=True, default=None, help_text="The visit it came from.")
    language = serializers.ChoiceField(choices=LANGUAGES, default="zh-hans")

    def validate_schedule(self, lines: list[dict[str, Any]] | None) -> list[tuple[dt.date, Decimal]] | None:
        if not lines:
            return None
        if len(lines) > 120:
            raise serializers.ValidationError(_("At most 120 instalments."), code="max_length")
        return [(line["due_date"], line["amount"]) for line in lines]


class AgreementApproveInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField(default=True, help_text="false: send it back to the drafter.")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AgreementSignInputSerializer(serializers.Serializer):
    idempotency_key = KeyField()
    agent_signature = serializers.CharField(
        max_length=800_000, help_text="A drawn PNG: base64, or a data:image/png;base64, URL."
    )
    debtor_signature = serializers.CharField(
        max_length=800_000,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Omit when the debtor signed through their link.",
    )
    witness_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    witness_signature = serializers.CharField(
        max_length=800_000, required=False, allow_blank=True, allow_null=True, default=None
    )
    debtor_understood = serializers.BooleanField(default=False)


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=64, help_text="The creditor's payment reference.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FollowUpInputSerializer(serializers.Serializer):
    next_action = serializers.ChoiceField(choices=NextAction.choices)
    next_action_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    due_on = serializers.DateField()
    owner = IdField(
        help_text="Who takes the next action (a user id: an agent of the case or its supervisor)."
    )
    capacity = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True, default="")
    willingness = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True, default="")
    assessment_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    short_goal = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    short_goal_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    short_goal_date = serializers.DateField(required=False, allow_null=True, default=None)
    long_goal = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    long_goal_date = serializers.DateField(required=False, allow_null=True, default=None)
    review_every_days = serializers.IntegerField(min_value=1, max_value=365, default=30)

    def validate_owner(self, pk: int) -> User:
        """The user; whether they may own the plan is the service's check (OWNER_* codes)."""
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise serializers.ValidationError(_("Unknown user id: %(id)s.") % {"id": pk}, code="unknown_user")
        return user


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- repayment: out -------------------------------------------------------------------------------


class InstalmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=InstalmentStatus.choices)
    overdue_since = serializers.DateField(allow_null=True)


class SignatureSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=SignatureRole.choices)
    signed_at = UtcDateTimeField()
    via = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    state = serializers.ChoiceField(choices=AgreementState.choices)
    state_changed_at = UtcDateTimeField(allow_null=True)
    currency = serializers.CharField()
    balance = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY)
    first_due_date = serializers.DateField()
    instalment_count = serializers.IntegerField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    method_note = serializers.CharField()
    conditions = serializers.CharField()
    approval_required = serializers.BooleanField()
    drafted_by = PersonRefSerializer()
    approved_by = PersonRefSerializer(allow_null=True)
    approved_at = UtcDateTimeField(allow_null=True)
    approval_comment = serializers.CharField()
    decision_id = serializers.IntegerField(allow_null=True)
    signed_at = UtcDateTimeField(allow_null=True)
    pdf_sha256 = serializers.CharField()
    instalments = InstalmentSerializer(many=True)
    signatures = SignatureSerializer(many=True)


class UserPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    reference = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    source = serializers.CharField()
    agreement = serializers.CharField(source="agreement.number", allow_null=True)
    allocations = serializers.SerializerMethodField(help_text="[instalment number, amount] pairs.")
    created_at = UtcDateTimeField()

    def get_allocations(self, payment: Any) -> list[dict[str, Any]]:
        return [
            {"instalment": a.instalment.number, "amount": str(a.amount)}
            for a in sorted(payment.allocations.all(), key=lambda a: a.pk)  # prefetched by the list
        ]


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=FollowUpStatus.choices)
    trigger = serializers.CharField()
    next_action = serializers.ChoiceField(choices=NextAction.choices)
    next_action_note = serializers.CharField()
    due_on = serializers.DateField()
    owner = PersonRefSerializer()
    review_every_days = serializers.IntegerField()
    done_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()
