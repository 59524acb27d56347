"""Retention: anonymize the personal data of cases closed longer ago than their rule pack's
`retention_years`, unless a legal hold stops it; a dry run says what would go.

Which cases are closed (and since when) the cases app answers (`registry.case_directory()`); what is
anonymized is each stage app's business (`registry.RetentionSource`s: the cases app's debtor, documents
and assessments, the visits app's notes and recipients, compliance's own complaint texts, and whatever
later stages register). The pack is the current version of the code the creditor follows. Each case is
one transaction: its sources' changes, an `Anonymization` record and the `case.anonymized` audit event
(counts only) commit together. The chain holds references and digests only, so anonymization never
breaks it (`verify_audit` stays green).

Legal holds are set and lifted by compliance officers with a reason (`case.legal_hold_set`,
`case.legal_hold_lifted`); the job and the hold services take the chain's append lock first, so a hold
set while the job runs is either seen by it or set after the case is anonymized (and then refused).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused
from common.pii import digest

from . import audit, packs, policies, registry
from .models import Anonymization, Complaint, LegalHold, RulePack
from .registry import RetentionContext, RetentionItem

SOURCE_RETENTION = _("PIPL art. 19, 47; GDPR art. 5(1)(e); rule pack retention")


def add_years(when: dt.datetime, years: int) -> dt.datetime:
    """The same day `years` later (29 February becomes 28 February)."""
    year = when.year + years
    day = min(when.day, calendar.monthrange(year, when.month)[1])
    return when.replace(year=year, day=day)


@dataclass(frozen=True)
class Due:
    case_id: int
    closed_at: dt.datetime
    pack: RulePack
    expires_at: dt.datetime
    hold: LegalHold | None = None


@dataclass
class DueReport:
    due: Due
    label: str = ""
    items: list[RetentionItem] = field(default_factory=list)


def _pack(code: str, cache: dict[str, RulePack | None]) -> RulePack | None:
    if code not in cache:
        cache[code] = packs.latest_version(code) or packs.latest_version("cn-default")
    return cache[code]


def due_cases(*, now: dt.datetime | None = None) -> Iterator[Due]:
    """Closed cases whose retention is over and that are not anonymized yet (held ones included,
    with their hold)."""
    now = now or timezone.now()
    done = set(Anonymization.objects.values_list("case_id", flat=True))
    holds = {h.case_id: h for h in LegalHold.objects.filter(lifted_at__isnull=True).select_related("set_by")}
    cache: dict[str, RulePack | None] = {}
    for closed in registry.case_directory().closed_cases():
        if closed.case_id in done:
            continue
        pack = _pack(closed.pack_code, cache)
        if pack is None:
            continue
        expires = add_years(closed.closed_at, pack.retention_years)
        if expires <= now:
            yield Due(closed.case_id, closed.closed_at, pack, expires, holds.get(closed.case_id))


def _covered(due: list[Due]) -> frozenset[int]:
    done = set(Anonymization.objects.values_list("case_id", flat=True))
    return frozenset(done | {d.case_id for d in due if d.hold is None})


def _apply(ctx: RetentionContext) -> list[RetentionItem]:
    items: list[RetentionItem] = []
    for source in registry.retention_sources():
        items += source.anonymize(ctx)
    return items


def dry_run(*, now: dt.datetime | None = None) -> list[DueReport]:
    """What the job would anonymize now (nothing is changed), held cases listed with their hold."""
    now = now or timezone.now()
    due = list(due_cases(now=now))
    covered = _covered(due)
    labels = registry.case_directory().labels(d.case_id for d in due)
    reports = []
    for d in due:
        ctx = RetentionContext(d.case_id, now, dry_run=True, covered_case_ids=covered)
        items = [] if d.hold else _apply(ctx)
        reports.append(DueReport(d, labels.get(d.case_id, str(d.case_id)), items))
    return reports


def anonymize_due(*, now: dt.datetime | None = None, actor: Any = None) -> list[int]:
    """Anonymize every due case without a legal hold; the ids of the cases anonymized (beat, nightly)."""
    now = now or timezone.now()
    due = [d for d in due_cases(now=now) if d.hold is None]
    covered = _covered(due)
    done = []
    for d in due:
        with transaction.atomic():
            audit.serialize_with_appends()
            if Anonymization.objects.filter(case_id=d.case_id).exists():
                continue  # a concurrent run did it
            if LegalHold.objects.filter(case_id=d.case_id, lifted_at__isnull=True).exists():
                continue  # held since the list was made
            items = _apply(RetentionContext(d.case_id, now, dry_run=False, covered_case_ids=covered))
            summary = [{"what": i.what, "count": i.count} for i in items]
            Anonymization.objects.create(
                case_id=d.case_id,
                anonymized_at=now,
                closed_at=d.closed_at,
                pack_code=d.pack.code,
                pack_version=d.pack.version,
                retention_years=d.pack.retention_years,
                items=summary,
            )
            audit.record(
                actor=actor,
                action="case.anonymized",
                object_type="cases.case",
                object_id=str(d.case_id),
                case_id=d.case_id,
                data={
                    "pack": [d.pack.code, d.pack.version],
                    "retention_years": d.pack.retention_years,
                    "closed_at": d.closed_at,
                    "items": summary,
                },
            )
        done.append(d.case_id)
    return done


# --- compliance's own personal data: what people wrote in complaints ----------------------------------


def anonymize_complaints(ctx: RetentionContext) -> list[RetentionItem]:
    qs = Complaint.objects.filter(case_id=ctx.case_id).exclude(text="", resolution="")
    count = qs.count()
    if count and not ctx.dry_run:
        qs.update(text="", resolution="")
    return [RetentionItem("complaint.text", _("complaint and dispute texts"), count)] if count else []


# --- legal holds ----------------------------------------------------------------------------------------


def _fail(code: str, message: Any, field: str = "") -> DomainError:
    return DomainError([Failure(code, message, SOURCE_RETENTION, field)])


def _hold_refused(action: str, actor: Any, case_id: int | None, error: DomainError) -> None:
    audit.record(
        actor=actor,
        action=f"{action}.refused",
        object_type="cases.case",
        object_id=str(case_id or ""),
        case_id=case_id if case_id and registry.case_directory().exists(case_id) else None,
        data={"codes": error.codes},
    )


def legal_hold_set(*, case_id: int, reason: str, actor: Any, now: dt.datetime | None = None) -> LegalHold:
    """A compliance officer stops retention on a case (litigation, a regulator's inquiry), with a reason."""
    try:
        return _hold_set(case_id=case_id, reason=reason, actor=actor, now=now or timezone.now())
    except DomainError as error:
        _hold_refused("case.legal_hold_set", actor, case_id, error)
        raise


@transaction.atomic
def _hold_set(*, case_id: int, reason: str, actor: Any, now: dt.datetime) -> LegalHold:
    if not policies.can_manage_legal_holds(actor):
        raise PermissionRefused.because(_("Only a compliance officer may set a legal hold."))
    audit.serialize_with_appends()
    reason = (reason or "").strip()
    if not registry.case_directory().exists(case_id):
        raise _fail("NOT_FOUND", _("There is no case %(id)s.") % {"id": case_id}, "case")
    if LegalHold.objects.filter(case_id=case_id, lifted_at__isnull=True).exists():
        raise _fail("LEGAL_HOLD_ACTIVE", _("This case is under a legal hold already."), "case")
    if Anonymization.objects.filter(case_id=case_id).exists():
        raise _fail("CASE_ANONYMIZED", _("This case's personal data was anonymized already."), "case")
    if len(reason) < 10:
        raise _fail("REASON_REQUIRED", _("Write the reason for the hold (at least 10 characters)."), "reason")
    hold = LegalHold.objects.create(case_id=case_id, reason=reason, set_at=now, set_by=actor)
    audit.record(
        actor=actor,
        action="case.legal_hold_set",
        obj=hold,
        case_id=case_id,
        data={"hold": hold.pk, "reason_digest": digest(reason, kind="note")},
    )
    return hold


def legal_hold_lift(*, hold: LegalHold, reason: str, actor: Any, now: dt.datetime | None = None) -> LegalHold:
    try:
        return _hold_lift(hold=hold, reason=reason, actor=actor, now=now or timezone.now())
    except DomainError as error:
        _hold_refused("case.legal_hold_lifted", actor, hold.case_id, error)
        raise


@transaction.atomic
def _hold_lift(*, hold: LegalHold, reason: str, actor: Any, now: dt.datetime) -> LegalHold:
    if not policies.can_manage_legal_holds(actor):
        raise PermissionRefused.because(_("Only a compliance officer may lift a legal hold."))
    audit.serialize_with_appends()
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    reason = (reason or "").strip()
    if hold.lifted_at is not None:
        raise _fail("LEGAL_HOLD_LIFTED", _("This legal hold was lifted already."))
    if len(reason) < 10:
        raise _fail(
            "REASON_REQUIRED", _("Write the reason for lifting the hold (at least 10 characters)."), "reason"
        )
    hold.lifted_at, hold.lifted_by, hold.lift_reason = now, actor, reason
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit.record(
        actor=actor,
        action="case.legal_hold_lifted",
        obj=hold,
        case_id=hold.case_id,
        data={"hold": hold.pk, "reason_digest": digest(reason, kind="note")},
    )
    return hold
