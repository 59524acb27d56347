"""Complaints and disputes as compliance records: creation with the pack's response targets,
acknowledgement, resolution, and the hourly check of the deadlines.

What a complaint does to a case (a dispute's hold) is the cases app's: `cases.services.disputes` calls
these functions inside its own transaction, and the public verification page (visits) calls
`complaint_create` directly. Compliance imports no stage app: case, visit and agent are ids.

Audit events (references and digests only): `complaint.recorded` / `dispute.opened`,
`complaint.acknowledged` / `dispute.acknowledged`, `complaint.resolved` / `dispute.resolved`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused
from common.pii import digest

from . import audit, packs, policies
from .alerts import alert_raise
from .models import Alert, Complaint, RulePack

SOURCE_COMPLAINTS = _("Reg F 12 CFR 1006.38; FCA CONC 7.14, DISP 1.6; rule pack response targets")
# A received-at this far in the future is a typing error, not a clock difference.
CLOCK_SLACK = dt.timedelta(minutes=5)


def _prefix(kind: str) -> str:
    return "dispute" if kind == Complaint.Kind.DISPUTE else "complaint"


def pack_for(code: str | None) -> RulePack | None:
    """The current version of the creditor's pack, or of the default pack."""
    return (packs.latest_version(code) if code else None) or packs.latest_version("cn-default")


def validate(
    *, kind: str, channel: str, raised_by: str, text: str, received_at: dt.datetime, now: dt.datetime
) -> list[Failure]:
    failures = []
    if kind not in Complaint.Kind.values:
        failures.append(
            Failure("INVALID_INPUT", _("Choose complaint or dispute."), SOURCE_COMPLAINTS, "kind")
        )
    if channel not in Complaint.Channel.values:
        failures.append(
            Failure("INVALID_INPUT", _("Choose the channel it came through."), SOURCE_COMPLAINTS, "channel")
        )
    if raised_by not in Complaint.RaisedBy.values:
        failures.append(Failure("INVALID_INPUT", _("Say who raised it."), SOURCE_COMPLAINTS, "raised_by"))
    if channel != Complaint.Channel.PUBLIC_PAGE and not (text or "").strip():
        failures.append(
            Failure(
                "FIELD_REQUIRED", _("Write what the complaint or dispute says."), SOURCE_COMPLAINTS, "text"
            )
        )
    if received_at > now + CLOCK_SLACK:
        failures.append(
            Failure(
                "RECEIVED_IN_FUTURE",
                _("The date received cannot be in the future."),
                SOURCE_COMPLAINTS,
                "received_at",
            )
        )
    return failures


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


@transaction.atomic
def complaint_create(
    *,
    kind: str,
    channel: str,
    text: str,
    raised_by: str,
    recorded_by: Any,
    pack: RulePack | None,
    case_id: int | None = None,
    visit_id: int | None = None,
    agent_id: int | None = None,
    received_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Record a complaint or a dispute with its deadlines (received + the pack's days) and its event.

    Permission checks are the caller's (the cases services, or the public page, which anyone may use).
    """
    now = now or timezone.now()
    received_at = received_at or now
    text = (text or "").strip()
    failures = validate(
        kind=kind, channel=channel, raised_by=raised_by, text=text, received_at=received_at, now=now
    )
    if failures:
        raise DomainError(failures)
    complaint = Complaint(
        kind=kind,
        channel=channel,
        raised_by=raised_by,
        case_id=case_id,
        visit_id=visit_id,
        agent_id=agent_id,
        created_at=now,
        received_at=received_at,
        text=text[:4000],
        status=Complaint.Status.OPEN,
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
        pack=pack,
        acknowledge_due_at=received_at + dt.timedelta(days=pack.complaint_ack_days) if pack else None,
        resolve_due_at=received_at + dt.timedelta(days=pack.complaint_resolve_days) if pack else None,
    )
    complaint.full_clean()
    complaint.save()
    audit.record(
        actor=recorded_by,
        action="dispute.opened" if kind == Complaint.Kind.DISPUTE else "complaint.recorded",
        obj=complaint,
        case_id=case_id,
        data={
            "kind": kind,
            "channel": channel,
            "raised_by": raised_by,
            "visit": visit_id,
            "agent": agent_id,
            "received_at": received_at,
            "has_text": bool(text),
            "text_sha256": text_sha256(text),
            "pack": [pack.code, pack.version] if pack else None,
            "acknowledge_due_at": complaint.acknowledge_due_at,
            "resolve_due_at": complaint.resolve_due_at,
        },
    )
    return complaint


def _not_open(complaint: Complaint) -> DomainError:
    return DomainError(
        [
            Failure(
                "COMPLAINT_NOT_OPEN",
                _("This %(kind)s is resolved already.") % {"kind": complaint.get_kind_display().lower()},
                SOURCE_COMPLAINTS,
            )
        ]
    )


def _refused(action: str, complaint: Complaint, actor: Any, error: DomainError) -> None:
    audit.record(
        actor=actor,
        action=f"{_prefix(complaint.kind)}.{action}.refused",
        obj=complaint,
        case_id=complaint.case_id,
        data={"codes": error.codes},
    )


def complaint_acknowledge(*, complaint: Complaint, actor: Any, now: dt.datetime | None = None) -> Complaint:
    """A compliance officer acknowledges receipt (the first response target)."""
    try:
        return _acknowledge(complaint=complaint, actor=actor, now=now)
    except DomainError as error:
        _refused("acknowledge", complaint, actor, error)
        raise


@transaction.atomic
def _acknowledge(*, complaint: Complaint, actor: Any, now: dt.datetime | None) -> Complaint:
    if not policies.can_resolve_complaints(actor):
        raise PermissionRefused.because(
            _("Only a compliance officer may acknowledge complaints and disputes.")
        )
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not complaint.is_open:
        raise _not_open(complaint)
    if complaint.acknowledged_at is not None:
        raise DomainError(
            [Failure("COMPLAINT_ALREADY_ACKNOWLEDGED", _("It was acknowledged already."), SOURCE_COMPLAINTS)]
        )
    now = now or timezone.now()
    complaint.acknowledged_at, complaint.acknowledged_by = now, actor
    complaint.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(
        actor=actor,
        action=f"{_prefix(complaint.kind)}.acknowledged",
        obj=complaint,
        case_id=complaint.case_id,
        data={
            "kind": complaint.kind,
            "late": bool(complaint.acknowledge_due_at and now > complaint.acknowledge_due_at),
        },
    )
    return complaint


def close(*, complaint: Complaint, actor: Any, outcome: str, reason: str, now: dt.datetime) -> Complaint:
    """Resolve a locked, open complaint with its outcome and reason, and record it. The caller (the
    cases services) holds the transaction, has checked the permission and releases any hold."""
    reason = (reason or "").strip()
    failures = []
    if outcome not in Complaint.Outcome.values:
        failures.append(
            Failure(
                "INVALID_INPUT",
                _("Choose the outcome: upheld, partly upheld, rejected or withdrawn."),
                SOURCE_COMPLAINTS,
                "outcome",
            )
        )
    if len(reason) < 10:
        failures.append(
            Failure(
                "RESOLUTION_REASON",
                _("Write the reason for the outcome (at least 10 characters)."),
                SOURCE_COMPLAINTS,
                "reason",
            )
        )
    if failures:
        raise DomainError(failures)
    complaint.status = Complaint.Status.CLOSED
    complaint.outcome, complaint.resolution = outcome, reason[:4000]
    complaint.resolved_at, complaint.resolved_by = now, actor
    if complaint.acknowledged_at is None:  # a resolution is also its acknowledgement
        complaint.acknowledged_at, complaint.acknowledged_by = now, actor
    complaint.full_clean()
    complaint.save()
    audit.record(
        actor=actor,
        action=f"{_prefix(complaint.kind)}.resolved",
        obj=complaint,
        case_id=complaint.case_id,
        data={
            "kind": complaint.kind,
            "outcome": outcome,
            "reason_digest": digest(reason, kind="note"),
            "late": bool(complaint.resolve_due_at and now > complaint.resolve_due_at),
        },
    )
    return complaint


def lock_open(complaint: Complaint) -> Complaint:
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not locked.is_open:
        raise _not_open(locked)
    return locked


def complaints_flag_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Hourly (beat): an alert for every open complaint past its acknowledgement or resolution target,
    once per complaint and target. Returns the ids of the alerts raised."""
    now = now or timezone.now()
    raised = []
    unacknowledged = Complaint.objects.filter(
        status=Complaint.Status.OPEN, acknowledged_at__isnull=True, acknowledge_due_at__lt=now
    )
    unresolved = Complaint.objects.filter(status=Complaint.Status.OPEN, resolve_due_at__lt=now)
    for kind, qs, due_field in (
        (Alert.Kind.COMPLAINT_ACK_OVERDUE, unacknowledged, "acknowledge_due_at"),
        (Alert.Kind.COMPLAINT_RESOLVE_OVERDUE, unresolved, "resolve_due_at"),
    ):
        for complaint in qs.order_by("pk").iterator():
            alert = alert_raise(
                kind=kind,
                key=f"complaint:{complaint.pk}",
                object_type="compliance.complaint",
                object_id=str(complaint.pk),
                case_id=complaint.case_id,
                data={
                    "complaint": complaint.pk,
                    "kind_of": complaint.kind,
                    "due": audit.format_at(getattr(complaint, due_field)),
                },
                now=now,
            )
            if alert is not None:
                raised.append(alert.pk)
    return raised
