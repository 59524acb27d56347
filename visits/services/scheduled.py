"""Scheduled work run by Celery beat (visits/tasks.py): agent reminders, expiry of plans not approved
in time, and visits whose notice lead time can no longer be met. Each job is idempotent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from cases.models import Case
from cases.services.stage import case_can_move, case_stage_move
from compliance import audit

from .. import selectors
from ..models import (
    Visit,
    VisitState,
)
from ._shared import (
    _now,
    logger,
)

# --- scheduled work (Celery beat, visits/tasks.py) ----------------------------------------------------

REMINDERS = (
    # (kind, how long before the window start it becomes due, when the next one takes over)
    ("day_before", dt.timedelta(hours=24), dt.timedelta(hours=1)),
    ("hour_before", dt.timedelta(hours=1), dt.timedelta(0)),
)


def _marked(*, action: str, visit_id: int, **data: str) -> bool:
    """Whether an audit event already marks this visit: the audit trail is the idempotency record of
    the scheduled jobs (no extra column; the proof of the reminder is the marker itself)."""
    from compliance.models import AuditEvent

    lookups = {f"data__{k}": v for k, v in data.items()}
    return AuditEvent.objects.filter(
        action=action, object_type="visits.visit", object_id=str(visit_id), **lookups
    ).exists()


def visit_reminders_send(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Remind the agents of an approved or notified visit the day before and one hour before.

    Each (visit, kind) is sent once: the visit row is locked, the marker (`visit.reminder_sent` with
    its kind) checked, the email sent and the marker appended in one transaction; a failed send rolls
    the marker back so the next run tries again.
    """
    now = now or _now()
    sent: list[tuple[int, str]] = []
    horizon = now + REMINDERS[0][1]
    candidates = Visit.objects.filter(
        state__in=[VisitState.APPROVED, VisitState.NOTIFIED], window_start__gt=now, window_start__lte=horizon
    ).values_list("pk", flat=True)
    for visit_id in list(candidates):
        with transaction.atomic():
            visit = (
                Visit.objects.select_for_update(of=("self",))
                .select_related("case__creditor")
                .get(pk=visit_id)
            )
            if visit.state not in (VisitState.APPROVED, VisitState.NOTIFIED):
                continue
            due = [
                k
                for k, before, until in REMINDERS
                if visit.window_start - before <= now < visit.window_start - until
            ]
            if not due or _marked(action="visit.reminder_sent", visit_id=visit.pk, kind=due[0]):
                continue
            kind = due[0]
            agents = list(visit.agents.all())
            addresses = [a.email for a in agents if a.email]
            if addresses:
                try:
                    _reminder_email(visit=visit, kind=kind, to=addresses).send(fail_silently=False)
                except OSError as error:  # SMTP down: no marker, so the next run tries again
                    logger.warning("visit %s %s reminder not sent: %s", visit.pk, kind, type(error).__name__)
                    continue
            audit.record(
                actor=None,
                action="visit.reminder_sent",
                obj=visit,
                case_id=visit.case_id,
                data={"kind": kind, "agents": sorted(a.pk for a in agents), "emailed": len(addresses)},
            )
            sent.append((visit.pk, kind))
    return sent


def _reminder_email(*, visit: Visit, kind: str, to: list[str]) -> EmailMessage:
    from zoneinfo import ZoneInfo

    start = visit.window_start.astimezone(ZoneInfo(visit.time_zone))
    end = visit.window_end.astimezone(ZoneInfo(visit.time_zone))
    when = "tomorrow" if kind == "day_before" else "in one hour"
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:contact-list", kwargs={"pk": visit.case_id})
    body = (
        f"Reminder: visit {visit.pk} on case {visit.case} is {when}, "
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({visit.time_zone}).\n"
        "Carry your work ID, the creditor's authorization letter and the documents on the checklist.\n"
        f"{link}\n"
    )
    return EmailMessage(subject=f"Visit reminder: {start:%Y-%m-%d %H:%M}", body=body, to=to)


def _expired(visit: Visit, now: dt.datetime) -> bool:
    """Not approved by its start, or approved (and notified) but not started by the end of its window:
    nobody went, or too few agents checked in (the agents cannot check in after the window)."""
    if visit.state in (VisitState.PLANNED, VisitState.RETURNED):
        return visit.window_start <= now
    return visit.state in (VisitState.APPROVED, VisitState.NOTIFIED) and visit.window_end <= now


def visit_plans_expire(*, now: dt.datetime | None = None) -> list[int]:
    """Plans still not approved when their window starts, and approved visits nobody started by the end
    of their window, expire; the case can be planned again when no other visit of it is live."""
    now = now or _now()
    expired = []
    stale = (
        Visit.objects.filter(state__in=[VisitState.PLANNED, VisitState.RETURNED], window_start__lte=now)
        | Visit.objects.filter(state__in=[VisitState.APPROVED, VisitState.NOTIFIED], window_end__lte=now)
    ).values_list("pk", flat=True)
    for visit_id in list(stale):
        with transaction.atomic():
            visit = Visit.objects.select_for_update(of=("self",)).get(pk=visit_id)
            if not _expired(visit, now):
                continue
            case = Case.objects.select_for_update(of=("self",)).get(pk=visit.case_id)
            old = visit.state
            visit.expire(at=now)
            visit.save()
            audit.record(
                actor=None,
                action="visit.expired",
                obj=visit,
                case_id=case.pk,
                data={
                    "from": old,
                    "to": visit.state,
                    "window_start": visit.window_start,
                    "checked_in": sorted(visit.check_ins.values_list("agent_id", flat=True)),
                },
            )
            live = Visit.objects.filter(
                case_id=case.pk,
                state__in=[VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED],
            ).exists()
            if not live and case_can_move(case, "drop_visit_plan"):
                moved = case_stage_move(case=case, transition="drop_visit_plan", actor=None, at=now)
                audit.record(
                    actor=None,
                    action="case.visit_plan_dropped",
                    obj=case,
                    case_id=case.pk,
                    data={**moved, "visit": visit.pk, "trigger": "visit.expired"},
                )
            expired.append(visit.pk)
    return expired


def notice_lead_time_flag(*, now: dt.datetime | None = None) -> list[int]:
    """Approved visits with no notice yet whose pack's lead time can no longer be met: flagged once
    (`visit.notice_lead_time_at_risk`), so the planner re-plans or a supervisor decides before check-in."""
    now = now or _now()
    flagged = []
    approved = Visit.objects.filter(state=VisitState.APPROVED, window_start__gt=now).select_related(
        "case__creditor"
    )
    for visit in approved:
        pack = selectors.pack_for_case(visit.case)
        if not pack.notice_required:
            continue
        lead = dt.timedelta(hours=pack.notice_lead_hours)
        if visit.window_start - now >= lead:
            continue
        with transaction.atomic():
            Visit.objects.select_for_update(of=("self",)).get(pk=visit.pk)
            if _marked(action="visit.notice_lead_time_at_risk", visit_id=visit.pk):
                continue
            audit.record(
                actor=None,
                action="visit.notice_lead_time_at_risk",
                obj=visit,
                case_id=visit.case_id,
                data={
                    "window_start": visit.window_start,
                    "lead_hours": pack.notice_lead_hours,
                    "pack": [pack.code, pack.version],
                    "latest_notice_at": visit.window_start - lead,
                },
            )
            flagged.append(visit.pk)
    return flagged
