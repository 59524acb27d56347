"""Property-based tests (hypothesis) of the placement parser, cases/importing.py.

- Valid rows always parse back to the same values, from CSV (UTF-8, with a BOM, GB18030) and XLSX.
- Any bytes, under either name, never raise: the parser returns a ParseResult whose errors carry
  documented codes, and whatever rows it returns pass the parser's own checks (`row_problems`).
- A broken encoding, a huge cell or a damaged workbook is a reported error, not an exception.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cases.importing import COLUMNS, MAX_LENGTH, PlacementRow, parse_placement, row_problems
from common.money import Currency
from compliance.rules import resident_id_check_char
from tests.fixtures.placement import csv_bytes, xlsx_bytes

# Every code the parser documents (RowError.code) — an error outside this set is a new, undocumented one.
DOCUMENTED_CODES = {
    "INVALID_VALUE",
    "REQUIRED",
    "EXCEL_NUMBER",
    "UNKNOWN_COLUMN",
    "MISSING_COLUMN",
    "DUPLICATE_COLUMN",
    "DUPLICATE_REF",
    "NAME_CONFLICT",
    "AMOUNTS_DO_NOT_ADD_UP",
    "EMPTY_FILE",
    "FILE_UNREADABLE",
    "FILE_REFUSED",  # beyond the bounds of cases/import_limits.py
}
FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a creditor's system writes: Chinese, Latin letters, digits, some punctuation (commas and
# semicolons too: the CSV must quote them). No leading/trailing or double spaces (the parser trims).
CHARS = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤省市区县路街号楼室"
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
words = st.text(alphabet=CHARS + LATIN + "-·,;()#", min_size=1, max_size=12)


def phrase(limit: int) -> st.SearchStrategy[str]:
    return st.lists(words, min_size=1, max_size=5).map(" ".join).filter(lambda t: len(t) <= limit)


codes = st.text(alphabet=LATIN + "-_/", min_size=1, max_size=20)
cents = st.integers(min_value=0, max_value=10**13 - 1)
phones = st.lists(st.from_regex(r"1[3-9]\d{9}", fullmatch=True), min_size=0, max_size=2, unique=True)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2005, 12, 31)))
    first17 = f"{draw(st.sampled_from(['110105', '310104', '440305']))}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def placement_rows(draw: st.DrawFn, line: int) -> PlacementRow:
    id_type = draw(st.sampled_from(["resident_id", "passport"]))
    id_number = (
        draw(resident_ids())
        if id_type == "resident_id"
        else draw(st.from_regex(r"[A-Z]{1,2}\d{6,8}", fullmatch=True))
    )
    principal = Decimal(draw(cents)).scaleb(-2)
    assume(principal > 0)  # zero is refused
    if draw(st.booleans()):
        interest, paid = Decimal(draw(cents)).scaleb(-2), Decimal(draw(cents)).scaleb(-2)
        assume(principal + interest - paid > 0)  # a case owing nothing is refused
        outstanding = principal + interest - paid
        assume(outstanding < Decimal("1000000000000"))
    else:
        interest = paid = None
        outstanding = Decimal(draw(cents)).scaleb(-2)
        assume(outstanding > 0)
    return PlacementRow(
        line=line,
        external_ref=draw(codes),
        debtor_name=draw(phrase(MAX_LENGTH["debtor_name"])),
        id_type=id_type,
        id_number=id_number,
        contract_no=draw(codes),
        principal=principal,
        outstanding=outstanding,
        currency=draw(st.sampled_from(Currency.values)),
        overdue_since=draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))),
        product=draw(st.one_of(st.just(""), codes)),
        phones=tuple(draw(phones)),
        home_address=draw(st.one_of(st.just(""), phrase(MAX_LENGTH["home_address"]))),
        work_address=draw(st.one_of(st.just(""), phrase(MAX_LENGTH["work_address"]))),
        interest_fees=interest,
        paid=paid,
    )


@st.composite
def placement_files(draw: st.DrawFn) -> list[PlacementRow]:
    count = draw(st.integers(min_value=1, max_value=4))
    rows = [draw(placement_rows(line=n + 2)) for n in range(count)]
    assume(len({r.external_ref for r in rows}) == len(rows))
    assume(len({(r.id_type, r.id_number) for r in rows}) == len(rows))
    return rows


def as_text_cells(row: PlacementRow) -> dict[str, str]:
    """The row as a creditor's CSV writes it: every cell text."""
    return {
        "external_ref": row.external_ref,
        "debtor_name": row.debtor_name,
        "id_type": row.id_type,
        "id_number": row.id_number,
        "phone": ";".join(row.phones),
        "home_address": row.home_address,
        "work_address": row.work_address,
        "contract_no": row.contract_no,
        "principal": f"{row.principal:,.2f}",
        "outstanding": f"{row.outstanding:.2f}",
        "currency": row.currency,
        "overdue_since": row.overdue_since.isoformat(),
        "product": row.product,
        "interest_fees": "" if row.interest_fees is None else f"{row.interest_fees:.2f}",
        "paid": "" if row.paid is None else f"{row.paid:.2f}",
    }


def as_excel_cells(row: PlacementRow) -> dict[str, object]:
    """The row as Excel keeps it: dates as dates, amounts as numbers (within Excel's 15 digits)."""
    cells: dict[str, object] = dict(as_text_cells(row))
    cells["overdue_since"] = row.overdue_since
    if row.principal < Decimal("1000000000"):  # exact as a float
        cells["principal"] = float(row.principal)
    return cells


def same(parsed: list[PlacementRow], written: list[PlacementRow]) -> None:
    assert [r.line for r in parsed] == [r.line for r in written]
    assert parsed == written


@FAST
@given(rows=placement_files())
def test_valid_rows_parse_back_to_the_same_values_from_csv(rows):
    assert all(row_problems(r) == [] for r in rows)  # the strategy makes only valid rows
    cells = [as_text_cells(r) for r in rows]

    for data, encoding in (
        (csv_bytes(cells), "csv (utf-8)"),
        (csv_bytes(cells, bom=True), "csv (utf-8)"),
        (csv_bytes(cells, encoding="gb18030"), None),
    ):
        result = parse_placement(data, "placement.csv")
        assert result.errors == []
        same(result.rows, rows)
        if encoding:
            assert result.file_format == encoding


@FAST
@given(rows=placement_files())
def test_valid_rows_parse_back_to_the_same_values_from_xlsx(rows):
    result = parse_placement(xlsx_bytes([as_excel_cells(r) for r in rows]), "placement.xlsx")

    assert result.errors == []
    assert result.file_format == "xlsx"
    same(result.rows, rows)


def _never_raises(data: bytes, name: str) -> None:
    result = parse_placement(data, name)  # must not raise, whatever the bytes
    assert {e.code for e in result.errors} <= DOCUMENTED_CODES
    assert all(isinstance(e.line, int) and e.line >= 0 for e in result.errors)
    for row in result.rows:
        assert row_problems(row) == []
    if result.errors:
        bad = {e.line for e in result.errors}
        assert not any(r.line in bad for r in result.rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096), name=st.sampled_from(["p.csv", "p.xlsx", "p.CSV", "p.txt", "p"]))
def test_any_bytes_never_raise(data, name):
    _never_raises(data, name)


@FAST
@given(
    rows=placement_files(),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=6),
)
def test_a_damaged_valid_file_never_raises(rows, cuts):
    """Byte-level damage of a good CSV or XLSX: flipped, inserted and truncated bytes."""
    for data, name in (
        (csv_bytes([as_text_cells(r) for r in rows]), "p.csv"),
        (xlsx_bytes([as_excel_cells(r) for r in rows]), "p.xlsx"),
    ):
        damaged = bytearray(data)
        for at, junk in cuts:
            at %= max(1, len(damaged))
            damaged[at : at + len(junk)] = junk
        _never_raises(bytes(damaged), name)


@FAST
@given(text=st.text(max_size=300))
def test_any_text_in_a_cell_never_raises(text):
    row = {c: "" for c in COLUMNS}
    row.update(
        {"external_ref": text, "debtor_name": text, "id_number": text, "phone": text, "principal": text}
    )
    for encoding in ("utf-8", "gb18030"):
        try:
            data = csv_bytes([row], encoding=encoding)
        except UnicodeEncodeError:
            continue
        _never_raises(data, "p.csv")


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        ("external_ref,debtor_name\nREF-1,张伟\n".encode("utf-16"), "p.csv", "FILE_UNREADABLE"),  # UTF-16
        (b"external_ref,debtor_name\nREF-1,\xff\xfe\xfa\n", "p.csv", None),  # neither UTF-8 nor GB18030
        (b"PK\x03\x04" + b"\x00" * 200, "p.xlsx", "FILE_UNREADABLE"),  # a damaged workbook
        (b"PK\x03\x04" + b"\x00" * 200, "p.csv", "FILE_UNREADABLE"),  # a workbook named .csv
        (b"\x00\x01\x02", "p.csv", "FILE_UNREADABLE"),  # binary
        (b"", "p.csv", "EMPTY_FILE"),
    ],
)
def test_broken_encodings_and_files_are_reported(data, name, code):
    result = parse_placement(data, name)

    assert result.rows == []
    assert result.errors
    if code:
        assert code in {e.code for e in result.errors}


def huge_row(size: int) -> dict[str, str]:
    return {c: "" for c in COLUMNS} | {
        "external_ref": "REF-1",
        "debtor_name": "张" * size,
        "id_type": "passport",
        "id_number": "E1234567",
        "contract_no": "HT-1",
        "principal": "1.00",
        "outstanding": "1.00",
        "currency": "CNY",
        "overdue_since": "2026-01-01",
    }


@pytest.mark.parametrize("size", [201, 10_000, 200_000])
def test_a_huge_cell_is_refused_not_raised(size):
    for data, name in (
        (csv_bytes([huge_row(size)]), "p.csv"),
        (xlsx_bytes([huge_row(min(size, 32_000))]), "p.xlsx"),
    ):
        result = parse_placement(data, name)
        assert result.rows == []
        assert result.errors
        assert {e.code for e in result.errors} <= DOCUMENTED_CODES


def test_a_real_excel_formula_is_not_evaluated(tmp_path):
    """openpyxl reads the cached value only (data_only=True); a formula without one is an empty cell."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    sheet.append([*["REF-1", "=cmd|' /C calc'!A0"], *[""] * (len(COLUMNS) - 2)])
    out = io.BytesIO()
    book.save(out)

    result = parse_placement(out.getvalue(), "p.xlsx")

    assert result.rows == []
    assert any(e.column == "debtor_name" and e.code == "REQUIRED" for e in result.errors)
