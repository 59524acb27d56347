"""Stage-1 (intake and verification) checks. Pure compliance checks. Each takes plain facts (and `today`/`now`), never queries or reads the clock,
and returns a list of `Failure(code, message, source)`; an empty list means the check passed.

Codes are stable (COMPLIANCE.md); messages are written for a field agent, in English and Chinese.
The rule-pack engine of later stages grows in this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

SOURCE_MANDATE = _("PRC Civil Code art. 165, 171, 919")
SOURCE_VERIFICATION = _("FieldLedger procedure, stage 1: intake and debtor verification")


@dataclass(frozen=True)
class MandateFacts:
    number: str
    creditor_id: int
    valid_from: dt.date
    valid_until: dt.date
    products: tuple[str, ...] = ()  # empty: every product of the creditor
    revoked: bool = False
    has_document: bool = True


@dataclass(frozen=True)
class CaseFacts:
    creditor_id: int
    product: str


def check_mandate_valid(*, mandate: MandateFacts | None, case: CaseFacts, on: dt.date) -> list[Failure]:
    """MANDATE_VALID: a written authorization of this creditor covers the case and `on` lies in its validity."""
    if mandate is None:
        return [
            Failure(
                "MANDATE_VALID",
                _("No written mandate from the creditor is linked to this case."),
                SOURCE_MANDATE,
                "mandate",
            )
        ]
    problems: list[Failure] = []
    if mandate.creditor_id != case.creditor_id:
        problems.append(
            Failure(
                "MANDATE_VALID", _("The mandate was given by another creditor."), SOURCE_MANDATE, "mandate"
            )
        )
    if mandate.revoked:
        problems.append(
            Failure("MANDATE_VALID", _("The mandate has been revoked."), SOURCE_MANDATE, "mandate")
        )
    if not mandate.has_document:
        problems.append(
            Failure(
                "MANDATE_VALID", _("The signed mandate document is not on file."), SOURCE_MANDATE, "mandate"
            )
        )
    if on < mandate.valid_from:
        problems.append(
            Failure(
                "MANDATE_VALID",
                _("The mandate is not valid yet (valid from %(date)s).")
                % {"date": mandate.valid_from.isoformat()},
                SOURCE_MANDATE,
                "mandate",
            )
        )
    if on > mandate.valid_until:
        problems.append(
            Failure(
                "MANDATE_VALID",
                _("The mandate expired on %(date)s.") % {"date": mandate.valid_until.isoformat()},
                SOURCE_MANDATE,
                "mandate",
            )
        )
    if mandate.products and case.product not in mandate.products:
        problems.append(
            Failure(
                "MANDATE_VALID",
                _("The mandate's scope does not cover the product “%(product)s”.")
                % {"product": case.product},
                SOURCE_MANDATE,
                "mandate",
            )
        )
    return problems


@dataclass(frozen=True)
class VerificationFacts:
    """What stage 1 has established for a case."""

    identity_checked: bool
    verified_addresses: int
    contract_on_file: bool
    assessment_done: bool
    mandate: MandateFacts | None
    case: CaseFacts
    missing_sources: tuple[str, ...] = field(default_factory=tuple)


def check_verification(facts: VerificationFacts, *, today: dt.date) -> list[Failure]:
    """Everything `new → verified` needs; each missing item is named."""
    failures: list[Failure] = []
    if not facts.identity_checked:
        failures.append(
            Failure(
                "IDENTITY_UNCHECKED",
                _("The debtor's identity document has not been checked."),
                SOURCE_VERIFICATION,
                "identity",
            )
        )
    if facts.verified_addresses < 1:
        failures.append(
            Failure(
                "ADDRESS_UNVERIFIED",
                _("No address of the debtor has been verified with its source."),
                SOURCE_VERIFICATION,
                "addresses",
            )
        )
    if not facts.contract_on_file:
        failures.append(
            Failure(
                "CONTRACT_MISSING", _("The loan contract is not on file."), SOURCE_VERIFICATION, "documents"
            )
        )
    if not facts.assessment_done:
        failures.append(
            Failure(
                "ASSESSMENT_MISSING",
                _("The debtor's repayment capacity and willingness have not been assessed."),
                SOURCE_VERIFICATION,
                "assessment",
            )
        )
    failures.extend(check_mandate_valid(mandate=facts.mandate, case=facts.case, on=today))
    return failures


# PRC resident identity number (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def resident_id_problem(value: str) -> str | None:
    """None when `value` is a well-formed 18-character PRC resident ID; otherwise why not (translatable)."""
    value = value.strip().upper()
    if len(value) != 18:
        return str(_("must have 18 characters (it has %(n)d)") % {"n": len(value)})
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return str(_("must be 17 digits followed by a digit or X"))
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return str(_("contains an impossible date of birth (%(d)s)") % {"d": value[6:14]})
    if resident_id_check_char(value[:17]) != value[17]:
        return str(_("check digit does not match (GB 11643-1999)"))
    return None
