"""Placing cases through the API: JSON rows in, the file import's own parser and writer behind.

The rows are turned into the records a placement file yields (a header of `cases.importing.COLUMNS`,
then one record per row) and go through `importing.parse_records` and `placement_import`, so the API
has exactly the file import's validation, matching and all-or-nothing write: nothing is checked twice
and nothing differently. What only JSON can get wrong (an unknown key, a list or an object where a cell
is expected) is reported here, row by row, with the same `RowError`s. Rows are numbered from 1 (the
first element of `rows`), as the import's messages ("already on line 3") count them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cases import importing
from cases.importing import COLUMNS, RowError
from cases.models import Case, Creditor
from cases.services import ImportReport, placement_import
from compliance.audit import canonical_json

TEXT_COLUMNS = frozenset(COLUMNS) - {"principal", "outstanding", "overdue_since"}
CHUNK = 900  # refs per IN (...) query


@dataclass(frozen=True)
class PlacementResult:
    report: ImportReport
    case_ids: dict[str, int]  # external_ref → case id (created, updated and unchanged rows; not dry runs)

    @property
    def ok(self) -> bool:
        return self.report.ok


def _cell(value: Any, column: str) -> tuple[Any, str | None]:
    """The value as a file cell would hold it, or the reason it cannot be one."""
    if isinstance(value, list) and column == "phone" and all(isinstance(v, str) for v in value):
        return ";".join(value), None
    if isinstance(value, dict | list):
        return None, _("must be a string or a number")
    if column in TEXT_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
        # A JSON integer is exact (unlike Excel's numbers): read it as the digits it is.
        return str(value), None
    return value, None


def _records(rows: Sequence[dict[str, Any]], shape_errors: list[RowError]) -> Iterator[tuple[int, list[Any]]]:
    yield 0, list(COLUMNS)
    for line, row in enumerate(rows, start=1):
        for key in sorted(set(row) - set(COLUMNS)):
            shape_errors.append(
                RowError(
                    line,
                    str(key)[:64],
                    _("unknown field (expected: %(cols)s)") % {"cols": ", ".join(COLUMNS)},
                    "UNKNOWN_COLUMN",
                )
            )
        record = []
        for column in COLUMNS:
            value, problem = _cell(row.get(column), column)
            if problem:
                shape_errors.append(RowError(line, column, problem, "INVALID_VALUE"))
            record.append(value)
        yield line, record


def placement_from_rows(
    *, creditor: Creditor, rows: Sequence[dict[str, Any]], actor: Any, dry_run: bool = False
) -> PlacementResult:
    """Check and (unless `dry_run`) import `rows` for `creditor`: all rows or none."""
    shape_errors: list[RowError] = []
    parsed = importing.parse_records(_records(rows, shape_errors))
    bad_lines = {e.line for e in shape_errors}
    report = placement_import(
        creditor=creditor,
        rows=[r for r in parsed.rows if r.line not in bad_lines],
        actor=actor,
        dry_run=dry_run,
        source_name="api",
        sha256=hashlib.sha256(canonical_json(list(rows)).encode("utf-8")).hexdigest(),
        errors=importing.sort_errors([*parsed.errors, *shape_errors]),
    )
    case_ids: dict[str, int] = {}
    if report.ok and not dry_run:
        refs = [*report.created, *report.updated, *report.unchanged]
        for start in range(0, len(refs), CHUNK):
            chunk = refs[start : start + CHUNK]
            case_ids.update(
                Case.objects.filter(creditor=creditor, external_ref__in=chunk).values_list(
                    "external_ref", "pk"
                )
            )
    return PlacementResult(report, case_ids)
