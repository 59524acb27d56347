"""The debtor's phones after import: added, verified and marked invalid, each with its source.

The contact gate sends an SMS (and counts a phone notice) only to a verified number (issue 15,
`SMS_UNVERIFIED`), so verifying a number is a recorded act: who, from which source, in the audit trail
and the model history. The number itself never enters an audit payload (only its keyed digest).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError, Failure
from common.pii import digest, normalize_phone, phone_digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import Case, DebtorPhone, FactSource, VerificationStatus
from .case import _full_clean, _lock

# A phone number: 5 to 15 digits (ITU-T E.164 allows 15), an optional leading +.
_MIN_DIGITS, _MAX_DIGITS = 5, 15


def _phone_of(case: Case, phone_id: int) -> DebtorPhone:
    phone = DebtorPhone.objects.filter(pk=phone_id, debtor_id=case.debtor_id).first()
    if phone is None:
        raise DomainError([Failure("NOT_FOUND", _("This phone is not the debtor's."), "", "phone_id")])
    return phone


def _source_failure(source: str) -> list[Failure]:
    if source in FactSource.values:
        return []
    return [Failure("FIELD_REQUIRED", _("Say where the phone number comes from."), "", "source")]


@refusals_recorded("debtor.phone_added")
@transaction.atomic
def phone_add(*, case: Case, actor: User, number: str, source: str) -> DebtorPhone:
    """Add a phone the debtor gave or an investigation found; it starts unverified."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    failures = _source_failure(source)
    normalized = normalize_phone(number)
    digits = normalized.lstrip("+")
    if not digits.isdigit() or not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        failures.append(
            Failure(
                "INVALID_INPUT",
                _("Write the phone number with 5 to 15 digits (an optional + and country code)."),
                "",
                "number",
            )
        )
    elif DebtorPhone.objects.filter(debtor_id=case.debtor_id, digest=phone_digest(normalized)).exists():
        failures.append(Failure("DUPLICATE", _("The debtor already has this phone number."), "", "number"))
    if failures:
        raise DomainError(failures)
    phone = DebtorPhone(debtor=case.debtor, number=normalized, digest=phone_digest(normalized), source=source)
    _full_clean(phone)
    phone._history_user = actor  # type: ignore[attr-defined]
    phone.save()
    audit.record(
        actor=actor,
        action="debtor.phone_added",
        obj=phone,
        case_id=case.pk,
        data={"source": source, "phone_digest": phone.digest},
    )
    return phone


@refusals_recorded("debtor.phone_verified")
@transaction.atomic
def phone_verify(*, case: Case, phone_id: int, actor: User, source: str) -> DebtorPhone:
    """Record that the number is the debtor's (e.g. the debtor answered and confirmed who they are)."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    failures = _source_failure(source)
    if failures:
        raise DomainError(failures)
    phone = _phone_of(case, phone_id)
    phone.status = VerificationStatus.VERIFIED
    phone.source = source
    phone._history_user = actor  # type: ignore[attr-defined]
    phone.save()
    audit.record(
        actor=actor,
        action="debtor.phone_verified",
        obj=phone,
        case_id=case.pk,
        data={"source": source, "phone_digest": phone.digest},
    )
    return phone


@refusals_recorded("debtor.phone_invalidated")
@transaction.atomic
def phone_invalidate(*, case: Case, phone_id: int, actor: User, reason: str) -> DebtorPhone:
    """Mark a number invalid (wrong person, out of service): no contact goes to it any more."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    if not reason.strip():
        raise DomainError(
            [Failure("FIELD_REQUIRED", _("Give the reason the phone number is invalid."), "", "reason")]
        )
    phone = _phone_of(case, phone_id)
    was_verified = phone.status == VerificationStatus.VERIFIED
    phone.status = VerificationStatus.INVALID
    phone._history_user = actor  # type: ignore[attr-defined]
    phone.save()
    audit.record(
        actor=actor,
        action="debtor.phone_invalidated",
        obj=phone,
        case_id=case.pk,
        data={
            "was_verified": was_verified,
            "phone_digest": phone.digest,
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return phone
