"""The only writer of the audit chain, and its verifier.

Appends are serialized: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by IMMEDIATE
transactions (settings), so concurrent writers can never fork (prev_hash is unique) or gap (seq is the
primary key, always last + 1) the chain. Payloads carry references and digests only, never plain
personal data; `_clean` refuses floats so that the canonical JSON is reproducible anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Model

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Arbitrary constant key for pg_advisory_xact_lock; one lock for the whole chain.
_PG_LOCK_KEY = 0x46_4C_41_55_44  # "FLAUD"
HASHED_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash")
# Keys added to the `data` of every event appended inside `context(...)`, e.g. {"via": "api"} for the
# events an API request causes, whichever service writes them.
_context: ContextVar[dict[str, Any] | None] = ContextVar("fieldledger_audit_context", default=None)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def format_at(at: dt.datetime) -> str:
    """UTC ISO 8601 with microseconds and a Z, e.g. 2026-11-23T10:00:00.000000Z."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_at_short(at: dt.datetime) -> str:
    """UTC to the second, for printed tables (headed "At (UTC)"): 2026-11-23 10:00:00."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _clean(value: Any) -> Any:
    """JSON-safe and reproducible: Decimal/date/UUID become strings; floats are refused."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_clean(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        raise TypeError("audit data must not contain floats (not reproducible); use Decimal or str")
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_at(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"audit data cannot hold {type(value).__name__}")


@contextmanager
def context(**data: Any) -> Iterator[dict[str, Any]]:
    """Events appended inside the block carry `data` too (references only, like any payload).

    The dict it yields may be extended inside the block (e.g. once the request is authenticated).
    """
    current = {**(_context.get() or {}), **data}
    token = _context.set(current)
    try:
        yield current
    finally:
        _context.reset(token)


def actor_ref(actor: Any) -> tuple[str, int | None]:
    """`user:<pk>` for a user, `system` for none. Never a name or other personal data.

    An actor carrying `audit_actor` (e.g. `apikey:<id>`, a creditor's API key acting through the
    service account) is recorded as that reference, with no user index.
    """
    reference = getattr(actor, "audit_actor", None)
    if isinstance(reference, str) and reference:
        return reference, None
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "anonymous" if actor is not None else "system", None
    return f"user:{actor.pk}", actor.pk


def object_ref(obj: Model) -> tuple[str, str]:
    return f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk)


@dataclass(frozen=True)
class EventSpec:
    """An event to append; `obj` or (`object_type`, `object_id`)."""

    action: str
    actor: Any = None
    obj: Model | None = None
    object_type: str = ""
    object_id: str = ""
    data: dict[str, Any] | None = None
    case_id: int | None = None


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def serialize_with_appends() -> None:
    """Take the chain's append lock now, inside the caller's transaction (PostgreSQL; SQLite's IMMEDIATE
    transactions are serialized already): writers that decide on state an append depends on (a legal
    hold vs. the retention job) then see each other's committed decisions."""
    _lock_chain()


def _head() -> tuple[int, str]:
    # Plain SQL: read on every append, under the lock; the ORM's compiling cost more than the
    # index read itself (bench/README.md, "transition").
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608  (no input)
        last = cursor.fetchone()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)


@dataclass(frozen=True)
class _Fields:
    """An event's content before it is chained: everything but seq, at and the hashes."""

    object_type: str
    object_id: str
    actor: str
    actor_user_id: int | None
    data: dict[str, Any]
    case_id: int | None


def _fields(spec: EventSpec) -> _Fields:
    """Refuses data that cannot be hashed reproducibly (TypeError: floats, unknown types)."""
    if spec.obj is not None:
        object_type, object_id = object_ref(spec.obj)
    else:
        object_type, object_id = spec.object_type, spec.object_id
    actor, actor_user_id = actor_ref(spec.actor)
    data = _clean({**(spec.data or {}), **(_context.get() or {})})
    if spec.case_id is not None:
        data["case"] = spec.case_id
    case_id = data.get("case") if isinstance(data.get("case"), int) else None
    return _Fields(object_type, object_id, actor, actor_user_id, data, case_id)


def _build(
    spec: EventSpec, *, seq: int, prev_hash: str, at: dt.datetime, fields: _Fields | None = None
) -> AuditEvent:
    f = fields or _fields(spec)
    object_type, object_id, actor, actor_user_id = f.object_type, f.object_id, f.actor, f.actor_user_id
    data, case_id = f.data, f.case_id
    body = {
        "seq": seq,
        "at": format_at(at),
        "actor": actor,
        "action": spec.action,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        actor_user_id=actor_user_id,
        action=spec.action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        data=data,
        prev_hash=prev_hash,
        hash=compute_hash(prev_hash, body),
    )


def _now() -> dt.datetime:
    # Microsecond precision is what both databases keep; the hash covers the stored value.
    return dt.datetime.now(tz=dt.UTC)


def record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    case_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    spec = EventSpec(action, actor, obj, object_type, object_id, data, case_id)
    # Checked before the transaction is touched: a refused payload (TypeError) leaves the caller's
    # transaction usable, as it did when the append had a savepoint of its own.
    fields = _fields(spec)
    return _append(spec, fields)


# savepoint=False: inside a service's transaction (the usual case) the append needs no savepoint of its
# own: two round trips fewer per event (bench/README.md, "transition"). What can still fail in here is
# the database itself, and then the caller's transaction fails with it (PostgreSQL aborts it anyway).
@transaction.atomic(savepoint=False)
def _append(spec: EventSpec, fields: _Fields) -> AuditEvent:
    _lock_chain()
    seq, prev = _head()
    event = _build(spec, seq=seq + 1, prev_hash=prev, at=_now(), fields=fields)
    event.save(force_insert=True)
    return event


def chain(specs: Iterable[EventSpec], *, after: tuple[int, str], at: dt.datetime) -> Iterator[AuditEvent]:
    """Unsaved events for `specs`, in order, chained after the head `after` (seq, hash). Only for a
    writer that holds the append lock (`serialize_with_appends`) and saves every event it takes, in
    order, in that transaction: `record_many`, and bulk loaders such as the benchmark's seeding (COPY)."""
    seq, prev = after
    for spec in specs:
        seq += 1
        event = _build(spec, seq=seq, prev_hash=prev, at=at)
        prev = event.hash
        yield event


def head() -> tuple[int, str]:
    """(seq, hash) of the last event, or (0, GENESIS_HASH); under the append lock, where to chain."""
    return _head()


@transaction.atomic
def record_many(specs: Iterable[EventSpec], *, batch_size: int = 2000) -> int:
    """Append many events in order with one lock and bulk inserts (imports, seeding)."""
    _lock_chain()
    batch: list[AuditEvent] = []
    count = 0
    for event in chain(specs, after=_head(), at=_now()):
        batch.append(event)
        if len(batch) >= batch_size:
            AuditEvent.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)
        count += len(batch)
    return count


def event_body(event: AuditEvent) -> dict[str, Any]:
    """The object that was hashed, rebuilt from the stored row."""
    return {
        "seq": event.seq,
        "at": format_at(event.at),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


def export_line(event: AuditEvent) -> str:
    """One JSON Lines record: exactly the hashed object plus its `hash`, canonical form."""
    return canonical_json({**event_body(event), "hash": event.hash})


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""


def verify_chain(events: Iterable[AuditEvent] | None = None) -> VerifyResult:
    """Walk the chain in seq order; stop at the first event that does not verify."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=5000)
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for event in events:
        if event.seq != expected_seq:
            return VerifyResult(
                False, count, prev, expected_seq, f"gap: expected seq {expected_seq}, found {event.seq}"
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False, count, prev, event.seq, "prev_hash does not match the previous event's hash"
            )
        if compute_hash(event.prev_hash, event_body(event)) != event.hash:
            return VerifyResult(False, count, prev, event.seq, "hash does not match the event's content")
        case = event.data.get("case") if isinstance(event.data, dict) else None
        if event.case_id != (case if isinstance(case, int) else None):
            return VerifyResult(False, count, prev, event.seq, "case index does not match data.case")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    return VerifyResult(True, count, prev)


def iter_export_lines(queryset: Any = None, *, chunk_size: int = 5000) -> Iterator[str]:
    """Stream export lines in seq order with constant memory."""
    qs = queryset if queryset is not None else AuditEvent.objects.all()
    for event in qs.order_by("seq").iterator(chunk_size=chunk_size):
        yield export_line(event)
