"""On-site checks of COMPLIANCE.md: credentials, identity before disclosure, entry, conduct.

Pure: every input is a plain value. Evaluated by the on-site services (visits/services/onsite.py) at
three moments: when the identity and credential checks are confirmed (`checks`), before the conversation
about the debt may be logged (`conversation`) and before the visit may be completed (`complete`).
None of them may be overridden: they protect the debtor's privacy and home, not the agency's schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

SRC = {
    "CREDENTIALS_SHOWN": _("FCA CONC 7.9.12R; CBA consumer-loan collection guideline (work ID and mandate)"),
    "IDENTITY_BEFORE_DISCLOSURE": _("Reg F 12 CFR 1006.6(d); FCA CONC 7.9.10R; PIPL art. 6"),
    "ENTRY_CONSENT": _("PRC Civil Code art. 1033; FCA CONC 7.9"),
    "CONDUCT_ATTESTED": _("CBA guideline; FCA CONC 7.9; FieldLedger procedure: each agent attests"),
}

# Who was met and how they were identified; the values of visits.models.Relation / Identification.
DEBTOR = "debtor"
IDENTIFIED_BY = ("id_card", "known")
INSIDE = "inside"
NOBODY = "nobody"


@dataclass(frozen=True)
class OnSiteFacts:
    """The recorded checks of one visit, as plain values (agent ids, no names or document digits)."""

    agent_ids: tuple[int, ...]
    agent_names: dict[int, str] = field(default_factory=dict)
    work_ids_shown: tuple[int, ...] = ()
    authorization_shown: bool = False
    purpose_stated: bool = False
    relation: str = ""
    identification: str = ""
    id_match: bool | None = None
    id_tries: int = 0
    entry: str = ""
    entry_consent: bool = False
    checks_confirmed: bool = False
    attested: tuple[int, ...] = ()

    def as_trace(self) -> dict[str, Any]:
        return {
            "agents": list(self.agent_ids),
            "work_ids_shown": sorted(self.work_ids_shown),
            "authorization_shown": self.authorization_shown,
            "purpose_stated": self.purpose_stated,
            "relation": self.relation,
            "identification": self.identification,
            "id_match": self.id_match,
            "id_tries": self.id_tries,
            "entry": self.entry,
            "entry_consent": self.entry_consent,
            "checks_confirmed": self.checks_confirmed,
            "attested": sorted(self.attested),
        }


def _fail(code: str, message: Any, field_name: str) -> Failure:
    return Failure(code, message, SRC[code], field_name)


def _name(facts: OnSiteFacts, agent_id: int) -> str:
    return facts.agent_names.get(agent_id) or f"#{agent_id}"


def check_credentials_shown(facts: OnSiteFacts) -> list[Failure]:
    """Each agent showed the work ID, the creditor's authorization letter was shown, the purpose stated
    (to whoever was met: when nobody was met there was nobody to show them to)."""
    if facts.relation == NOBODY:
        return []
    failures = [
        _fail(
            "CREDENTIALS_SHOWN",
            _("%(name)s has not shown the work ID.") % {"name": _name(facts, agent)},
            "work_ids_shown",
        )
        for agent in facts.agent_ids
        if agent not in facts.work_ids_shown
    ]
    if not facts.authorization_shown:
        failures.append(
            _fail("CREDENTIALS_SHOWN", _("The authorization letter was not shown."), "authorization_shown")
        )
    if not facts.purpose_stated:
        failures.append(_fail("CREDENTIALS_SHOWN", _("The purpose was not stated."), "purpose_stated"))
    return failures


def check_identity_before_disclosure(facts: OnSiteFacts) -> list[Failure]:
    """The person met is identified as the debtor before anything about the debt is said."""
    if not facts.checks_confirmed:
        return [
            _fail(
                "IDENTITY_BEFORE_DISCLOSURE",
                _("Confirm the identity and credential checks before the conversation."),
                "relation",
            )
        ]
    if facts.relation != DEBTOR:
        return [
            _fail(
                "IDENTITY_BEFORE_DISCLOSURE",
                _("The person met is not the debtor: nothing about the debt may be said or recorded."),
                "relation",
            )
        ]
    if facts.identification not in IDENTIFIED_BY:
        return [
            _fail(
                "IDENTITY_BEFORE_DISCLOSURE",
                _("The person met was not identified as the debtor."),
                "identification",
            )
        ]
    if facts.id_match is False:
        return [
            _fail(
                "IDENTITY_BEFORE_DISCLOSURE",
                _("The document sighted does not match the debtor's on file."),
                "id_last4",
            )
        ]
    return []


def check_entry_consent(facts: OnSiteFacts) -> list[Failure]:
    if facts.entry == INSIDE and not facts.entry_consent:
        return [
            _fail(
                "ENTRY_CONSENT",
                _("Agents go inside the home only when the occupant explicitly invites them in."),
                "entry_consent",
            )
        ]
    return []


def check_conduct_attested(facts: OnSiteFacts) -> list[Failure]:
    return [
        _fail(
            "CONDUCT_ATTESTED",
            _("%(name)s has not attested their conduct on this visit.") % {"name": _name(facts, agent)},
            "attestation",
        )
        for agent in facts.agent_ids
        if agent not in facts.attested
    ]


ONSITE_CHECKS_BY_MOMENT: dict[str, tuple[str, ...]] = {
    # Confirming the checks: going inside without consent is refused outright, and credentials not shown
    # cannot be confirmed as shown (the agents show them, then confirm).
    "checks": ("ENTRY_CONSENT", "CREDENTIALS_SHOWN"),
    # Logging the conversation about the debt.
    "conversation": ("ENTRY_CONSENT", "CREDENTIALS_SHOWN", "IDENTITY_BEFORE_DISCLOSURE"),
    # Completing the visit: the conduct attestations (and, for a debt outcome, everything above).
    "complete": ("CONDUCT_ATTESTED",),
    "complete_with_debtor": (
        "ENTRY_CONSENT",
        "CREDENTIALS_SHOWN",
        "IDENTITY_BEFORE_DISCLOSURE",
        "CONDUCT_ATTESTED",
    ),
}
ONSITE_CHECKS = {
    "CREDENTIALS_SHOWN": check_credentials_shown,
    "IDENTITY_BEFORE_DISCLOSURE": check_identity_before_disclosure,
    "ENTRY_CONSENT": check_entry_consent,
    "CONDUCT_ATTESTED": check_conduct_attested,
}


def check_onsite(*, moment: str, facts: OnSiteFacts) -> list[Failure]:
    failures: list[Failure] = []
    for code in ONSITE_CHECKS_BY_MOMENT[moment]:
        failures += ONSITE_CHECKS[code](facts)
    return failures


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in metres (haversine; the Earth as a sphere of 6,371 km is enough here)."""
    import math

    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * r * math.asin(math.sqrt(min(1.0, a))))
