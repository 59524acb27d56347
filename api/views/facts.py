"""User endpoints on debtor facts and consents: the case page's "Debtor facts" section through the SAME
services (cases/services/facts.py): the same permission checks, codes and audit events ("via": "api")."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cases import policies as case_policies
from cases import selectors as case_selectors
from cases import services as case_services
from cases.fact_models import Consent, DebtorFact
from cases.models import DebtorAddress

from ..serializers.facts import (
    AddressTimeZoneInputSerializer,
    ConsentInputSerializer,
    ConsentSerializer,
    DebtorFactInputSerializer,
    DebtorFactSerializer,
    FinancesInputSerializer,
)
from ..serializers.user import AddressSerializer, CaseDetailSerializer, ReasonInputSerializer
from .base import Act, Read, UserAction, UserView


def _visible_cases(user: Any) -> QuerySet[Any]:
    return case_policies.cases_visible_to(user).select_related("debtor")


def _facts_visible_to(user: Any) -> QuerySet[DebtorFact]:
    return DebtorFact.objects.filter(case__in=case_policies.cases_visible_to(user)).select_related(
        "case", "recorded_by", "lifted_by"
    )


def _consents_visible_to(user: Any) -> QuerySet[Consent]:
    return Consent.objects.filter(case__in=case_policies.cases_visible_to(user)).select_related(
        "case", "recorded_by"
    )


class CaseDebtorFacts(Read, Act, UserView):
    """GET: the debtor's facts (cease-contact, representation, vulnerability, inconvenient place), in
    force and lifted (keyset on id). POST: record one; the fields its kind needs are named when missing."""

    visible = staticmethod(_visible_cases)
    output_serializer = DebtorFactSerializer
    input_serializer = DebtorFactInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[DebtorFact]:
        case = self.target(url["pk"])
        return DebtorFact.objects.filter(debtor_id=case.debtor_id).select_related("recorded_by", "lifted_by")

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return case_services.debtor_fact_record(case=case, actor=self.request.user, **data)


class DebtorFactLift(UserAction):
    """Lift a fact with the reason (a supervisor of the case's team or a compliance officer)."""

    visible = staticmethod(_facts_visible_to)
    input_serializer = ReasonInputSerializer
    output_serializer = DebtorFactSerializer

    def perform(self, fact: Any, data: dict[str, Any]) -> Any:
        return case_services.debtor_fact_lift(
            case=fact.case, actor=self.request.user, fact_id=fact.pk, reason=data["reason"]
        )


class CaseConsents(Read, Act, UserView):
    """GET: the debtor's consents (hours, place, entry, recording), withdrawn ones too (keyset on id).
    POST: record one: who gave it, when, how, its validity; a place consent names its address."""

    visible = staticmethod(_visible_cases)
    output_serializer = ConsentSerializer
    input_serializer = ConsentInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Consent]:
        case = self.target(url["pk"])
        return Consent.objects.filter(debtor_id=case.debtor_id).select_related("recorded_by")

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return case_services.consent_record(case=case, actor=self.request.user, **data)


class ConsentWithdraw(UserAction):
    """Record that the debtor withdrew a consent, with how and why."""

    visible = staticmethod(_consents_visible_to)
    input_serializer = ReasonInputSerializer
    output_serializer = ConsentSerializer

    def perform(self, consent: Any, data: dict[str, Any]) -> Any:
        return case_services.consent_withdraw(
            case=consent.case, actor=self.request.user, consent_id=consent.pk, reason=data["reason"]
        )


def _addresses_visible_to(user: Any) -> QuerySet[DebtorAddress]:
    return DebtorAddress.objects.filter(
        debtor_id__in=case_policies.cases_visible_to(user).values("debtor_id")
    )


class AddressTimeZone(UserAction):
    """Correct an address's time zone: `source` "agent" with `time_zone`, or "coordinates" to derive it
    from the address's coordinates. Every check then judges the hours in the new zone too."""

    visible = staticmethod(_addresses_visible_to)
    input_serializer = AddressTimeZoneInputSerializer
    output_serializer = AddressSerializer

    def perform(self, address: Any, data: dict[str, Any]) -> Any:
        case = case_policies.cases_visible_to(self.request.user).filter(debtor_id=address.debtor_id).first()
        return case_services.address_time_zone_set(
            case=case, address_id=address.pk, actor=self.request.user, **data
        )


class CaseDebtorFinances(UserAction):
    """Record the debtor's occupation, employer, monthly income (with its currency), assets and where
    they come from; answered with the case (the values themselves are shown on the case page only)."""

    visible = staticmethod(_visible_cases)
    input_serializer = FinancesInputSerializer
    output_serializer = CaseDetailSerializer

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        case_services.debtor_finances_record(case=case, actor=self.request.user, **data)
        return case_selectors.case_detail(user=self.request.user, pk=case.pk) or case
