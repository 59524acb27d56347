"""Complaints and disputes on a case: an open dispute holds the case until a compliance officer resolves it.

COMPLIANCE.md DISPUTE_OPEN: no visit is planned, approved or agreed while a dispute or complaint is open
(visits.selectors.visit_facts reads open `compliance.Complaint` rows of the case). A *dispute* also
moves the case to `on_hold` (transition `hold`, from every stage but `closed` and `on_hold`; the stage it
came from is kept in `stage_before_hold`); resolving the last open dispute of the case releases it
(`release_hold`: back to that stage when it is a resting stage, else to `follow_up`). A dispute on a
closed case is recorded but holds nothing.

Each service works inside a caller's transaction (a visit-log or agreement service may open a dispute
as part of its own write). Refusals are recorded as `<action>.refused` after the rollback.

Audit events: `dispute.opened` + `case.held`; `dispute.resolved` (+ `case.hold_released`);
`complaint.recorded`; `complaint.resolved` (compliance/complaints.py writes the complaint events).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError, Failure
from compliance import audit
from compliance import complaints as records
from compliance.models import Complaint
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import HOLDABLE_STAGES, Case, Stage
from .case import _lock
from .stage import case_stage_move


def _links(case: Case, *, visit_id: int | None, agent_id: int | None) -> list[Failure]:
    """The visit must be one of this case's; the agent a user of the agency."""
    failures = []
    if visit_id is not None and not case.visits.filter(pk=visit_id).exists():
        failures.append(
            Failure(
                "NOT_FOUND", _("That visit does not belong to this case."), records.SOURCE_COMPLAINTS, "visit"
            )
        )
    if agent_id is not None and not User.objects.filter(pk=agent_id, is_service_account=False).exists():
        failures.append(
            Failure("NOT_FOUND", _("There is no such agent."), records.SOURCE_COMPLAINTS, "agent")
        )
    return failures


def _record(
    *,
    kind: str,
    case: Case,
    actor: User,
    channel: str,
    text: str,
    raised_by: str,
    received_at: dt.datetime | None,
    visit_id: int | None,
    agent_id: int | None,
    now: dt.datetime,
) -> Complaint:
    failures = _links(case, visit_id=visit_id, agent_id=agent_id)
    failures += records.validate(
        kind=kind, channel=channel, raised_by=raised_by, text=text, received_at=received_at or now, now=now
    )
    if failures:
        raise DomainError(failures)
    return records.complaint_create(
        kind=kind,
        channel=channel,
        text=text,
        raised_by=raised_by,
        recorded_by=actor,
        pack=records.pack_for(case.creditor.rule_pack_code),
        case_id=case.pk,
        visit_id=visit_id,
        agent_id=agent_id,
        received_at=received_at,
        now=now,
    )


@refusals_recorded("dispute.open")
@transaction.atomic
def dispute_open(
    *,
    case: Case,
    actor: User,
    channel: str,
    text: str,
    raised_by: str,
    received_at: dt.datetime | None = None,
    visit_id: int | None = None,
    agent_id: int | None = None,
    now: dt.datetime | None = None,
    allowed_by_caller: bool = False,
) -> Complaint:
    """Record a dispute and put the case on hold (unless it is closed or on hold already).

    `allowed_by_caller`: a service of a later stage that already checked its own, narrower permission
    (e.g. an agent of the visit completing the visit log with the outcome "dispute raised", who may not
    see the case page) records the dispute in the actor's name."""
    now = now or timezone.now()
    case = _lock(case)
    policies.require(allowed_by_caller or policies.can_record_complaint(actor, case))
    dispute = _record(
        kind=Complaint.Kind.DISPUTE,
        case=case,
        actor=actor,
        channel=channel,
        text=text,
        raised_by=raised_by,
        received_at=received_at,
        visit_id=visit_id,
        agent_id=agent_id,
        now=now,
    )
    if case.stage in HOLDABLE_STAGES:
        move = case_stage_move(case=case, transition="hold", actor=actor, at=now)
        audit.record(
            actor=actor,
            action="case.held",
            obj=case,
            case_id=case.pk,
            data={**move, "dispute": dispute.pk},
        )
    return dispute


@refusals_recorded("complaint.record")
@transaction.atomic
def complaint_record(
    *,
    case: Case | None,
    actor: User,
    channel: str,
    text: str,
    raised_by: str,
    received_at: dt.datetime | None = None,
    visit_id: int | None = None,
    agent_id: int | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Record a complaint (it blocks new visits on its case while open, but holds nothing).

    Without a case (e.g. about an agent, or the agency as a whole) only a compliance officer records it."""
    now = now or timezone.now()
    if case is None:
        policies.require(
            policies.sees_all_cases(actor) and policies.can_record_complaint_unlinked(actor),
            _("Only a compliance officer may record a complaint that names no case."),
        )
        failures = records.validate(
            kind=Complaint.Kind.COMPLAINT,
            channel=channel,
            raised_by=raised_by,
            text=text,
            received_at=received_at or now,
            now=now,
        )
        if agent_id is not None and not User.objects.filter(pk=agent_id, is_service_account=False).exists():
            failures.append(
                Failure("NOT_FOUND", _("There is no such agent."), records.SOURCE_COMPLAINTS, "agent")
            )
        if visit_id is not None:
            failures.append(
                Failure("INVALID_INPUT", _("A visit belongs to a case: name the case too."), "", "visit")
            )
        if failures:
            raise DomainError(failures)
        return records.complaint_create(
            kind=Complaint.Kind.COMPLAINT,
            channel=channel,
            text=text,
            raised_by=raised_by,
            recorded_by=actor,
            pack=records.pack_for(None),
            agent_id=agent_id,
            received_at=received_at,
            now=now,
        )
    case = _lock(case)
    policies.require(policies.can_record_complaint(actor, case))
    return _record(
        kind=Complaint.Kind.COMPLAINT,
        case=case,
        actor=actor,
        channel=channel,
        text=text,
        raised_by=raised_by,
        received_at=received_at,
        visit_id=visit_id,
        agent_id=agent_id,
        now=now,
    )


def _lock_case_of(complaint: Complaint) -> Case | None:
    # The case first, then the complaint: the order dispute_open takes them in (no deadlock).
    if complaint.case_id is None:
        return None
    return Case.objects.select_for_update(of=("self",)).filter(pk=complaint.case_id).first()


def _wrong_kind(expected: str) -> DomainError:
    message = (
        _("This is a complaint: resolve it as a complaint.")
        if expected == Complaint.Kind.DISPUTE
        else _("This is a dispute: resolve it as a dispute, which releases the case's hold.")
    )
    return DomainError([Failure("WRONG_KIND", message, records.SOURCE_COMPLAINTS, "kind")])


@refusals_recorded("dispute.resolve")
@transaction.atomic
def dispute_resolve(
    *, complaint: Complaint, actor: User, outcome: str, reason: str, now: dt.datetime | None = None
) -> Complaint:
    """Resolve a dispute with its outcome and reason; the last open dispute of a case releases its hold."""
    now = now or timezone.now()
    case = _lock_case_of(complaint)
    policies.require(
        policies.can_resolve_complaint(actor, case),
        _("Only a compliance officer may resolve complaints and disputes."),
    )
    complaint = records.lock_open(complaint)
    if complaint.kind != Complaint.Kind.DISPUTE:
        raise _wrong_kind(Complaint.Kind.DISPUTE)
    complaint = records.close(complaint=complaint, actor=actor, outcome=outcome, reason=reason, now=now)
    if case is None or case.stage != Stage.ON_HOLD:
        return complaint
    others = Complaint.objects.filter(
        case_id=case.pk, kind=Complaint.Kind.DISPUTE, status=Complaint.Status.OPEN
    ).exclude(pk=complaint.pk)
    if not others.exists():
        move = case_stage_move(case=case, transition="release_hold", actor=actor, at=now)
        audit.record(
            actor=actor,
            action="case.hold_released",
            obj=case,
            case_id=case.pk,
            data={**move, "dispute": complaint.pk},
        )
    return complaint


@refusals_recorded("complaint.resolve")
@transaction.atomic
def complaint_resolve(
    *, complaint: Complaint, actor: User, outcome: str, reason: str, now: dt.datetime | None = None
) -> Complaint:
    """Resolve a complaint (no hold to release) with its outcome and reason."""
    now = now or timezone.now()
    case = _lock_case_of(complaint)
    policies.require(
        policies.can_resolve_complaint(actor, case),
        _("Only a compliance officer may resolve complaints and disputes."),
    )
    complaint = records.lock_open(complaint)
    if complaint.kind != Complaint.Kind.COMPLAINT:
        raise _wrong_kind(Complaint.Kind.COMPLAINT)
    return records.close(complaint=complaint, actor=actor, outcome=outcome, reason=reason, now=now)
