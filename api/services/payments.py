"""Posting payments through the API: JSON rows in, the payment file import's own cleaning and writer
behind (`agreements.services.parse_payment_records`, `payments_import_rows`), so the API has exactly the
file's validation, all-or-nothing rule and idempotency on the creditor's payment reference: the same
reference again with the same case, amount and date is the same payment (answered, not recorded twice);
with anything different it is refused (DUPLICATE_REFERENCE). Rows are numbered from 1 (the first
element of `payments`). What only JSON can get wrong (an unknown key, a list or an object where a cell
is expected) is reported here with the same `RowError`s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from agreements.models import PaymentSource
from agreements.services import parse_payment_records, payments_import_rows
from agreements.services.payments import COLUMNS, PaymentImportReport
from cases import importing
from cases.importing import RowError
from cases.models import Creditor
from compliance.audit import canonical_json

TEXT_COLUMNS = frozenset(COLUMNS) - {"amount", "paid_on"}


def _records(rows: Sequence[dict[str, Any]], shape_errors: list[RowError]) -> list[tuple[int, list[Any]]]:
    records: list[tuple[int, list[Any]]] = [(0, list(COLUMNS))]
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
        record: list[Any] = []
        for column in COLUMNS:
            value = row.get(column)
            if isinstance(value, dict | list):
                shape_errors.append(
                    RowError(line, column, _("must be a string or a number"), "INVALID_VALUE")
                )
                value = None
            elif column in TEXT_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a JSON integer is exact: read it as its digits
            record.append(value)
        records.append((line, record))
    return records


def payments_from_rows(
    *, creditor: Creditor, rows: Sequence[dict[str, Any]], actor: Any, dry_run: bool = False
) -> PaymentImportReport:
    """Check and (unless `dry_run`) record `rows` for `creditor`: all rows or none."""
    shape_errors: list[RowError] = []
    parsed, errors = parse_payment_records(_records(rows, shape_errors), skip_blank=False)
    bad_lines = {e.line for e in shape_errors}
    return payments_import_rows(
        creditor=creditor,
        actor=actor,
        rows=[r for r in parsed if r.line not in bad_lines],
        errors=importing.sort_errors([*errors, *shape_errors]),
        sha256=hashlib.sha256(canonical_json(list(rows)).encode("utf-8")).hexdigest(),
        dry_run=dry_run,
        source=PaymentSource.API,
    )
