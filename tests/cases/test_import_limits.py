# ruff: noqa: F811 (the fixture imported from test_import_views is used as a parameter)
"""Hostile placement files (issue 21): each refused whole with a message, within seconds and bounded
memory (cases/import_limits.py), and the bounds on amounts and phones."""

from __future__ import annotations

import io
import resource
import time
import zipfile
from decimal import Decimal

import pytest

from cases import importing
from cases.importing import COLUMNS, parse_placement
from tests.cases.test_import_views import placing  # noqa: F401 (fixture)

HEADER = ",".join(COLUMNS)
GOOD = "REF-1,张伟,resident_id,11010519491231002X,13800138000,北京市朝阳区,,C-1,1000.00,1000.00,CNY,2025-01-01,,,"


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode(encoding)


def refused(data: bytes, name: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = parse_placement(data, name, **kwargs)
    assert time.monotonic() - started < 10
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 512
    assert result.rows == []
    (error,) = result.errors
    assert error.code in ("FILE_REFUSED", "FILE_UNREADABLE")
    return error.reason


def test_the_good_line_parses():
    result = parse_placement(csv_file(GOOD), "p.csv")
    assert result.errors == [], result.errors


def test_a_zip_bomb_is_refused_from_its_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"<c>" + b"0" * (1 << 20) + b"</c>"
            for _ in range(400):  # 400 MB inflated, a few hundred KB stored
                member.write(chunk)
    reason = refused(buffer.getvalue(), "bomb.xlsx")
    assert "unpacked" in reason or "inflates" in reason


def test_a_workbook_with_one_huge_cell_is_refused():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["x" * 30_000, *COLUMNS[1:]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "more than the 2000 allowed" in refused(buffer.getvalue(), "huge.xlsx")


def test_a_nul_late_in_a_csv_is_refused_with_its_line():
    lines = [GOOD.replace("REF-1", f"REF-{i}").replace("C-1", f"C-{i}") for i in range(1, 300)]
    lines[250] = lines[250].replace("北京市朝阳区", "北京\x00市")
    data = csv_file(*lines)
    assert data.index(b"\x00") > 4096
    assert "line 252" in refused(data, "nul.csv")


def test_latin1_and_shift_jis_are_refused_not_garbled():
    latin = csv_file(
        GOOD.replace("张伟", "José Müller").replace("北京市朝阳区", "Zürich"), encoding="latin-1"
    )
    assert "neither UTF-8 nor GB18030" in refused(latin, "latin.csv")
    sjis = csv_file(GOOD.replace("张伟", "山田太郎").replace("北京市朝阳区", "東京都"), encoding="shift_jis")
    assert "neither UTF-8 nor GB18030" in refused(sjis, "sjis.csv")


def test_a_chosen_encoding_reads_the_file():
    latin = csv_file(GOOD.replace("张伟", "José Müller").replace("北京市朝阳区", "Zürich"), encoding="cp1252")
    result = parse_placement(latin, "latin.csv", encoding="cp1252")
    assert result.errors == []
    assert result.rows[0].debtor_name == "José Müller"
    assert result.file_format == "csv (cp1252)"


def test_gb18030_chinese_still_imports():
    result = parse_placement(csv_file(GOOD, encoding="gb18030"), "gb.csv")
    assert result.errors == []
    assert result.file_format == "csv (gb18030)"


def test_too_many_rows_columns_and_the_time_budget(settings):
    settings.IMPORT_MAX_ROWS = 3
    assert "more than 3 rows" in refused(csv_file(*[GOOD] * 4), "rows.csv")
    settings.IMPORT_MAX_ROWS = 50_000
    assert "more than 40 columns" in refused(csv_file(GOOD + "," * 50 + "x"), "cols.csv")
    settings.IMPORT_TIME_BUDGET_SECONDS = 0
    assert "longer than 0 seconds" in refused(csv_file(GOOD), "slow.csv")


@pytest.mark.parametrize("amount", ["0.00", "0"])
def test_a_case_owing_nothing_is_refused(amount):
    line = GOOD.replace("1000.00,1000.00", f"{amount},{amount}")
    errors = parse_placement(csv_file(line), "p.csv").errors
    assert {(e.column, e.reason) for e in errors} >= {("outstanding", "must be more than zero")}


def test_phones_per_row_are_capped(settings):
    settings.IMPORT_MAX_PHONES_PER_ROW = 2
    line = GOOD.replace("13800138000", '"13800138000;13900139000;13700137000"')
    (error,) = parse_placement(csv_file(line), "p.csv").errors
    assert (error.column, error.reason) == ("phone", "has 3 phone numbers, more than the 2 allowed")
    assert importing.clean_amount("12.50", currency="CNY", positive=True) == Decimal("12.50")


@pytest.mark.django_db
def test_the_upload_form_offers_the_encoding_and_the_preview_uses_it(client, placing, supervisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import PlacementImport

    client.force_login(supervisor)
    page = client.get("/cases/import/")
    assert b'name="encoding"' in page.content
    latin = csv_file(GOOD.replace("张伟", "José Müller").replace("北京市朝阳区", "Zürich"), encoding="cp1252")
    for encoding, format_ in (("", ""), ("cp1252", "csv (cp1252)")):
        client.post(
            "/cases/import/",
            {"creditor": placing.pk, "encoding": encoding, "file": SimpleUploadedFile("p.csv", latin)},
        )
        placement = PlacementImport.objects.latest("pk")
        assert placement.report["file_format"] == format_
        assert placement.report["encoding"] == (encoding or "auto")
