"""Several small querysets read in ONE query: a page's many short lists at the cost of one round trip.

A detail page shows a dozen short lists of one object (a case's phones, addresses, documents, visits,
timeline, ...). Prefetching costs one query per list, and the page's query count grows with every
section. `fetch` compiles each list's queryset (its filters, ordering and limit, as written) into a
subquery and aggregates its rows into a JSON array, all of them in one single-row SELECT; the rows come
back as ordinary model instances (every concrete field loaded, like a normal query, so nothing is
deferred), with the `related` foreign keys hydrated the way `select_related` does it.

Types survive the trip: each value is converted back with the model field's own `to_python`
(datetimes made aware in UTC on SQLite, which stores them naive; decimals parsed as `Decimal`, never
through a float, on PostgreSQL; JSON columns decoded once). Works on SQLite and PostgreSQL. Meant for
lists of a bounded size (each part should carry a limit or be naturally short); a part's order is its
queryset's `order_by` (or the model's default ordering), kept with a row number.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    JSONField,
    Model,
    QuerySet,
    Window,
)
from django.db.models.fields import Field
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# PostgreSQL functions take at most 100 arguments (json_build_array), SQLite's 127 by default.
MAX_COLUMNS = 90


@dataclass(frozen=True)
class Part:
    """One list: `queryset` filtered and ordered (not sliced), at most `limit` rows, `related` foreign
    keys (of the queryset's model, one level) loaded with their objects."""

    queryset: QuerySet[Any]
    related: tuple[str, ...] = ()
    limit: int | None = None


def _order_by(qs: QuerySet[Any]) -> list[Any]:
    names = list(qs.query.order_by) or list(qs.model._meta.ordering) or ["pk"]
    out: list[Any] = []
    for name in names:
        if not isinstance(name, str):
            out.append(name)
        elif name.startswith("-"):
            out.append(F(name[1:]).desc())
        else:
            out.append(F(name).asc())
    return out


def _columns(part: Part) -> list[tuple[str, Field[Any, Any]]]:
    """(lookup path, field) for every concrete field of the model, then of each related model."""
    model = part.queryset.model
    cols: list[tuple[str, Field[Any, Any]]] = [(f.attname, f) for f in model._meta.concrete_fields]
    for name in part.related:
        remote = model._meta.get_field(name).related_model
        cols += [(f"{name}__{f.attname}", f) for f in remote._meta.concrete_fields]
    return cols


def _subquery(part: Part, using: str) -> tuple[str, tuple[Any, ...], int]:
    cols = _columns(part)
    qs = part.queryset.annotate(_bundle_n=Window(RowNumber(), order_by=_order_by(part.queryset)))
    qs = qs.values("_bundle_n", **{f"c{i}": F(path) for i, (path, _f) in enumerate(cols)})
    if part.limit is not None:
        qs = qs[: part.limit]
    sql, params = qs.query.get_compiler(using).as_sql()
    names = [f't."{n}"' for n in ["_bundle_n", *(f"c{i}" for i in range(len(cols)))]]
    postgresql = connections[using].vendor == "postgresql"
    array = "json_build_array" if postgresql else "json_array"
    # A row is an array of arrays of at most MAX_COLUMNS values (function argument limits).
    chunks = [", ".join(names[i : i + MAX_COLUMNS]) for i in range(0, len(names), MAX_COLUMNS)]
    row = f"{array}({', '.join(f'{array}({chunk})' for chunk in chunks)})"
    if postgresql:
        outer = f"SELECT COALESCE(json_agg({row}), '[]'::json)::text FROM ({sql}) t"  # noqa: S608
    else:
        outer = f"SELECT json_group_array({row}) FROM ({sql}) t"  # noqa: S608
    return outer, tuple(params), len(cols)


def _convert(field: Field[Any, Any], value: Any, vendor: str) -> Any:
    if value is None:
        return None
    if isinstance(field, JSONField):
        # SQLite keeps JSON as text (json_array embeds it as a string); PostgreSQL embeds jsonb as is.
        return json.loads(value) if vendor != "postgresql" and isinstance(value, str) else value
    if isinstance(field, DateTimeField):
        parsed = parse_datetime(value) if isinstance(value, str) else value
        if parsed is not None and timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed
    if isinstance(field, DateField):
        return field.to_python(value)
    if isinstance(field, DecimalField):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return number.quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, BooleanField):
        return bool(value)
    return field.to_python(value)


def _instance(
    model: type[Model], fields: Sequence[Field[Any, Any]], values: Sequence[Any], using: str
) -> Model:
    return model.from_db(using, [f.attname for f in fields], list(values))


def fetch(parts: dict[str, Part], *, using: str = "default") -> dict[str, list[Any]]:
    """The instances of every part, in one query; {} parts cost nothing."""
    if not parts:
        return {}
    connection = connections[using]
    selects: list[str] = []
    params: list[Any] = []
    for name, part in parts.items():
        sql, part_params, _n = _subquery(part, using)
        selects.append(f'({sql}) AS "{name}"')  # the ORM's SQL, our own names
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    out: dict[str, list[Any]] = {}
    for (name, part), text in zip(parts.items(), row, strict=True):
        out[name] = _hydrate(part, json.loads(text or "[]", parse_float=Decimal), connection.vendor, using)
    return out


def _hydrate(part: Part, rows: Iterable[list[Any]], vendor: str, using: str) -> list[Any]:
    model = part.queryset.model
    cols = _columns(part)
    own = [f for f in model._meta.concrete_fields]
    objects: list[tuple[int, Model]] = []
    for chunks in rows:
        row = [value for chunk in chunks for value in chunk]
        number, values = row[0], row[1:]
        converted = [_convert(f, v, vendor) for (_p, f), v in zip(cols, values, strict=True)]
        obj = _instance(model, own, converted[: len(own)], using)
        offset = len(own)
        for name in part.related:
            field = model._meta.get_field(name)
            remote = field.related_model
            remote_fields = list(remote._meta.concrete_fields)
            chunk = converted[offset : offset + len(remote_fields)]
            offset += len(remote_fields)
            pk_index = remote_fields.index(remote._meta.pk)
            related = None if chunk[pk_index] is None else _instance(remote, remote_fields, chunk, using)
            field.set_cached_value(obj, related)
        objects.append((number, obj))
    objects.sort(key=lambda item: item[0])
    return [obj for _n, obj in objects]


def attach(parents: Iterable[Model], children: Iterable[Model], *, fk: str, accessor: str) -> None:
    """`parent.<accessor>.all()` answers from `children` (grouped by their `fk` attname), no query:
    what `prefetch_related` leaves behind."""
    groups: dict[Any, list[Model]] = {}
    for child in children:
        groups.setdefault(getattr(child, fk), []).append(child)
    for parent in parents:
        queryset = getattr(parent, accessor).all()  # builds the related queryset; runs nothing
        queryset._result_cache = groups.get(parent.pk, [])
        queryset._prefetch_done = True
        parent.__dict__.setdefault("_prefetched_objects_cache", {})[accessor] = queryset
