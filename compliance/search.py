"""Searching the audit trail: one filter for the page, the exports, the access log and the dossier.

Keyset pagination on `seq` (the primary key): a page is `seq < before ORDER BY seq DESC LIMIT n`, so
page 10,000 costs what page 1 costs. Each filter has an index that ends in `seq` (migration 0006):
`(case_id, seq)`, `(actor_user_id, seq)`, `(action, seq)`; rule codes inside `data.codes` use a GIN
index on PostgreSQL (`data -> 'codes' @> '["CODE"]'`) and `json_each` on SQLite. Dates are UTC days
(the trail's `at` is UTC), `date_to` inclusive.

A debtor is searched by an opaque reference (their id, or the keyed digest of their document
number), never by plain personal data in the URL; the cases app resolves it to the debtor's cases
and the objects events about the debtor name (`registry.case_directory().debtor_scope`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from . import registry
from .models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    case_id: int | None = None
    debtor: str = ""  # opaque reference: the debtor's id or the digest of their document number
    actor: str = ""  # "user:<pk>", "system" or "anonymous"
    action: str = ""  # prefix, e.g. "case." or "pii.viewed"
    code: str = ""  # a rule code inside data.codes, e.g. "MIN_AGENTS"
    date_from: dt.date | None = None  # UTC day, inclusive
    date_to: dt.date | None = None  # UTC day, inclusive
    actions: tuple[str, ...] = ()  # exact actions (the access log); not on the search form

    def as_dict(self) -> dict[str, Any]:
        """The filter as JSON-safe data (dates ISO), only what is set: manifests and audit payloads."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in (None, "", (), []):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditFilter:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in (data or {}).items() if k in known}
        for key in ("date_from", "date_to"):
            if isinstance(values.get(key), str):
                values[key] = dt.date.fromisoformat(values[key])
        if "actions" in values:
            values["actions"] = tuple(values["actions"])
        return cls(**values)

    def query_string(self) -> dict[str, str]:
        """The filter as the search form's fields (GET parameters of links, hidden export fields)."""
        names = {"case_id": "case"}
        return {names.get(k, k): str(v) for k, v in self.as_dict().items() if k != "actions"}


def _utc_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _with_code(qs: QuerySet[AuditEvent], code: str) -> QuerySet[AuditEvent]:
    if connection.vendor == "postgresql":
        # `data -> 'codes' @> '["CODE"]'`: what the GIN index audit_data_codes_gin answers.
        return qs.filter(data__codes__contains=[code])
    # SQLite has no JSON containment; json_each walks the (short) list. The code is a bound parameter.
    has_code = RawSQL(
        "json_type(compliance_auditevent.data, '$.codes') = 'array' AND EXISTS "
        "(SELECT 1 FROM json_each(compliance_auditevent.data, '$.codes') WHERE value = %s)",
        [code],
        output_field=BooleanField(),
    )
    return qs.alias(has_code=has_code).filter(has_code=True)


def filtered(f: AuditFilter) -> QuerySet[AuditEvent]:
    """Every event matching the filter (unordered; callers order by seq)."""
    qs = AuditEvent.objects.all()
    if f.case_id:
        qs = qs.filter(case_id=f.case_id)
    if f.debtor:
        scope = registry.case_directory().debtor_scope(f.debtor)
        if scope is None:
            return qs.none()
        about = Q(case_id__in=scope.case_ids) if scope.case_ids else Q(pk__in=[])
        for object_type, object_id in scope.object_refs:
            about |= Q(object_type=object_type, object_id=object_id)
        qs = qs.filter(about)
    if f.actor:
        if f.actor.startswith("user:") and f.actor[5:].isdigit():
            qs = qs.filter(actor_user_id=int(f.actor[5:]))
        else:
            qs = qs.filter(actor=f.actor)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.actions:
        qs = qs.filter(action__in=f.actions)
    if f.code:
        qs = _with_code(qs, f.code)
    if f.date_from:
        qs = qs.filter(at__gte=_utc_start(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=_utc_start(f.date_to + dt.timedelta(days=1)))
    return qs


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    older: int | None  # `before` of the next older page
    newer: int | None  # `after` of the next newer page


def page(
    f: AuditFilter, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """One page, newest first: one query of `size + 1` rows whatever the depth."""
    qs = filtered(f)
    if after is not None and before is None:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[: size + 1])
        more_newer = len(rows) > size
        events = list(reversed(rows[:size]))
        return AuditPage(
            events,
            older=events[-1].seq if events else None,
            newer=events[0].seq if events and more_newer else None,
        )
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: size + 1])
    events = rows[:size]
    return AuditPage(
        events,
        older=events[-1].seq if len(rows) > size else None,
        newer=events[0].seq if events and before is not None else None,
    )
