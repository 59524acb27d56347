"""What users (agents, supervisors, compliance officers) send and get back: personal data masked,
exactly as the pages show it (the full values are revealed, audited, only in the UI)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from cases.models import AddressKind, FactSource, IdType, Stage, VerificationStatus
from visits.models import (
    Channel,
    ChecklistItem,
    ContactResult,
    DeliveryStatus,
    NoticeAnswer,
    Purpose,
    VisitState,
)

from .common import AwareDateTimeField, IdField, PersonRefSerializer, UtcDateTimeField, local_iso

NOTICE_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.SMS, Channel.LETTER, Channel.EMAIL)]
CONTACT_CHANNELS = [c for c in Channel.choices if c[0] != Channel.VISIT]
PLACEMENT_RESULTS = [("created", "created"), ("updated", "updated"), ("unchanged", "unchanged")]
ANSWERS = [(a.value, a.label) for a in NoticeAnswer if a != NoticeAnswer.PENDING]
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]


# --- out ------------------------------------------------------------------------------------------


class CreditorRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ErrorEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    source = serializers.CharField(allow_blank=True)
    field = serializers.CharField(allow_blank=True)

    def to_representation(self, instance: Any) -> dict[str, str]:
        return instance.as_dict()


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    creditor = CreditorRefSerializer()
    external_ref = serializers.CharField()
    contract_no = serializers.CharField()
    product = serializers.CharField()
    principal = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    overdue_since = serializers.DateField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_changed_at = UtcDateTimeField(allow_null=True)
    team = serializers.CharField(source="team.code", allow_null=True)
    supervisor = PersonRefSerializer(allow_null=True)
    agents = serializers.SerializerMethodField()
    debtor_name = serializers.CharField(source="debtor.name")

    def get_agents(self, case: Any) -> list[dict[str, Any]]:
        return [{"id": a.agent_id, "name": a.agent.display_name} for a in case.assignments.all()]


class PhoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number_masked = serializers.CharField(source="masked")
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    source = serializers.ChoiceField(choices=FactSource.choices)


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=AddressKind.choices)
    text_masked = serializers.CharField(source="masked")
    time_zone = serializers.CharField()
    time_zone_source = serializers.CharField(help_text="imported, agent or coordinates.")
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    source = serializers.ChoiceField(choices=FactSource.choices)


class DebtorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    id_type = serializers.ChoiceField(choices=IdType.choices)
    id_number_masked = serializers.CharField()
    identity_checked = serializers.BooleanField()
    time_zone = serializers.CharField()
    flags = serializers.SerializerMethodField(help_text="The flags in force, e.g. visits_refused.")
    phones = PhoneSerializer(many=True)
    addresses = AddressSerializer(many=True)

    def get_flags(self, debtor: Any) -> list[str]:
        return [name for name in debtor.FLAG_FIELDS if getattr(debtor, name)]


class MandateSerializer(serializers.Serializer):
    number = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="verify or unverify: POST /cases/{id}/<name>/")
    target = serializers.ChoiceField(choices=Stage.choices)
    available = serializers.BooleanField()
    reasons = ErrorEntrySerializer(many=True, help_text="Why not, when not available (the rule codes).")


class CaseDetailSerializer(CaseSerializer):
    debtor = DebtorSerializer()
    mandate = MandateSerializer(allow_null=True)
    transitions = serializers.SerializerMethodField()

    def get_transitions(self, case: Any) -> list[dict[str, Any]]:
        from cases import selectors

        options = selectors.transition_options(case=case, user=self.context["request"].user)
        return [
            {
                "name": o.name,
                "target": o.target,
                "available": o.available,
                "reasons": [r.as_dict() for r in o.reasons],
            }
            for o in options
        ]


class VisitAddressSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=AddressKind.choices)
    text_masked = serializers.CharField(source="masked")
    time_zone = serializers.CharField()


class VisitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=VisitState.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    address = VisitAddressSerializer()
    window_start = UtcDateTimeField()
    window_end = UtcDateTimeField()
    time_zone = serializers.CharField()
    window_start_local = serializers.SerializerMethodField()
    window_end_local = serializers.SerializerMethodField()
    agents = serializers.SerializerMethodField()
    checklist = serializers.ListField(child=serializers.ChoiceField(choices=ChecklistItem.choices))
    note = serializers.CharField()
    planned_by = PersonRefSerializer()
    approved_by = PersonRefSerializer(allow_null=True)
    approved_at = UtcDateTimeField(allow_null=True)
    return_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    plan_decision_id = serializers.IntegerField(allow_null=True)
    state_changed_at = UtcDateTimeField(allow_null=True)

    def get_window_start_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_start, visit.time_zone)

    def get_window_end_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_end, visit.time_zone)

    def get_agents(self, visit: Any) -> list[dict[str, Any]]:
        return [{"id": va.agent_id, "name": va.agent.display_name} for va in visit.visit_agents.all()]


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    visit_id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    given_at = UtcDateTimeField()
    language = serializers.CharField()
    text_sha256 = serializers.CharField(
        help_text="The text itself (it holds the debtor's link) is on the page."
    )
    delivery_status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    answer = serializers.ChoiceField(choices=NoticeAnswer.choices)
    answered_at = UtcDateTimeField(allow_null=True)
    proposed_window_start = UtcDateTimeField(allow_null=True)
    proposed_window_end = UtcDateTimeField(allow_null=True)
    recorded_by = PersonRefSerializer()


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = UtcDateTimeField()
    result = serializers.ChoiceField(choices=ContactResult.choices)
    visit_id = serializers.IntegerField(allow_null=True)
    notice_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    recorded_by = PersonRefSerializer()
    warnings = serializers.SerializerMethodField(
        help_text="Warnings the rules gave when it was recorded (hours, attempt caps); only in that answer."
    )

    def get_warnings(self, contact: Any) -> list[dict[str, str]]:
        return [w.as_dict() for w in getattr(contact, "warnings", ())]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    roles = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.code", allow_null=True)

    def get_roles(self, user: Any) -> list[str]:
        from accounts.roles import roles_of

        return sorted(roles_of(user))


# --- in -------------------------------------------------------------------------------------------


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class UnverifyInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class AgentIdsField(serializers.ListField):
    """User ids, resolved to users; whether each may go is the service's check (AGENT_* codes)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=IdField(), max_length=20, **kwargs)

    def to_internal_value(self, data: Any) -> list[User]:
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
        unknown = [i for i in ids if i not in users]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown user ids: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}, code="unknown_user"
            )
        return [users[i] for i in ids]


class AssignAgentsInputSerializer(serializers.Serializer):
    agents = AgentIdsField(help_text="The field agents the case is assigned to (the whole set; [] for none).")


class VisitPlanInputSerializer(serializers.Serializer):
    address_id = IdField(
        help_text="One of the debtor's verified addresses (see the case's debtor.addresses)."
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    window_start = AwareDateTimeField(
        help_text="With its offset, e.g. the debtor's: 2026-11-26T10:00:00+08:00."
    )
    window_end = AwareDateTimeField()
    agents = AgentIdsField(min_length=1)
    checklist = serializers.ListField(
        child=serializers.ChoiceField(choices=ChecklistItem.choices), max_length=20
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    place_consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Ignored (kept for existing clients): a place consent counts only as a consent record "
        "(POST cases/{id}/consents/).",
    )
    override_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="A supervisor overriding a refusal the rule pack lets them override.",
    )


class VisitResubmitInputSerializer(serializers.Serializer):
    window_start = AwareDateTimeField()
    window_end = AwareDateTimeField()
    agents = AgentIdsField(min_length=1)
    checklist = serializers.ListField(
        child=serializers.ChoiceField(choices=ChecklistItem.choices), max_length=20
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)
    address_id = IdField(required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    place_consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Ignored (kept for existing clients): a place consent counts only as a consent record "
        "(POST cases/{id}/consents/).",
    )


class ApproveInputSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Approve despite an overridable refusal (e.g. NOTICE_LEAD_TIME), with the written reason.",
    )


class NoticeInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=NOTICE_CHANNELS)
    given_at = AwareDateTimeField(help_text="For SMS and email the server's clock is used: they go out now.")
    language = serializers.ChoiceField(choices=LANGUAGES)
    text = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Empty: the notice template in force."
    )
    phone_id = IdField(
        required=False, allow_null=True, help_text="For phone and SMS: one of the debtor's phones."
    )
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, help_text="For email.")


class NoticeAnswerInputSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=ANSWERS)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    proposed_window_start = AwareDateTimeField(required=False, allow_null=True)
    proposed_window_end = AwareDateTimeField(required=False, allow_null=True)


class ContactInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CONTACT_CHANNELS)
    at = AwareDateTimeField()
    result = serializers.ChoiceField(choices=ContactResult.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    phone_id = IdField(required=False, allow_null=True)


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="A label: which app or device.",
    )
    otp_code = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The six-digit code of the user's authenticator app, or one of their backup codes: required "
            "for the roles that sign in with two factors (TWO_FACTOR_ROLES; supervisors, compliance "
            "officers and administrators in production)."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Shown once.")
    expires_at = UtcDateTimeField()
    user = MeSerializer()


class CaseQuerySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    q = serializers.CharField(
        required=False, max_length=100, help_text="Debtor name, contract no. or reference."
    )


class VisitQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=VisitState.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False, help_text="Only visits I go on.")
