"""Debtor facts and consents: record, lift, withdraw (the writers of cases/fact_models.py).

Each service checks the policy and the input, writes the row (django-simple-history keeps its
history), rewrites the Debtor cache flags (`contact_ceased`, `represented`, `vulnerable`) from the facts
in force, and appends its audit event, in one transaction. A refusal is recorded as
`<action>.refused` after the rollback. Audit payloads carry kinds, scopes, dates and digests, never the
lawyer's name or contact, the vulnerability's note or the consent giver's name in plain text.

Audit events: `debtor.fact_recorded`, `debtor.fact_lifted`, `debtor.consent_recorded`,
`debtor.consent_withdrawn`, `debtor.finances_recorded` (+ `case.document_added` when evidence is uploaded with the record).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError, Failure
from common.money import Currency
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import debtor_facts, policies
from ..fact_models import (
    Consent,
    ConsentKind,
    ConsentMethod,
    DebtorFact,
    FactKind,
    FactScope,
    ReceivedVia,
    ReportedBy,
    VulnerabilityCategory,
)
from ..models import Case, CaseDocument, Debtor, DebtorAddress, DocumentKind, FactSource
from .case import _full_clean, _lock, document_add

MIN_REASON = 10


def _missing(field: str, message: object) -> Failure:
    return Failure("FIELD_REQUIRED", message, "", field)


def _invalid(field: str, message: object) -> Failure:
    return Failure("INVALID_INPUT", message, "", field)


def _evidence(
    *, case: Case, actor: User, document_id: int | None, upload: UploadedFile | None, kind: str
) -> CaseDocument | None:
    """The evidence: an uploaded file (added to the case's documents in this transaction) or a
    document already on the case."""
    if upload is not None:
        return document_add(case=case, actor=actor, kind=kind, upload=upload)
    if document_id is None:
        return None
    document = CaseDocument.objects.filter(case_id=case.pk, pk=document_id).first()
    if document is None:
        raise DomainError(
            [Failure("NOT_FOUND", _("That document does not belong to this case."), "", "document")]
        )
    return document


def _address(case: Case, address_id: int | None, field: str = "address") -> DebtorAddress | None:
    if address_id is None:
        return None
    address = DebtorAddress.objects.filter(debtor_id=case.debtor_id, pk=address_id).first()
    if address is None:
        raise DomainError(
            [Failure("NOT_FOUND", _("That address does not belong to this debtor."), "", field)]
        )
    return address


def _refresh_cache(case: Case, actor: User) -> None:
    """Rewrite the Debtor cache flags from the facts in force (the case row is locked by the caller)."""
    debtor = case.debtor
    values = debtor_facts.cache_values(debtor.pk)
    if all(getattr(debtor, name) == value for name, value in values.items()):
        return
    for name, value in values.items():
        setattr(debtor, name, value)
    debtor._history_user = actor
    debtor.save(update_fields=[*values, "updated_at"])


def _fact_problems(
    *,
    kind: str,
    scope: str,
    received_on: dt.date | None,
    received_via: str,
    lawyer_name: str,
    lawyer_contact: str,
    category: str,
    reported_by: str,
    review_due: dt.date | None,
    address_id: int | None,
    note: str,
    today: dt.date,
) -> list[Failure]:
    problems: list[Failure] = []
    if kind not in FactKind.values:
        return [_invalid("kind", _("Choose the kind of fact."))]
    if kind in (FactKind.CEASE_CONTACT, FactKind.REPRESENTATION) and scope not in FactScope.values:
        problems.append(
            _missing("scope", _("Say which contact it covers (all contact, visits or a channel)."))
        )
    if kind == FactKind.CEASE_CONTACT:
        if received_on is None:
            problems.append(_missing("received_on", _("Give the date the request was received.")))
        elif received_on > today:
            problems.append(_invalid("received_on", _("The date received cannot be in the future.")))
        if received_via not in ReceivedVia.values:
            problems.append(_missing("received_via", _("Say how the request was received.")))
    if kind == FactKind.REPRESENTATION:
        if not lawyer_name.strip():
            problems.append(_missing("lawyer_name", _("Give the lawyer's name.")))
        if not lawyer_contact.strip():
            problems.append(_missing("lawyer_contact", _("Give the lawyer's phone, e-mail or address.")))
    if kind == FactKind.VULNERABILITY:
        if category not in VulnerabilityCategory.values:
            problems.append(_missing("category", _("Choose the category of the vulnerability.")))
        if reported_by not in ReportedBy.values:
            problems.append(_missing("reported_by", _("Say who reported the vulnerability.")))
        if review_due is None:
            problems.append(_missing("review_due", _("Give the date the vulnerability is to be reviewed.")))
        elif review_due < today:
            problems.append(_invalid("review_due", _("The review date cannot be in the past.")))
    if kind == FactKind.INCONVENIENT_PLACE:
        if address_id is None:
            problems.append(_missing("address", _("Choose the address the debtor marked inconvenient.")))
        if not note.strip():
            problems.append(_missing("note", _("Say why the debtor finds this place inconvenient.")))
    return problems


@refusals_recorded("debtor.fact_recorded")
@transaction.atomic
def debtor_fact_record(
    *,
    case: Case,
    actor: User,
    kind: str,
    scope: str = "",
    received_on: dt.date | None = None,
    received_via: str = "",
    lawyer_name: str = "",
    lawyer_firm: str = "",
    lawyer_contact: str = "",
    category: str = "",
    reported_by: str = "",
    review_due: dt.date | None = None,
    address_id: int | None = None,
    note: str = "",
    document_id: int | None = None,
    upload: UploadedFile | None = None,
) -> DebtorFact:
    """Record a fact in force from now until lifted: a written cease-contact request, a representation
    by a lawyer, a vulnerability or a place the debtor marked inconvenient (fields by kind)."""
    case = _lock(case)
    policies.require(policies.can_record_debtor_fact(actor, case))
    today = timezone.localdate()
    problems = _fact_problems(
        kind=kind,
        scope=scope,
        received_on=received_on,
        received_via=received_via,
        lawyer_name=lawyer_name,
        lawyer_contact=lawyer_contact,
        category=category,
        reported_by=reported_by,
        review_due=review_due,
        address_id=address_id,
        note=note,
        today=today,
    )
    if problems:
        raise DomainError(problems)
    address = _address(case, address_id) if kind == FactKind.INCONVENIENT_PLACE else None
    evidence_kind = DocumentKind.DEBTOR_LETTER if kind != FactKind.VULNERABILITY else DocumentKind.OTHER
    document = _evidence(case=case, actor=actor, document_id=document_id, upload=upload, kind=evidence_kind)
    representation = kind == FactKind.REPRESENTATION
    fact = DebtorFact(
        debtor=case.debtor,
        case=case,
        kind=kind,
        scope=scope if kind in (FactKind.CEASE_CONTACT, FactKind.REPRESENTATION) else "",
        received_on=received_on if kind == FactKind.CEASE_CONTACT else None,
        received_via=received_via if kind == FactKind.CEASE_CONTACT else "",
        document=document,
        lawyer_name=lawyer_name.strip() if representation else "",
        lawyer_firm=lawyer_firm.strip() if representation else "",
        lawyer_contact=lawyer_contact.strip() if representation else "",
        category=category if kind == FactKind.VULNERABILITY else "",
        reported_by=reported_by if kind == FactKind.VULNERABILITY else "",
        review_due=review_due if kind == FactKind.VULNERABILITY else None,
        address=address,
        note=note.strip(),
        recorded_by=actor,
    )
    _full_clean(fact)
    fact._history_user = actor
    fact.save()
    _refresh_cache(case, actor)
    data: dict[str, object] = {
        "kind": kind,
        "scope": fact.scope,
        "document": document.pk if document else None,
    }
    if kind == FactKind.CEASE_CONTACT:
        data |= {"received_on": received_on, "received_via": received_via}
    if representation:
        data["lawyer_digest"] = digest(fact.lawyer_name, kind="name")
    if kind == FactKind.VULNERABILITY:
        data |= {"category": category, "reported_by": reported_by, "review_due": review_due}
    if address is not None:
        data["address"] = address.pk
    if fact.note:
        data["note_digest"] = digest(fact.note, kind="note")
    audit.record(actor=actor, action="debtor.fact_recorded", obj=fact, case_id=case.pk, data=data)
    return fact


def _fact_of(case: Case, fact_id: int) -> DebtorFact:
    fact = DebtorFact.objects.select_for_update().filter(debtor_id=case.debtor_id, pk=fact_id).first()
    if fact is None:
        raise DomainError([Failure("NOT_FOUND", _("That fact is not recorded for this debtor."), "", "fact")])
    return fact


@refusals_recorded("debtor.fact_lifted")
@transaction.atomic
def debtor_fact_lift(*, case: Case, actor: User, fact_id: int, reason: str) -> DebtorFact:
    """Lift a fact with the reason (a withdrawn request, a representation ended, a vulnerability
    reviewed, the place convenient again): a supervisor of the case's team or a compliance officer."""
    case = _lock(case)
    policies.require(
        policies.can_lift_debtor_fact(actor, case),
        _("Only a supervisor of the case's team or a compliance officer may lift a debtor fact."),
    )
    fact = _fact_of(case, fact_id)
    problems = []
    if fact.lifted_at is not None:
        problems.append(Failure("FACT_LIFTED", _("This fact was already lifted."), "", "fact"))
    if len((reason or "").strip()) < MIN_REASON:
        problems.append(_missing("reason", _("Write the reason for lifting it (at least 10 characters).")))
    if problems:
        raise DomainError(problems)
    fact.lifted_at = timezone.now()
    fact.lifted_by = actor
    fact.lift_reason = reason.strip()
    fact._history_user = actor
    fact.save()
    _refresh_cache(case, actor)
    audit.record(
        actor=actor,
        action="debtor.fact_lifted",
        obj=fact,
        case_id=case.pk,
        data={"kind": fact.kind, "reason_digest": digest(fact.lift_reason, kind="note")},
    )
    return fact


@refusals_recorded("debtor.consent_recorded")
@transaction.atomic
def consent_record(
    *,
    case: Case,
    actor: User,
    kind: str,
    given_by: str,
    given_at: dt.datetime | None,
    method: str,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    address_id: int | None = None,
    visit_id: int | None = None,
    note: str = "",
    document_id: int | None = None,
    upload: UploadedFile | None = None,
) -> Consent:
    """Record a consent the debtor gave: who, when, how, the evidence, for what validity (from
    `valid_from`, default when given, until `valid_until`, open-ended when empty); a place consent
    names its address; `visit_id` limits it to one visit of this case."""
    case = _lock(case)
    policies.require(policies.can_record_debtor_fact(actor, case))
    now = timezone.now()
    problems: list[Failure] = []
    if kind not in ConsentKind.values:
        problems.append(_invalid("kind", _("Choose what the consent is for.")))
    if not (given_by or "").strip():
        problems.append(_missing("given_by", _("Say who gave the consent.")))
    if given_at is None:
        problems.append(_missing("given_at", _("Give when the consent was given.")))
    elif given_at > now:
        problems.append(_invalid("given_at", _("A consent cannot be given in the future.")))
    if method not in ConsentMethod.values:
        problems.append(_missing("method", _("Say how the consent was given.")))
    elif method == ConsentMethod.WRITTEN and document_id is None and upload is None:
        problems.append(_missing("document", _("A written consent needs its document as evidence.")))
    start = valid_from or given_at
    if start is not None and valid_until is not None and valid_until <= start:
        problems.append(_invalid("valid_until", _("The consent must end after it starts.")))
    if kind == ConsentKind.PLACE and address_id is None:
        problems.append(_missing("address", _("Choose the address the debtor consented to.")))
    if visit_id is not None and not case.visits.filter(pk=visit_id).exists():
        problems.append(Failure("NOT_FOUND", _("That visit does not belong to this case."), "", "visit"))
    if problems or given_at is None or start is None:
        raise DomainError(problems)
    address = _address(case, address_id) if kind == ConsentKind.PLACE else None
    document = _evidence(
        case=case, actor=actor, document_id=document_id, upload=upload, kind=DocumentKind.CONSENT
    )
    consent = Consent(
        debtor=case.debtor,
        case=case,
        kind=kind,
        given_by=given_by.strip(),
        given_at=given_at,
        method=method,
        document=document,
        address=address,
        visit_id=visit_id,
        valid_from=start,
        valid_until=valid_until,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    _full_clean(consent)
    consent._history_user = actor
    consent.save()
    audit.record(
        actor=actor,
        action="debtor.consent_recorded",
        obj=consent,
        case_id=case.pk,
        data={
            "kind": kind,
            "method": method,
            "given_at": given_at,
            "given_by_digest": digest(consent.given_by, kind="name"),
            "valid": [start, valid_until],
            "address": address.pk if address else None,
            "visit": visit_id,
            "document": document.pk if document else None,
        },
    )
    return consent


@refusals_recorded("debtor.consent_withdrawn")
@transaction.atomic
def consent_withdraw(*, case: Case, actor: User, consent_id: int, reason: str) -> Consent:
    """Record that the debtor withdrew a consent (from now on it covers nothing)."""
    case = _lock(case)
    policies.require(policies.can_record_debtor_fact(actor, case))
    consent = Consent.objects.select_for_update().filter(debtor_id=case.debtor_id, pk=consent_id).first()
    if consent is None:
        raise DomainError(
            [Failure("NOT_FOUND", _("That consent is not recorded for this debtor."), "", "consent")]
        )
    problems = []
    if consent.withdrawn_at is not None:
        problems.append(Failure("CONSENT_WITHDRAWN", _("This consent was already withdrawn."), "", "consent"))
    if not (reason or "").strip():
        problems.append(_missing("reason", _("Say how and why the debtor withdrew the consent.")))
    if problems:
        raise DomainError(problems)
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.withdraw_reason = reason.strip()
    consent._history_user = actor
    consent.save()
    audit.record(
        actor=actor,
        action="debtor.consent_withdrawn",
        obj=consent,
        case_id=case.pk,
        data={"kind": consent.kind, "reason_digest": digest(consent.withdraw_reason, kind="note")},
    )
    return consent


@refusals_recorded("debtor.finances_recorded")
@transaction.atomic
def debtor_finances_record(
    *,
    case: Case,
    actor: User,
    occupation: str,
    employer: str,
    monthly_income: Decimal | None,
    income_currency: str,
    assets: str,
    source: str,
) -> Debtor:
    """Record what is known of the debtor's work and means (occupation, employer, monthly income with
    its currency, assets) and where it comes from; the agreement form pre-fills the income from it.
    The audit event names the fields changed and the source, never the values."""
    case = _lock(case)
    policies.require(policies.can_work_on(actor, case))
    problems = []
    if source not in FactSource.values:
        problems.append(_missing("source", _("Say where this information comes from.")))
    if monthly_income is not None and monthly_income < 0:
        problems.append(_invalid("monthly_income", _("The income cannot be negative.")))
    if income_currency not in Currency.values:
        problems.append(_invalid("income_currency", _("Choose the currency of the income.")))
    if problems:
        raise DomainError(problems)
    debtor = case.debtor
    values = {
        "occupation": (occupation or "").strip(),
        "employer": (employer or "").strip(),
        "monthly_income": monthly_income,
        "income_currency": income_currency,
        "assets": (assets or "").strip(),
    }
    changed = sorted(name for name, value in values.items() if getattr(debtor, name) != value)
    for name, value in values.items():
        setattr(debtor, name, value)
    _full_clean(debtor)
    debtor._history_user = actor
    debtor.save(update_fields=[*values, "updated_at"])
    audit.record(
        actor=actor,
        action="debtor.finances_recorded",
        obj=debtor,
        case_id=case.pk,
        data={"fields": changed, "source": source},
    )
    return debtor
