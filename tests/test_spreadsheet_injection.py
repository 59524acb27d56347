"""Formula injection (OWASP "CSV injection"): a cell like `=cmd|' /C calc'!A0` that entered the product
(a placement file, a name typed in the admin, a reason typed on a page) never comes out unescaped in a
spreadsheet the product writes.

The product writes two: the audit export's CSV and the exceptions report's CSV, both through
common/spreadsheet.SafeCsvWriter, and no XLSX at all; `test_every_spreadsheet_writer_is_the_safe_one`
fails when a new writer appears elsewhere. The journey test imports formula cells, lets a user whose
name is a formula act and be refused, and reads back both CSVs cell by cell.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from cases.models import Case
from common.errors import DomainError
from common.spreadsheet import FORMULA_STARTS, SafeCsvWriter, safe_cell
from compliance import exports, search
from tests.fixtures.placement import csv_bytes, valid_row

BASE_DIR = Path(__file__).resolve().parent.parent
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def cells_of(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    bad = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert bad == []


cell_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(st.one_of(cell_text, st.sampled_from(FORMULAS)), min_size=1, max_size=5),
        min_size=1,
        max_size=5,
    )
)
def test_the_safe_writer_never_writes_a_formula_and_loses_nothing(rows):
    stream = io.BytesIO()
    writer = SafeCsvWriter(stream)
    for row in rows:
        writer.writerow(row)
    writer.detach()

    read = cells_of(stream.getvalue())

    assert_no_formula(read)
    # Only the neutralising apostrophe was added; everything else reads back exactly as written.
    assert read == [[safe_cell(cell) for cell in row] for row in rows]
    assert all(safe_cell(c) in (c, "'" + c) for row in rows for c in row)


@pytest.mark.parametrize("formula", FORMULAS)
def test_each_formula_start_is_neutralised(formula):
    assert safe_cell(formula) == "'" + formula


def test_every_spreadsheet_writer_is_the_safe_one():
    """No product code writes CSV except through SafeCsvWriter, and none writes XLSX."""
    sources = [
        p
        for p in BASE_DIR.rglob("*.py")
        if not {".venv", "tests", "migrations", "staticfiles", "node_modules"}
        & set(p.relative_to(BASE_DIR).parts)
    ]
    writers = re.compile(r"csv\.(writer|DictWriter)\(|Workbook\(|write_only=True|xlsxwriter")
    found = {str(p.relative_to(BASE_DIR)) for p in sources if writers.search(p.read_text(encoding="utf-8"))}

    assert found == {"common/spreadsheet.py"}


@pytest.mark.django_db
def test_imported_and_typed_formulas_come_out_escaped_in_every_csv(
    creditor, mandate, supervisor, agent, compliance_officer, django_capture_on_commit_callbacks
):
    # An insider names themselves with a formula; a creditor's file carries formulas in its text cells.
    supervisor.full_name = FORMULAS[1]
    supervisor.save()
    rows = [
        valid_row(
            n + 1,
            debtor_name=f"{formula}{n}",
            product=formula.strip()[:60],
            home_address=formula,
            contract_no=f"=HT{n}",
            external_ref=f"+REF{n}",
        )
        for n, formula in enumerate(FORMULAS[:4])
    ]
    with django_capture_on_commit_callbacks(execute=True):
        preview = case_services.placement_upload_preview(
            creditor=creditor,
            upload=SimpleUploadedFile("placement.csv", csv_bytes(rows)),
            actor=supervisor,
            supervisor=supervisor,
        )
        report = case_services.placement_upload_confirm(placement_import=preview, actor=supervisor)
    assert len(report.created) == len(rows)
    case = Case.objects.get(external_ref="+REF0")
    assert case.debtor.name.startswith("=cmd")  # stored as typed: escaping is the writer's job
    # The formula-named supervisor is refused something (an exceptions row naming them).
    with pytest.raises(DomainError):
        case_services.case_verify(case=case, actor=supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(
            actor=compliance_officer, filter=search.AuditFilter(), formats=["csv"]
        )
    export.refresh_from_db()
    entry = next(f for f in export.files if f["format"] == "csv")
    with default_storage.open(entry["path"], "rb") as handle:
        audit_rows = cells_of(handle.read())
    client = Client()
    client.force_login(compliance_officer)
    response = client.get(reverse("compliance:exceptions-csv"), {"date_from": "2026-01-01"})
    exception_rows = cells_of(b"".join(response.streaming_content))

    assert len(audit_rows) > 10
    assert_no_formula(audit_rows)
    assert len(exception_rows) > 1
    assert_no_formula(exception_rows)
    assert any(cell.startswith("'=HYPERLINK") for row in exception_rows for cell in row)
