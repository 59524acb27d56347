"""A supervisor's review of a completed visit log: accept it, or return it for correction.

A correction never edits the submitted version: returning the log copies it into a new draft version
that the agents correct (only the record of the conversation may change, see CORRECTABLE_FIELDS) and
submit again; every version stays visible on the visit page and in the report.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import ALL_LOG_COPY_FIELDS, CORRECTABLE_FIELDS, LogStatus, Visit, VisitLog, VisitState
from .onsite import (
    _completeness,
    _draft,
    _key,
    _refuse,
    _replayed,
    _require_state,
    _save,
    _submit,
)
from .planning import _lock_case, _lock_visit


def _submitted(visit: Visit) -> VisitLog:
    log = VisitLog.objects.select_for_update().filter(visit=visit).order_by("-version").first()
    if log is None or log.status != LogStatus.SUBMITTED:
        raise _refuse("LOG_NOT_SUBMITTED", _("There is no submitted visit log to review."), "log")
    return log


@refusals_recorded("visit.log_accept", object_type="visits.visit")
@transaction.atomic
def visit_log_accept(
    *, visit: Visit, actor: User, comment: str = "", now: dt.datetime | None = None
) -> VisitLog:
    """completed → accepted by a supervisor of the team who did not go on the visit."""
    now = now or timezone.now()
    visit = _lock_visit(visit)
    policies.require(policies.can_review_log(actor, visit))
    _require_state(visit, VisitState.COMPLETED, action=_("Accepting the log"))
    log = _submitted(visit)
    comment = (comment or "").strip()
    log.status = LogStatus.ACCEPTED
    log.reviewed_by, log.reviewed_at, log.review_comment = actor, now, comment[:2000]
    _save(log, actor)
    visit.accept_log(at=now)
    _save(visit, actor)
    audit.record(
        actor=actor,
        action="visit.log_accepted",
        obj=visit,
        case_id=visit.case_id,
        data={
            "visit": visit.pk,
            "version": log.version,
            "content_sha256": log.content_sha256,
            "comment_digest": digest(comment, kind="note") if comment else "",
        },
    )
    return log


@refusals_recorded("visit.log_return", object_type="visits.visit")
@transaction.atomic
def visit_log_return(*, visit: Visit, actor: User, comment: str, now: dt.datetime | None = None) -> VisitLog:
    """completed → returned for correction, with the supervisor's comment; a new draft version is made
    from the submitted one for the agents to correct. Returns the new draft."""
    now = now or timezone.now()
    visit = _lock_visit(visit)
    policies.require(policies.can_review_log(actor, visit))
    _require_state(visit, VisitState.COMPLETED, action=_("Returning the log"))
    comment = (comment or "").strip()
    if not comment:
        raise _refuse("FIELD_REQUIRED", _("Say what must be corrected."), "comment")
    log = _submitted(visit)
    log.status = LogStatus.RETURNED
    log.reviewed_by, log.reviewed_at, log.review_comment = actor, now, comment[:2000]
    _save(log, actor)
    draft = VisitLog(visit=visit, version=log.version + 1, status=LogStatus.DRAFT)
    for name in ALL_LOG_COPY_FIELDS:
        setattr(draft, name, getattr(log, name))
    _save(draft, actor)
    visit.return_log(at=now)
    _save(visit, actor)
    audit.record(
        actor=actor,
        action="visit.log_returned",
        obj=visit,
        case_id=visit.case_id,
        data={
            "visit": visit.pk,
            "version": log.version,
            "new_version": draft.version,
            "comment_digest": digest(comment, kind="note"),
        },
    )
    return draft


@refusals_recorded("visit.log_resubmit", object_type="visits.visit")
def visit_log_resubmit(
    *,
    visit: Visit,
    actor: User,
    idempotency_key: str,
    client_submitted_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> VisitLog:
    """correction → completed: the corrected version is submitted for review again."""
    now = now or timezone.now()
    key = _key(idempotency_key)
    with transaction.atomic():
        visit = _lock_visit(visit)
        case = _lock_case(visit.case)
        policies.require(policies.can_fill_log(actor, visit))
        replay = _replayed(VisitLog, key, visit=visit, actor=actor, field="submit_key")
        if replay is not None:
            return replay
        _require_state(visit, VisitState.CORRECTION, action=_("Resubmitting the log"))
        log = _draft(visit)
        previous = VisitLog.objects.get(visit=visit, version=log.version - 1)
        failures = _completeness(visit, case, log, now)
        if failures:
            raise DomainError(failures)
        changed = [n for n in CORRECTABLE_FIELDS if getattr(log, n) != getattr(previous, n)]
        _submit(log=log, visit=visit, actor=actor, key=key, client_submitted_at=client_submitted_at, now=now)
        visit.resubmit_log(at=now)
        _save(visit, actor)
        audit.record(
            actor=actor,
            action="visit.log_resubmitted",
            obj=visit,
            case_id=case.pk,
            data={
                "visit": visit.pk,
                "version": log.version,
                "changed": changed,
                "late": log.late,
                "content_sha256": log.content_sha256,
                "previous_sha256": previous.content_sha256,
            },
        )
    return log
