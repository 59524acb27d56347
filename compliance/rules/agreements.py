"""Checks of repayment agreements and legal escalation, as pure functions over plain facts.

- AFFORDABILITY (FCA CONC 7.3.10R, rule-pack `max_instalment_share`): in an instalment plan, no
  instalment, counted per month, above that share of the debtor's disposable income (stated income less stated expenses) unless the
  debtor asked for it, which the agent confirms: then it is a warning on record, not a refusal.
- DISPUTE_OPEN, CEASE_CONTACT, REPRESENTED as for visits (an agreement is a contact about the debt).
- LIMITATION (PRC Civil Code art. 188, 195; Reg F 12 CFR 1006.26(b)): at signing a warning (the debtor
  may still agree to pay; the agreement then says the period may have run); for a lawyer's letter or a
  litigation referral a refusal: no threat of suit on a time-barred debt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

from .visits import SRC as VISIT_SOURCES

SRC = {
    "AFFORDABILITY": _(
        "FCA CONC 7.3.10R; rule pack policy (largest instalment as a share of disposable income)"
    ),
    "DISPUTE_OPEN": VISIT_SOURCES["DISPUTE_OPEN"],
    "CEASE_CONTACT": VISIT_SOURCES["CEASE_CONTACT"],
    "REPRESENTED": VISIT_SOURCES["REPRESENTED"],
    "LIMITATION": VISIT_SOURCES["LIMITATION"],
}
# How many instalments of each frequency fall in a month on average.
PER_MONTH = {
    "weekly": Decimal(52) / Decimal(12),
    "fortnightly": Decimal(26) / Decimal(12),
    "monthly": Decimal(1),
}


@dataclass(frozen=True)
class AgreementFacts:
    instalments: tuple[Decimal, ...]
    frequency: str
    currency: str
    stated_income: Decimal | None
    stated_expenses: Decimal | None
    debtor_requested: bool
    dispute_open: bool
    contact_ceased: bool
    represented: bool
    overdue_since: dt.date
    last_demand_on: dt.date | None
    today: dt.date

    def as_trace(self) -> dict[str, Any]:
        return {
            "instalments": [str(a) for a in self.instalments],
            "frequency": self.frequency,
            "currency": self.currency,
            "stated_income": str(self.stated_income) if self.stated_income is not None else None,
            "stated_expenses": str(self.stated_expenses) if self.stated_expenses is not None else None,
            "debtor_requested": self.debtor_requested,
            "flags": {
                "dispute_open": self.dispute_open,
                "contact_ceased": self.contact_ceased,
                "represented": self.represented,
            },
            "overdue_since": self.overdue_since.isoformat(),
            "last_demand_on": self.last_demand_on.isoformat() if self.last_demand_on else None,
            "today": self.today.isoformat(),
        }


@dataclass(frozen=True)
class AgreementParams:
    max_instalment_share: Decimal
    limitation_years: int

    @classmethod
    def from_pack(cls, pack: Any) -> AgreementParams:
        return cls(max_instalment_share=pack.max_instalment_share, limitation_years=pack.limitation_years)

    def as_trace(self) -> dict[str, Any]:
        return {
            "max_instalment_share": str(self.max_instalment_share),
            "limitation_years": self.limitation_years,
        }


def _fail(code: str, message: Any, field: str = "", level: str = "refuse") -> Failure:
    return Failure(code, message, SRC[code], field, level=level)


def monthly_burden(facts: AgreementFacts) -> Decimal:
    """The largest instalment, counted per month (a weekly plan weighs 52/12 instalments a month)."""
    largest = max(facts.instalments, default=Decimal(0))
    return largest * PER_MONTH.get(facts.frequency, Decimal(1)) if len(facts.instalments) > 1 else largest


def check_affordability(facts: AgreementFacts, params: AgreementParams) -> list[Failure]:
    """Instalment plans only: a single payment (lump sum, extension) is the debtor's choice to settle
    from what they have, not a monthly burden on their income."""
    if len(facts.instalments) <= 1:
        return []
    if facts.stated_income is None or facts.stated_expenses is None:
        return [
            _fail(
                "AFFORDABILITY", _("Record the debtor's stated monthly income and expenses."), "stated_income"
            )
        ]
    disposable = facts.stated_income - facts.stated_expenses
    limit = (
        (disposable * params.max_instalment_share).quantize(Decimal("0.01")) if disposable > 0 else Decimal(0)
    )
    burden = monthly_burden(facts).quantize(Decimal("0.01"))
    if burden <= limit:
        return []
    message = _(
        "%(burden)s %(c)s a month is more than %(share)s%% of the debtor's disposable income (%(limit)s %(c)s)."
    ) % {
        "burden": burden,
        "c": facts.currency,
        "share": int(params.max_instalment_share * 100),
        "limit": limit,
    }
    if facts.debtor_requested:
        return [_fail("AFFORDABILITY", message, "debtor_requested_terms", level="warn")]
    return [
        _fail(
            "AFFORDABILITY",
            f"{message} " + str(_("Offer smaller instalments, or confirm that the debtor asked for these.")),
            "debtor_requested_terms",
        )
    ]


def limitation_ends(facts: AgreementFacts, params: AgreementParams) -> dt.date:
    start = facts.last_demand_on or facts.overdue_since
    try:
        return start.replace(year=start.year + params.limitation_years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + params.limitation_years, day=28)


def check_limitation(facts: AgreementFacts, params: AgreementParams, *, legal_threat: bool) -> list[Failure]:
    ends = limitation_ends(facts, params)
    if facts.today <= ends:
        return []
    if legal_threat:
        return [
            _fail(
                "LIMITATION",
                _(
                    "The limitation period may have run (since %(d)s): no lawyer's letter or litigation threat."
                )
                % {"d": ends.isoformat()},
            )
        ]
    return [
        _fail(
            "LIMITATION",
            _("The limitation period may have run (since %(d)s): the agreement must say so.")
            % {"d": ends.isoformat()},
            level="warn",
        )
    ]


def check_flags(facts: AgreementFacts) -> list[Failure]:
    failures = []
    if facts.dispute_open:
        failures.append(
            _fail(
                "DISPUTE_OPEN", _("A dispute or complaint on this debt is open; wait until it is resolved.")
            )
        )
    if facts.contact_ceased:
        failures.append(_fail("CEASE_CONTACT", _("The debtor asked in writing that contact cease.")))
    if facts.represented:
        failures.append(
            _fail(
                "REPRESENTED", _("The debtor is represented by a lawyer for this debt: deal with the lawyer.")
            )
        )
    return failures


def check_agreement(*, moment: str, facts: AgreementFacts, params: AgreementParams) -> list[Failure]:
    """`sign` (and `approve`): flags, affordability, limitation (warning); `legal_threat`: flags and
    limitation (refusal)."""
    if moment == "legal_threat":
        return check_flags(facts) + check_limitation(facts, params, legal_threat=True)
    return (
        check_flags(facts)
        + check_affordability(facts, params)
        + check_limitation(facts, params, legal_threat=False)
    )
