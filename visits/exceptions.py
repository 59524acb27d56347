"""Rows of the compliance exceptions report from the contact gate and the server's clock.

`visits.late_recording`: a notice or a contact whose typed time precedes its recording by more than
the pack's grace (visits/services/clock.py). The record is kept (it says what happened) and counts from
the recording time less the grace; the report lists it with how late it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from compliance import registry
from compliance.models import AuditEvent
from compliance.registry import ExceptionQuery, ExceptionRow

LATE_ACTIONS = ("notice.recorded", "contact.recorded")


def late_recordings(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    if q.code:
        return
    qs = AuditEvent.objects.filter(action__in=LATE_ACTIONS, data__has_key="late_minutes")
    if q.date_from:
        qs = qs.filter(at__gte=q.date_from)
    if q.date_to:
        qs = qs.filter(at__lt=q.date_to)
    if q.case_ids is not None:
        qs = qs.filter(case_id__in=q.case_ids)
    if q.actor_id:
        qs = qs.filter(actor_user_id=q.actor_id)
    qs = qs.order_by("-seq")
    for event in qs[: q.limit] if q.limit else qs.iterator(chunk_size=2000):
        typed = event.data.get("given_at") or event.data.get("at") or ""
        yield ExceptionRow(
            at=event.at,
            source="visits.late_recording",
            kind=_("Recorded later than the grace after the time typed"),
            what=event.action,
            actor_id=event.actor_user_id,
            case_id=event.case_id,
            detail=str(
                _("typed %(typed)s, recorded %(late)s minutes after the grace")
                % {"typed": typed, "late": event.data.get("late_minutes")}
            ),
            ref=f"audit #{event.seq}",
            link=reverse("compliance:audit-list") + f"?before={event.seq + 1}",
        )


def register() -> None:
    registry.register_exception_source(
        registry.ExceptionSource(
            "visits.late_recording", _("Notices and contacts recorded late"), late_recordings
        )
    )
