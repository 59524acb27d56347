"""Reads of the compliance workspace. The audit search itself is compliance/search.py (keyset by seq)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse

from . import search
from .models import Alert, AuditEvent, AuditExport, Complaint, LegalHold


def audit_page(
    *, before_seq: int | None = None, action: str = "", case_id: int | None = None, size: int = 50
) -> list[AuditEvent]:
    """The newest events (optionally by action prefix and case), older than `before_seq`."""
    f = search.AuditFilter(case_id=case_id, action=action)
    return search.page(f, before=before_seq, size=size).events


def chain_head() -> AuditEvent | None:
    return AuditEvent.objects.order_by("-seq").first()


def people(user_ids: Iterable[int | None]) -> dict[int, Any]:
    """Users by id, in one query (for "who" columns)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}


def actor_ids(events: Iterable[AuditEvent]) -> set[int]:
    return {e.actor_user_id for e in events if e.actor_user_id}


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit search, ready to print: the page shows 50 of them, and formatting them
    here (one strftime, one reverse per case) instead of through template filters, tags and lookups
    per cell is most of the page's server time (bench/README.md, "audit search")."""

    seq: int
    at: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    actor: str
    person: str  # the actor's display name, "" for a system actor or an unknown user
    action: str
    object_ref: str
    case_id: int | None
    case_url: str
    codes: tuple[str, ...]
    hash_short: str


def audit_rows(events: Iterable[AuditEvent], users: dict[int, Any]) -> list[AuditRow]:
    """The events as rows; `users` from `people(actor_ids(events))` (no further query)."""
    case_urls: dict[int, str] = {}
    rows = []
    for e in events:
        person = users.get(e.actor_user_id) if e.actor_user_id else None
        if e.case_id and e.case_id not in case_urls:
            case_urls[e.case_id] = reverse("cases:case-detail", args=[e.case_id])
        codes = e.data.get("codes") if isinstance(e.data, dict) else None
        rows.append(
            AuditRow(
                seq=e.seq,
                at=e.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                actor=e.actor,
                person=person.display_name if person else "",
                action=e.action,
                object_ref=f"{e.object_type}:{e.object_id}",
                case_id=e.case_id,
                case_url=case_urls[e.case_id] if e.case_id else "",
                codes=tuple(str(c) for c in codes) if isinstance(codes, list) else (),
                # As `truncatechars:13` did: 12 characters and the ellipsis.
                hash_short=e.hash[:12] + "…" if len(e.hash) > 13 else e.hash,
            )
        )
    return rows


# --- complaints and disputes ----------------------------------------------------------------------


def complaints(
    *,
    status: str = "open",
    kind: str = "",
    channel: str = "",
    case_id: int | None = None,
    overdue_at: dt.datetime | None = None,
) -> QuerySet[Complaint]:
    qs = Complaint.objects.select_related("recorded_by", "resolved_by", "acknowledged_by", "pack")
    if status in Complaint.Status.values:
        qs = qs.filter(status=status)
    if kind in Complaint.Kind.values:
        qs = qs.filter(kind=kind)
    if channel in Complaint.Channel.values:
        qs = qs.filter(channel=channel)
    if case_id:
        qs = qs.filter(case_id=case_id)
    if overdue_at is not None:
        qs = qs.filter(status=Complaint.Status.OPEN).filter(
            Q(resolve_due_at__lt=overdue_at)
            | Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=overdue_at)
        )
    return qs.order_by("-received_at", "-pk")


def complaint_page(*, status: str = "", size: int = 100) -> list[Complaint]:
    return list(complaints(status=status)[:size])


def open_complaints_by_deadline(*, size: int = 20) -> list[Complaint]:
    """Open complaints and disputes, the nearest resolution deadline first (dashboard)."""
    return list(
        Complaint.objects.filter(status=Complaint.Status.OPEN)
        .select_related("pack")
        .order_by("resolve_due_at", "pk")[:size]
    )


def complaints_of_case_queryset(case_id: int) -> QuerySet[Complaint]:
    return Complaint.objects.filter(case_id=case_id).order_by("-received_at", "-pk")


def complaints_of_case(case_id: int) -> list[Complaint]:
    return list(complaints_of_case_queryset(case_id))


# --- alerts, exports, holds -----------------------------------------------------------------------


def alerts(*, open_only: bool = False, size: int = 50) -> list[Alert]:
    qs = Alert.objects.select_related("acknowledged_by")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return list(qs.order_by("-raised_at", "-pk")[:size])


def recent_exports(*, size: int = 10) -> list[AuditExport]:
    return list(AuditExport.objects.select_related("requested_by").order_by("-requested_at", "-pk")[:size])


def active_holds(case_id: int) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(case_id=case_id, lifted_at__isnull=True).order_by("pk")


def active_hold(case_id: int) -> LegalHold | None:
    return active_holds(case_id).select_related("set_by").first()


def legal_holds(*, active_only: bool = True, size: int = 200) -> list[LegalHold]:
    qs = LegalHold.objects.select_related("set_by", "lifted_by")
    if active_only:
        qs = qs.filter(lifted_at__isnull=True)
    return list(qs.order_by("-set_at", "-pk")[:size])
