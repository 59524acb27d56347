"""Reads of the debtor facts and consents in force: what the compliance checks' facts builders ask.

Every builder of rule inputs (visits.selectors.visit_facts, visits.services.onsite.onsite_facts,
agreements.selectors.agreement_facts, the contact services) reads these functions, never the rows or
the Debtor cache directly, so that a fact's scope and a consent's validity are judged in one place.
A dispute is read from the open complaints and disputes of the case (cases/services/disputes.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from compliance.models import Complaint

from .fact_models import Consent, ConsentKind, DebtorFact, FactKind, FactScope

# A contact channel as the checks name it -> the cease-contact / representation scopes that cover it.
CHANNEL_SCOPES: dict[str, tuple[str, ...]] = {
    "visit": (FactScope.ALL, FactScope.VISITS),
    "phone": (FactScope.ALL, FactScope.PHONE),
    "sms": (FactScope.ALL, FactScope.SMS),
    "email": (FactScope.ALL, FactScope.EMAIL),
    "letter": (FactScope.ALL, FactScope.LETTER),
}


@dataclass(frozen=True)
class Standing:
    """The debtor's facts in force that the checks read, for one contact channel."""

    contact_ceased: bool
    represented: bool
    vulnerable: bool
    inconvenient_address_ids: frozenset[int]


def facts_in_force(debtor_id: int) -> QuerySet[DebtorFact]:
    return DebtorFact.objects.filter(debtor_id=debtor_id, lifted_at__isnull=True)


def standing(debtor_id: int, channel: str = "visit") -> Standing:
    """One query: the cease-contact and representation covering `channel` ("visit", "phone", "sms",
    "email", "letter"; an unknown channel is covered by scope "all" only), vulnerability, and the
    addresses the debtor marked inconvenient."""
    scopes = CHANNEL_SCOPES.get(channel, (FactScope.ALL,))
    ceased = represented = vulnerable = False
    inconvenient: set[int] = set()
    for kind, scope, address_id in facts_in_force(debtor_id).values_list("kind", "scope", "address_id"):
        if kind == FactKind.CEASE_CONTACT and scope in scopes:
            ceased = True
        elif kind == FactKind.REPRESENTATION and scope in scopes:
            represented = True
        elif kind == FactKind.VULNERABILITY:
            vulnerable = True
        elif kind == FactKind.INCONVENIENT_PLACE and address_id:
            inconvenient.add(address_id)
    return Standing(ceased, represented, vulnerable, frozenset(inconvenient))


def cache_values(debtor_id: int) -> dict[str, bool]:
    """The Debtor flags as the facts in force say (scope "all" for cease-contact and representation)."""
    everywhere = standing(debtor_id, channel="")
    return {
        "contact_ceased": everywhere.contact_ceased,
        "represented": everywhere.represented,
        "vulnerable": everywhere.vulnerable,
    }


def dispute_open(case_id: int) -> bool:
    """COMPLIANCE.md DISPUTE_OPEN: an open dispute or complaint on the debt (the one source of truth)."""
    return Complaint.objects.filter(case_id=case_id, status=Complaint.Status.OPEN).exists()


def consents_covering(
    *,
    debtor_id: int,
    kind: str,
    start: dt.datetime,
    end: dt.datetime | None = None,
    address_id: int | None = None,
    visit_id: int | None = None,
) -> QuerySet[Consent]:
    """The consents of `kind` in force over [start, end]: not withdrawn, valid from no later than
    `start` and (when limited) until no earlier than `end`; limited to one visit only for that visit;
    a place consent only for its address."""
    end = end or start
    qs = Consent.objects.filter(
        debtor_id=debtor_id, kind=kind, withdrawn_at__isnull=True, valid_from__lte=start
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=end))
    qs = qs.filter(Q(visit_id__isnull=True) | Q(visit_id=visit_id)) if visit_id else qs.filter(visit_id=None)
    if kind == ConsentKind.PLACE:
        qs = qs.filter(address_id=address_id)
    return qs.order_by("-given_at", "-pk")


def has_consent(**kwargs: Any) -> bool:
    return consents_covering(**kwargs).exists()


def consent_choices(*, debtor_id: int, kind: str) -> QuerySet[Consent]:
    """Consents of `kind` not withdrawn (to pick one in a form), newest first."""
    return Consent.objects.filter(debtor_id=debtor_id, kind=kind, withdrawn_at__isnull=True).order_by(
        "-given_at", "-pk"
    )
