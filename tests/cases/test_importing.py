"""The placement file parser: encodings, XLSX cell types, and every refusal with its line and column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases import importing
from cases.importing import COLUMNS, PlacementRow, RowError, check_rows, parse_placement
from tests.fixtures.placement import csv_bytes, resident_id, valid_row, xlsx_bytes


def errors_at(result: importing.ParseResult) -> set[tuple[int, str]]:
    return {(e.line, e.column) for e in result.errors}


def only_error(result: importing.ParseResult) -> RowError:
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return result.errors[0]


# --- encodings and formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "expected_format"),
    [("utf-8", False, "csv (utf-8)"), ("utf-8", True, "csv (utf-8)"), ("gb18030", False, "csv (gb18030)")],
)
def test_csv_encodings(encoding, bom, expected_format):
    data = csv_bytes([valid_row(1), valid_row(2, debtor_name="李娜")], encoding=encoding, bom=bom)
    result = parse_placement(data, "placement.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert result.file_format == expected_format
    assert [r.debtor_name for r in result.rows] == ["张伟1", "李娜"]
    first = result.rows[0]
    assert first == PlacementRow(
        line=2,
        external_ref="REF-00001",
        debtor_name="张伟1",
        id_type="resident_id",
        id_number=resident_id(1),
        contract_no="HT-000001",
        principal=Decimal("12000.00"),
        outstanding=Decimal("8500.50"),
        currency="CNY",
        overdue_since=dt.date(2026, 5, 1),
        product="consumer_loan",
        phones=("13900000001",),
        home_address="上海市徐汇区漕溪北路1号",
        work_address="",
    )


def test_header_is_case_insensitive_and_trimmed_and_values_normalized():
    header = [f"  {c.upper()} " for c in COLUMNS]
    data = csv_bytes(
        [
            {
                **{f"  {k.upper()} ": v for k, v in valid_row(3).items()},
                "  DEBTOR_NAME ": "  Zhang\u0301  Wei ",
                "  ID_NUMBER ": resident_id(3).lower(),
                "  PRINCIPAL ": "¥1,000",
                "  OUTSTANDING ": "$ 99.9",
                "  CURRENCY ": "usd",
                "  OVERDUE_SINCE ": "2026/1/5",
                "  PHONE ": "+86 139-0000-0003; 021 6400 1234",
            }
        ],
        header=header,
    )
    result = parse_placement(data, "PLACEMENT.CSV")
    assert result.ok, [str(e) for e in result.errors]
    row = result.rows[0]
    assert row.debtor_name == "Zhang\u0301 Wei".replace("g\u0301", "\u01f5")  # NFC, inner space collapsed
    assert row.principal == Decimal("1000.00")
    assert row.outstanding == Decimal("99.90")
    assert row.currency == "USD"
    assert row.overdue_since == dt.date(2026, 1, 5)
    assert row.phones == ("13900000003", "02164001234")


def test_blank_lines_are_skipped_and_line_numbers_follow_the_file():
    good = csv_bytes([valid_row(1)]).decode()
    bad = csv_bytes([valid_row(2, currency="RMB")]).decode().split("\r\n", 1)[1]
    result = parse_placement((good + "\r\n,,,\r\n" + bad).encode(), "p.csv")
    # header 1, row 2, blank 3, blank-cells 4, bad row 5
    assert {(e.line, e.column) for e in result.errors} == {(5, "currency")}


def test_quoted_newline_counts_as_the_lines_the_user_sees():
    data = csv_bytes([valid_row(1, home_address="上海市\n徐汇区"), valid_row(2, currency="XXX")])
    result = parse_placement(data, "p.csv")
    assert errors_at(result) == {(4, "currency")}  # row 2 spans lines 2-3


def test_semicolon_separated_csv_is_read():
    data = csv_bytes([valid_row(1)]).decode().replace(",", ";").replace('"12;000.00"', "12000.00")
    data = data.replace('"8;500.50"', "8500.50")
    result = parse_placement(data.encode(), "p.csv")
    assert result.ok, [str(e) for e in result.errors]


def test_xlsx_with_excel_types():
    rows = [
        valid_row(
            1, phone=13800138000.0, principal=12000.5, outstanding=11000, overdue_since=dt.date(2025, 3, 1)
        ),
        valid_row(2, phone=13800138001, principal=500, outstanding=0.5, overdue_since=45000),
        valid_row(3, overdue_since=dt.datetime(2025, 7, 9, 0, 0), external_ref=12345, contract_no=67890),
    ]
    result = parse_placement(xlsx_bytes(rows), "p.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert result.file_format == "xlsx"
    one, two, three = result.rows
    assert one.phones == ("13800138000",)
    assert one.principal == Decimal("12000.50")
    assert one.outstanding == Decimal("11000.00")
    assert one.overdue_since == dt.date(2025, 3, 1)
    assert two.phones == ("13800138001",)
    assert two.overdue_since == dt.date(2023, 3, 15)  # serial 45000
    assert two.outstanding == Decimal("0.50")
    assert three.overdue_since == dt.date(2025, 7, 9)
    assert (three.external_ref, three.contract_no) == ("12345", "67890")


def test_xlsx_id_typed_as_a_number_is_refused_with_the_reason():
    rows = [valid_row(1), valid_row(2, id_number=int(resident_id(2)[:17] + "0"))]
    result = parse_placement(xlsx_bytes(rows), "p.xlsx")
    error = only_error(result)
    assert (error.line, error.column, error.code) == (3, "id_number", "EXCEL_NUMBER")
    assert "Excel stored it as a number and lost digits; format the column as text" in error.reason
    assert [r.line for r in result.rows] == [2]


def test_xlsx_amount_float_with_more_than_two_decimals_is_refused():
    result = parse_placement(xlsx_bytes([valid_row(1, outstanding=1234.567)]), "p.xlsx")
    error = only_error(result)
    assert (error.line, error.column) == (2, "outstanding")
    assert "decimal places" in error.reason


def test_csv_excel_scientific_id_and_phone_are_refused():
    data = csv_bytes([valid_row(1, id_number="1.10105199001011E+17", phone="1.38001380E+10")])
    result = parse_placement(data, "p.csv")
    assert {(e.column, e.code) for e in result.errors} == {
        ("id_number", "EXCEL_NUMBER"),
        ("phone", "EXCEL_NUMBER"),
    }
    assert all(e.line == 2 for e in result.errors)


def test_csv_phone_written_as_float_text_is_accepted():
    result = parse_placement(csv_bytes([valid_row(1, phone="13800138000.0")]), "p.csv")
    assert result.ok
    assert result.rows[0].phones == ("13800138000",)


def test_passport_and_other_documents():
    rows = [
        valid_row(1, id_type="passport", id_number="e12345678", debtor_name="John Smith"),
        valid_row(2, id_type="OTHER", id_number="HK-A1234567"),
    ]
    result = parse_placement(csv_bytes(rows), "p.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert [(r.id_type, r.id_number) for r in result.rows] == [
        ("passport", "E12345678"),
        ("other", "HK-A1234567"),
    ]


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "reason_part"),
    [
        ("id_number", resident_id(1)[:17] + ("1" if resident_id(1)[17] != "1" else "2"), "check digit"),
        ("id_number", "11010519901301123X", "impossible date"),
        ("id_number", "1101051990", "18 characters"),
        ("id_type", "身份证", "must be one of"),
        ("overdue_since", "2026-02-30", "not a real date"),
        ("overdue_since", "01/05/2026", "not a date"),
        ("principal", "-1.00", "must not be negative"),
        ("outstanding", "12.345", "more than 2 decimal places"),
        ("outstanding", "twelve", "not an amount"),
        ("principal", "1e13", "too large"),
        ("currency", "RMB", "must be one of CNY"),
        ("phone", "call me", "not a phone number"),
        ("phone", "123", "5 to 20 digits"),
        ("external_ref", "", "is required"),
        ("debtor_name", "   ", "is required"),
        ("home_address", "长" * 401, "too long"),
    ],
)
def test_each_bad_cell_is_reported_with_line_column_and_reason(column, value, reason_part):
    rows = [valid_row(1), valid_row(2, **{column: value})]
    if column == "id_number":
        rows = [valid_row(2, **{column: value}), valid_row(1)]
    result = parse_placement(csv_bytes(rows), "p.csv")
    error = only_error(result)
    expected_line = 2 if column == "id_number" else 3
    assert (error.line, error.column) == (expected_line, column)
    assert reason_part in error.reason
    assert str(error) == f"line {expected_line}, column {column}: {error.reason}"
    assert len(result.rows) == 1  # the bad row yields nothing, the good one is kept for the report


def test_every_bad_row_and_cell_is_reported_not_only_the_first():
    rows = [
        valid_row(1, currency="RMB", principal="-5"),
        valid_row(2),
        valid_row(3, overdue_since="yesterday"),
        valid_row(4, id_number="123", outstanding="1.001"),
    ]
    result = parse_placement(csv_bytes(rows), "p.csv")
    assert errors_at(result) == {
        (2, "currency"),
        (2, "principal"),
        (4, "overdue_since"),
        (5, "id_number"),
        (5, "outstanding"),
    }
    assert [r.line for r in result.rows] == [3]


def test_missing_and_unknown_columns():
    header = [c for c in COLUMNS if c not in ("currency", "phone")] + ["notes"]
    result = parse_placement(csv_bytes([valid_row(1, notes="x")], header=header), "p.csv")
    assert {(e.line, e.column, e.code) for e in result.errors} == {
        (1, "currency", "MISSING_COLUMN"),
        (1, "notes", "UNKNOWN_COLUMN"),
    }
    assert result.rows == []


def test_duplicate_column():
    header = [*COLUMNS, "Currency"]
    result = parse_placement(csv_bytes([valid_row(1)], header=header), "p.csv")
    assert {(e.line, e.column, e.code) for e in result.errors} == {(1, "currency", "DUPLICATE_COLUMN")}


def test_duplicate_external_ref_in_one_file():
    rows = [valid_row(1), valid_row(2), valid_row(3, external_ref="REF-00001")]
    result = parse_placement(csv_bytes(rows), "p.csv")
    error = only_error(result)
    assert (error.line, error.column, error.code) == (4, "external_ref", "DUPLICATE_REF")
    assert "line 2" in error.reason


def test_same_document_with_a_different_name_in_one_file():
    rows = [valid_row(1), valid_row(2, id_number=resident_id(1), debtor_name="王芳")]
    result = parse_placement(csv_bytes(rows), "p.csv")
    error = only_error(result)
    assert (error.line, error.column, error.code) == (3, "debtor_name", "NAME_CONFLICT")


def test_same_document_same_name_is_one_debtor_with_two_cases():
    rows = [valid_row(1), valid_row(2, id_number=resident_id(1), debtor_name="张伟1")]
    result = parse_placement(csv_bytes(rows), "p.csv")
    assert result.ok
    assert len(result.rows) == 2


@pytest.mark.parametrize(
    ("data", "filename", "reason_part"),
    [
        (b"", "p.csv", "empty"),
        (b"external_ref,debtor_name\r\n", "p.csv", "MISSING"),
        (b"PK\x03\x04rest", "p.csv", "Excel workbook"),
        (b"a,b\n", "p.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04broken zip", "p.xlsx", "cannot be read"),
        (b"a,b\n", "p.txt", "only .csv and .xlsx"),
        (b"\xff\xfe\x00a\x00", "p.csv", "not text"),
    ],
)
def test_unreadable_files(data, filename, reason_part):
    result = parse_placement(data, filename)
    assert not result.ok
    assert result.rows == []
    text = " ".join(f"{e.reason} {e.code}" for e in result.errors)
    assert reason_part in text


def test_header_only_file_has_no_data_rows():
    result = parse_placement(csv_bytes([]), "p.csv")
    error = only_error(result)
    assert (error.line, error.code) == (0, "EMPTY_FILE")
    assert str(error).startswith("file: ")


def test_check_rows_applies_the_same_rules_to_rows_built_by_code():
    good = parse_placement(csv_bytes([valid_row(1)]), "p.csv").rows[0]
    bad = PlacementRow(
        line=9,
        external_ref=good.external_ref,
        debtor_name=" x ",
        id_type="resident_id",
        id_number="123",
        contract_no="C",
        principal=Decimal("-1"),
        outstanding=Decimal("1.005"),
        currency="XXX",
        overdue_since=dt.date(2026, 1, 1),
    )
    errors = check_rows([good, bad])
    assert {(e.line, e.column) for e in errors} == {
        (9, "external_ref"),
        (9, "debtor_name"),
        (9, "id_number"),
        (9, "principal"),
        (9, "outstanding"),
        (9, "currency"),
    }
    assert check_rows([good]) == []


def test_excel_serial_dates_follow_excel():
    assert importing.clean_date(1) == dt.date(1900, 1, 1)
    assert importing.clean_date(61) == dt.date(1900, 3, 1)
    assert importing.clean_date("45000") == dt.date(2023, 3, 15)
    with pytest.raises(importing.CellProblem):
        importing.clean_date(20240115)


# --- the optional breakdown of the outstanding amount (the debtor's statement) ---------------------


def test_a_breakdown_that_adds_up_is_read():
    result = parse_placement(
        csv_bytes(
            [
                valid_row(
                    1, principal="12,000.00", outstanding="8,500.50", interest_fees="1,500.50", paid="5,000"
                )
            ]
        ),
        "p.csv",
    )

    (row,) = result.rows
    assert row.interest_fees == Decimal("1500.50")
    assert row.paid == Decimal("5000.00")


def test_a_breakdown_that_does_not_add_up_is_refused_naming_the_sum():
    result = parse_placement(
        csv_bytes(
            [valid_row(1, principal="12000", outstanding="8500.50", interest_fees="1000", paid="5000")]
        ),
        "p.csv",
    )

    error = only_error(result)
    assert (error.column, error.code) == ("outstanding", "AMOUNTS_DO_NOT_ADD_UP")
    assert "8000.00" in error.reason
    assert "8500.50" in error.reason


def test_one_part_of_the_breakdown_counts_the_other_as_zero():
    result = parse_placement(
        csv_bytes([valid_row(1, principal="8000", outstanding="8500.50", interest_fees="500.50")]), "p.csv"
    )

    (row,) = result.rows
    assert (row.interest_fees, row.paid) == (Decimal("500.50"), None)


def test_files_without_the_breakdown_columns_still_import():
    header = [c for c in COLUMNS if c not in ("interest_fees", "paid")]

    result = parse_placement(csv_bytes([valid_row(1)], header=header), "p.csv")

    assert result.errors == []
    assert result.rows[0].interest_fees is None


def test_check_rows_checks_the_breakdown_of_rows_built_by_code():
    row = importing.parse_placement(csv_bytes([valid_row(1)]), "p.csv").rows[0]
    wrong = PlacementRow(
        **{**{f: getattr(row, f) for f in row.__dataclass_fields__}, "interest_fees": Decimal("1")}
    )

    assert [e.code for e in check_rows([wrong])] == ["AMOUNTS_DO_NOT_ADD_UP"]
