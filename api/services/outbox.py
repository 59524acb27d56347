"""The stage-change outbox: every change of a case's stage, found without any stage service's help.

Where the changes come from. django-simple-history writes a `HistoricalCase` row, holding the stage,
on every save of a case; two consecutive rows of one case with different stages are one stage change.
Any stage and any transition another engineer adds is caught, because it is saved like every other.

Which rows to read, and why not simply "history ids above a cursor". On PostgreSQL ids are handed out
when a row is inserted, not when its transaction commits: a long transaction (an import) may commit
history row 102 after row 103 was read, and a cursor at 103 would skip 102 for ever. The audit trail
has no such gap: appends are serialized (one advisory lock, held to commit), so `seq` order is commit
order and a committed `seq` N means every event before it committed too. Every service that saves a
case appends an event carrying `data.case` in the same transaction (a project rule, docs/audit-format.md),
so the outbox reads the trail after its cursor, takes the cases those events name, and compares each
case's history rows after the last row it compared (`CaseStageMark`). Per case, history rows commit in
id order: a save updates the case row, which locks it until commit.

Idempotent: the cursor and the marks move in the transaction that records the changes, and a change
is unique by its history row; running the scan twice, or two scans at once, records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from cases.models import Case
from compliance.models import AuditEvent

from ..models import CaseStageMark, OutboxCursor, StageChange, WebhookDelivery, WebhookEndpoint

CURSOR = "stage-changes"
EVENTS_PER_BATCH = 2000
CHUNK = 900  # ids per IN (...) query
HistoricalCase = Case.history.model


@dataclass
class ScanResult:
    events: int = 0
    changes: list[int] = field(default_factory=list)  # StageChange ids
    deliveries: list[int] = field(default_factory=list)  # WebhookDelivery ids to send


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _cursor() -> OutboxCursor:
    """The cursor, locked. The first scan starts at the present: nothing that happened before the
    outbox existed is reported (history up to `history_floor` is only a baseline)."""
    cursor = OutboxCursor.objects.select_for_update().filter(name=CURSOR).first()
    if cursor is None:
        head = AuditEvent.objects.aggregate(seq=Max("seq"))["seq"] or 0
        floor = HistoricalCase.objects.aggregate(h=Max("history_id"))["h"] or 0
        OutboxCursor.objects.get_or_create(name=CURSOR, defaults={"audit_seq": head, "history_floor": floor})
        cursor = OutboxCursor.objects.select_for_update().get(name=CURSOR)
    return cursor


def _baselines(case_ids: Sequence[int], floor: int) -> dict[int, str]:
    """For cases never compared yet: the stage of their last history row at or below the floor."""
    latest: list[int] = []
    for chunk in _chunks(case_ids):
        rows = (
            HistoricalCase.objects.filter(id__in=chunk, history_id__lte=floor)
            .values("id")
            .annotate(last=Max("history_id"))
        )
        latest += [row["last"] for row in rows]
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(latest)):
        found.update(HistoricalCase.objects.filter(history_id__in=chunk).values_list("id", "stage"))
    return found


def _scan_batch(cursor: OutboxCursor, result: ScanResult) -> bool:
    """One batch of audit events after the cursor; False when there was none."""
    events = list(
        AuditEvent.objects.filter(seq__gt=cursor.audit_seq)
        .order_by("seq")
        .values_list("seq", "case_id")[:EVENTS_PER_BATCH]
    )
    if not events:
        return False
    result.events += len(events)
    case_ids = sorted({case_id for _seq, case_id in events if case_id is not None})
    marks = {m.case_id: m for m in CaseStageMark.objects.filter(case_id__in=case_ids)} if case_ids else {}
    baselines = _baselines([c for c in case_ids if c not in marks], cursor.history_floor)
    # Per case: the last history row compared and its stage (None: the case began after the floor).
    last: dict[int, tuple[int, str | None]] = {
        c: (marks[c].history_id, marks[c].stage) if c in marks else (cursor.history_floor, baselines.get(c))
        for c in case_ids
    }
    moved: dict[int, tuple[int, str]] = {}
    changes: list[StageChange] = []
    for chunk in _chunks(case_ids):
        lowest = min(last[c][0] for c in chunk)
        rows = (
            HistoricalCase.objects.filter(id__in=chunk, history_id__gt=lowest)
            .order_by("history_id")
            .values_list("history_id", "id", "stage", "history_date", "creditor_id", "external_ref")
        )
        for history_id, case_id, stage, at, creditor_id, external_ref in rows.iterator(chunk_size=2000):
            last_id, last_stage = moved.get(case_id) or last[case_id]
            if history_id <= last_id:
                continue
            if last_stage is not None and stage != last_stage:
                changes.append(
                    StageChange(
                        history_id=history_id,
                        case_id=case_id,
                        creditor_id=creditor_id,
                        external_ref=external_ref,
                        from_stage=last_stage,
                        to_stage=stage,
                        at=at,
                    )
                )
            moved[case_id] = (history_id, stage)
    _record(changes, result)
    CaseStageMark.objects.bulk_create(
        [CaseStageMark(case_id=c, history_id=h, stage=s) for c, (h, s) in moved.items() if c not in marks]
    )
    updated = []
    for case_id, (history_id, stage) in moved.items():
        if case_id in marks:
            marks[case_id].history_id, marks[case_id].stage = history_id, stage
            updated.append(marks[case_id])
    CaseStageMark.objects.bulk_update(updated, ["history_id", "stage"], batch_size=500)
    cursor.audit_seq = events[-1][0]
    cursor.save(update_fields=["audit_seq", "updated_at"])
    return True


def _record(changes: Sequence[StageChange], result: ScanResult) -> None:
    """Store the changes not stored yet (of cases that still exist) and queue their deliveries."""
    history_ids = [c.history_id for c in changes]
    known: set[int] = set()
    for chunk in _chunks(history_ids):
        known.update(StageChange.objects.filter(history_id__in=chunk).values_list("history_id", flat=True))
    case_ids = sorted({c.case_id for c in changes})
    existing: set[int] = set()
    for chunk in _chunks(case_ids):
        existing.update(Case.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    fresh = [c for c in changes if c.history_id not in known and c.case_id in existing]
    created = StageChange.objects.bulk_create(fresh, batch_size=500)
    result.changes += [c.pk for c in created]
    result.deliveries += _queue_deliveries(created)


def _queue_deliveries(changes: Sequence[StageChange]) -> list[int]:
    """A delivery for each change whose creditor has an active endpoint now."""
    creditors = {c.creditor_id for c in changes}
    endpoints = {
        e.creditor_id: e for e in WebhookEndpoint.objects.filter(creditor_id__in=creditors, is_active=True)
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=endpoints[c.creditor_id], change=c)
            for c in changes
            if c.creditor_id in endpoints
        ]
    )
    return [d.pk for d in deliveries]


def stage_changes_scan(*, max_batches: int = 25) -> ScanResult:
    """Read the audit trail from the cursor on and record the stage changes found; each batch commits
    with its changes, its deliveries (sent after commit by the caller's task) and the moved cursor."""
    result = ScanResult()
    for _ in range(max_batches):
        with transaction.atomic():
            if not _scan_batch(_cursor(), result):
                break
    return result
