"""Debtor facts and consents on the API (cases/services/facts.py): what users send and get back.

As everywhere on the user API, personal data is masked: the lawyer's name and contact and the consent
giver's name keep their first character only; notes and reasons are not returned (the case page shows
them to roles with need)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.fact_models import (
    ConsentKind,
    ConsentMethod,
    FactKind,
    FactScope,
    ReceivedVia,
    ReportedBy,
    VulnerabilityCategory,
)
from cases.models import FactSource, TimeZoneSource
from common.money import Currency
from common.pii import mask_middle

from .common import AwareDateTimeField, PersonRefSerializer, UtcDateTimeField


def _masked(value: str) -> str:
    return mask_middle(value, keep_start=1, keep_end=0) if value else ""


class DebtorFactSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField(help_text="The case it was recorded on (it stands for the debtor).")
    kind = serializers.ChoiceField(choices=FactKind.choices)
    in_force = serializers.BooleanField()
    scope = serializers.CharField(
        help_text="cease_contact, representation: all, visits, phone, sms, email, letter."
    )
    received_on = serializers.DateField(allow_null=True)
    received_via = serializers.CharField()
    lawyer_name_masked = serializers.SerializerMethodField()
    lawyer_firm = serializers.CharField()
    lawyer_contact_masked = serializers.SerializerMethodField()
    category = serializers.CharField()
    reported_by = serializers.CharField()
    review_due = serializers.DateField(allow_null=True)
    address_id = serializers.IntegerField(allow_null=True)
    document_id = serializers.IntegerField(allow_null=True)
    recorded_by = PersonRefSerializer()
    recorded_at = UtcDateTimeField(source="created_at")
    lifted_at = UtcDateTimeField(allow_null=True)
    lifted_by = PersonRefSerializer(allow_null=True)

    def get_lawyer_name_masked(self, fact: Any) -> str:
        return _masked(fact.lawyer_name)

    def get_lawyer_contact_masked(self, fact: Any) -> str:
        return _masked(fact.lawyer_contact)


class DebtorFactInputSerializer(serializers.Serializer):
    """The fields a kind needs (others are ignored); the service names each missing one."""

    kind = serializers.ChoiceField(choices=FactKind.choices)
    scope = serializers.ChoiceField(choices=FactScope.choices, required=False, default="")
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    received_via = serializers.ChoiceField(choices=ReceivedVia.choices, required=False, default="")
    lawyer_name = serializers.CharField(max_length=200, required=False, default="")
    lawyer_firm = serializers.CharField(max_length=200, required=False, default="")
    lawyer_contact = serializers.CharField(max_length=200, required=False, default="")
    category = serializers.ChoiceField(choices=VulnerabilityCategory.choices, required=False, default="")
    reported_by = serializers.ChoiceField(choices=ReportedBy.choices, required=False, default="")
    review_due = serializers.DateField(required=False, allow_null=True, default=None)
    address_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    document_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A document already on the case: the evidence.",
    )


class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    given_by_masked = serializers.SerializerMethodField()
    given_at = UtcDateTimeField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    valid_from = UtcDateTimeField()
    valid_until = UtcDateTimeField(allow_null=True)
    address_id = serializers.IntegerField(allow_null=True)
    visit_id = serializers.IntegerField(allow_null=True)
    document_id = serializers.IntegerField(allow_null=True)
    recorded_by = PersonRefSerializer()
    withdrawn_at = UtcDateTimeField(allow_null=True)

    def get_given_by_masked(self, consent: Any) -> str:
        return _masked(consent.given_by)


class ConsentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    given_by = serializers.CharField(max_length=200)
    given_at = AwareDateTimeField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    valid_from = AwareDateTimeField(required=False, allow_null=True, default=None)
    valid_until = AwareDateTimeField(required=False, allow_null=True, default=None)
    address_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    visit_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    document_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Required for a written consent."
    )


class AddressTimeZoneInputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=[TimeZoneSource.AGENT, TimeZoneSource.COORDINATES])
    time_zone = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class FinancesInputSerializer(serializers.Serializer):
    occupation = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    employer = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    monthly_income = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    income_currency = serializers.ChoiceField(choices=Currency.choices, default="CNY")
    assets = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    source = serializers.ChoiceField(choices=FactSource.choices)
