"""The one write of the supervision pages: exporting the KPI table as CSV, which is recorded.

The file is made in memory (one line per field agent and the team's: small), with every cell
neutralised against spreadsheet formulas (common.spreadsheet), and the export is an audit event
(`supervision.kpis_exported`: team, period, rows and the file's SHA-256), as the compliance reports'
exports are. A user who may not see the team's KPIs is refused, and the refusal is recorded too.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError, PermissionRefused
from common.spreadsheet import SafeCsvWriter
from compliance import audit

from . import policies
from .selectors import KpiRow, KpiTable, Rate


def _percent(rate: Rate) -> str:
    return "" if rate.percent is None else str(rate.percent)


def kpi_csv_header(table: KpiTable) -> list[str]:
    header = [
        _("Row"),
        _("Contact attempts"),
        _("Reached the debtor"),
        _("Contact rate %"),
        _("Visits made"),
        _("Debtor met"),
        _("Visit success rate %"),
        _("Promises to pay"),
        _("Promise-to-pay rate %"),
        _("Promises decided"),
        _("Promises kept"),
        _("Promises kept %"),
        _("Agreements signed"),
    ]
    for currency in table.currencies:
        header += [
            _("Recovered (%(currency)s)") % {"currency": currency},
            _("Placed (%(currency)s)") % {"currency": currency},
            _("Recovered / placed %% (%(currency)s)") % {"currency": currency},
        ]
    return [*header, _("Cases first visited"), _("Average days from placement to first visit")]


def kpi_csv_row(table: KpiTable, row: KpiRow) -> list[Any]:
    cells: list[Any] = [
        row.label,
        row.contacts.denominator,
        row.contacts.numerator,
        _percent(row.contacts),
        row.visit_success.denominator,
        row.visit_success.numerator,
        _percent(row.visit_success),
        row.promise_rate.numerator,
        _percent(row.promise_rate),
        row.promises_kept.denominator,
        row.promises_kept.numerator,
        _percent(row.promises_kept),
        row.agreements_signed,
    ]
    for currency in table.currencies:
        recovery = row.recovery(currency)
        cells += [
            row.recovered.get(currency, "0.00"),
            row.placed.get(currency, "0.00"),
            "" if recovery is None else recovery,
        ]
    return [
        *cells,
        row.first_visits,
        "" if row.avg_days_to_first_visit is None else row.avg_days_to_first_visit,
    ]


def kpi_csv_export(*, table: KpiTable, actor: Any) -> bytes:
    """The KPI table as CSV (UTF-8 with BOM), recorded as `supervision.kpis_exported`; a refusal is
    recorded as `supervision.kpis_exported.refused` after the export's transaction rolled back."""
    try:
        return _kpi_csv_export(table=table, actor=actor)
    except DomainError as error:
        audit.record(
            actor=actor,
            action="supervision.kpis_exported.refused",
            object_type="accounts.team",
            object_id=str(table.team.pk),
            data={"codes": error.codes},
        )
        raise


@transaction.atomic
def _kpi_csv_export(*, table: KpiTable, actor: Any) -> bytes:
    if not policies.teams_visible_to(actor).filter(pk=table.team.pk).exists():
        raise PermissionRefused.because(_("Only the team's supervisors and administrators export its KPIs."))
    buffer = io.BytesIO()
    writer = SafeCsvWriter(buffer, header=kpi_csv_header(table))
    for row in table.rows:
        writer.writerow(kpi_csv_row(table, row))
    writer.detach()
    content = buffer.getvalue()
    audit.record(
        actor=actor,
        action="supervision.kpis_exported",
        object_type="accounts.team",
        object_id=str(table.team.pk),
        data={
            "team": table.team.code,
            "from": table.date_from.isoformat(),
            "to": table.date_to.isoformat(),
            "rows": writer.rows,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content
