"""Reading and validating a creditor's placement file (CSV or XLSX). Pure: no database, no clock.

`parse_placement(data, filename)` turns the bytes of an uploaded file into typed `PlacementRow`s and a
list of `RowError(line, column, reason)`, one per bad cell, for every bad row (never only the first).
Lines are numbered as the user sees them in the file: the header is line 1, the first data row line 2.
The writer (cases/services/placement.py) adds the checks that need the database (mandate coverage,
debtors and cases already on file) and refuses the whole file if anything is wrong.

What Excel does to placement files (PITFALLS.md): an 18-digit ID number typed as a number loses its last
digits (`1.10105199001011E+17`), so a numeric ID number is always refused with that reason; a phone
typed as a number comes back as `13800138000.0` (accepted) or `1.38E+10` in a CSV (refused: digits may be
lost); dates come back as date objects or serial numbers (45000 = 2023-03-15); Chinese CSVs are often
GB18030 without a BOM.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from common.money import MINOR_UNITS, Currency, round_money
from compliance.rules import resident_id_problem

from . import import_limits
from .models import IdType

COLUMNS = (
    "external_ref",
    "debtor_name",
    "id_type",
    "id_number",
    "phone",
    "home_address",
    "work_address",
    "contract_no",
    "principal",
    "outstanding",
    "currency",
    "overdue_since",
    "product",
    # Optional breakdown of the outstanding amount, for the debtor's statement (right to know):
    # outstanding = principal + interest_fees - paid (checked to the cent when any of them is given).
    "interest_fees",
    "paid",
)
AMOUNT_BREAKDOWN = ("interest_fees", "paid")
REQUIRED = (
    "external_ref",
    "debtor_name",
    "id_type",
    "id_number",
    "contract_no",
    "principal",
    "outstanding",
    "currency",
    "overdue_since",
)
MAX_LENGTH = {
    "external_ref": 64,
    "debtor_name": 200,
    "id_number": 64,
    "contract_no": 64,
    "product": 64,
    "home_address": 400,
    "work_address": 400,
    "phone": 32,
}
# Amounts must fit Case.principal/outstanding (max_digits=14, decimal_places=2).
MAX_AMOUNT = Decimal("1000000000000")
XLSX_MAGIC = b"PK\x03\x04"
# Excel keeps 15 significant digits: a larger number stored as a number may have lost digits.
EXACT_NUMBER_LIMIT = 10**15

_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_INTEGRAL_FLOAT_TEXT = re.compile(r"^(\d+)\.0+$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d+(\.\d+)?$")
_PHONE_SPLIT = re.compile("[;,/\uff0c\uff1b\u3001]")  # also the full-width , ; and 、
_PHONE_CHARS = re.compile(r"^[\d\s()+\-.]+$")
_PHONE_NORMAL = re.compile(r"^\+?\d{5,20}$")
_EXCEL_TEXT_FORMULA = re.compile(r'^="(.*)"$')  # ="0123" is how some exports keep text as text
_CURRENCY_SYMBOLS = str.maketrans("", "", "¥￥$£€元, \u00a0\u3000")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused cell (or the whole file when `line` is 0)."""

    line: int
    column: str
    reason: str
    code: str = "INVALID_VALUE"

    def __str__(self) -> str:
        if self.line <= 0:
            return f"file: {self.reason}"
        if self.column:
            return f"line {self.line}, column {self.column}: {self.reason}"
        return f"line {self.line}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason, "code": self.code}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(int(data["line"]), str(data["column"]), str(data["reason"]), str(data.get("code", "")))


@dataclass(frozen=True, slots=True)
class PlacementRow:
    """One valid row of a placement file, with typed values (amounts rounded to the currency)."""

    line: int
    external_ref: str
    debtor_name: str
    id_type: str
    id_number: str
    contract_no: str
    principal: Decimal
    outstanding: Decimal
    currency: str
    overdue_since: dt.date
    product: str = ""
    phones: tuple[str, ...] = ()
    home_address: str = ""
    work_address: str = ""
    interest_fees: Decimal | None = None
    paid: Decimal | None = None


def breakdown_problem(
    *, principal: Decimal, outstanding: Decimal, interest_fees: Decimal | None, paid: Decimal | None
) -> str:
    """Why the breakdown does not add up to the outstanding amount ("" when it does or is not given)."""
    if interest_fees is None and paid is None:
        return ""
    computed = principal + (interest_fees or Decimal(0)) - (paid or Decimal(0))
    if computed != outstanding:
        return _("principal + interest_fees - paid = %(computed)s, but outstanding is %(outstanding)s") % {
            "computed": computed,
            "outstanding": outstanding,
        }
    return ""


@dataclass
class ParseResult:
    rows: list[PlacementRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0  # non-blank data rows read, valid or not
    file_format: str = ""  # "xlsx", "csv (utf-8)", "csv (gb18030)"

    @property
    def ok(self) -> bool:
        return not self.errors


def excel_number_reason() -> str:
    return _("Excel stored it as a number and lost digits; format the column as text")


class CellProblem(ValueError):
    def __init__(self, reason: str, code: str = "INVALID_VALUE") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


# The file cannot be read at all (defined with the bounds, whose LimitProblem is one).
FileProblem = import_limits.FileProblem


# --- reading the file ----------------------------------------------------------------------------


def file_kind(data: bytes, filename: str) -> str:
    """ "csv" or "xlsx", by the extension AND the content; raises FileProblem otherwise."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if not data.startswith(XLSX_MAGIC):
            raise FileProblem(_("the file is named .xlsx but is not an Excel workbook"))
        import_limits.check_xlsx_archive(data)
        return "xlsx"
    if name.endswith(".csv"):
        if data.startswith(XLSX_MAGIC):
            raise FileProblem(
                _("the file is named .csv but is an Excel workbook; save it as .xlsx or as CSV")
            )
        if b"\x00" in data[:4096]:
            raise FileProblem(
                _("the file is named .csv but is not text (UTF-16 or binary); save it as CSV UTF-8")
            )
        return "csv"
    raise FileProblem(_("only .csv and .xlsx files are accepted"))


def decode_text(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """UTF-8 (with or without BOM) strictly, else GB18030 (what Chinese Excel saves) when plausible, or
    the encoding the uploader chose; no control characters (cases/import_limits.py)."""
    text, encoding = import_limits.decode(data, encoding)
    problem = import_limits.text_control_problem(text)
    if problem:
        raise FileProblem(problem)
    return text, encoding


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise FileProblem(
            _("line %(line)d cannot be read as CSV (%(error)s)") % {"line": start, "error": error}
        ) from error


def _xlsx_records(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise FileProblem(
            _("the Excel workbook cannot be read (%(error)s)") % {"error": type(error).__name__}
        ) from error
    try:
        if not workbook.worksheets:
            raise FileProblem(_("the Excel workbook has no sheet"))
        sheet = workbook.worksheets[0]
        # values_only rows come in sheet order with gaps filled, so the index is the row number.
        # At most one column past the cap is read: a cell at XFD1 does not make every row 16,384 wide.
        max_col = import_limits.limit("IMPORT_MAX_COLUMNS") + 1
        yield from enumerate(sheet.iter_rows(values_only=True, max_col=max_col), start=1)
    finally:
        workbook.close()


def read_records(
    data: bytes, filename: str, encoding: str = "auto"
) -> tuple[Iterator[tuple[int, Sequence[Any]]], str]:
    kind = file_kind(data, filename)
    if kind == "xlsx":
        return import_limits.bounded(_xlsx_records(data)), "xlsx"
    text, encoding = decode_text(data, encoding)
    return import_limits.bounded(_csv_records(text)), f"csv ({encoding})"


# --- cells ---------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def clean_text(value: Any, *, column: str) -> str:
    """A text cell; numbers Excel made of codes are accepted only while they are exact."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellProblem(_("expected text, found TRUE/FALSE"))
    if isinstance(value, dt.date | dt.time):
        raise CellProblem(_("expected text, found a date or time"))
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer():
            return str(value)
        if abs(value) >= EXACT_NUMBER_LIMIT:
            raise CellProblem(excel_number_reason(), "EXCEL_NUMBER")
        return str(int(value))
    text = str(value).strip()
    match = _EXCEL_TEXT_FORMULA.match(text)
    if match:
        text = match.group(1).strip()
    limit = MAX_LENGTH.get(column)
    if limit and len(text) > limit:
        raise CellProblem(_("is too long (at most %(n)d characters)") % {"n": limit})
    return text


def clean_name(value: Any) -> str:
    text = clean_text(value, column="debtor_name")
    return normalize_name(text)


def normalize_name(text: str) -> str:
    """NFC, trimmed, inner runs of white space collapsed (so the same name compares equal)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_id_type(value: Any) -> str:
    text = clean_text(value, column="id_type").lower()
    if text not in IdType.values:
        raise CellProblem(_("must be one of %(values)s") % {"values": ", ".join(IdType.values)})
    return text


def clean_id_number(value: Any, *, id_type: str | None) -> str:
    if _is_number(value):
        raise CellProblem(excel_number_reason(), "EXCEL_NUMBER")
    text = clean_text(value, column="id_number")
    if _SCIENTIFIC.match(text) or (_INTEGRAL_FLOAT_TEXT.match(text) and id_type == IdType.RESIDENT_ID):
        raise CellProblem(excel_number_reason(), "EXCEL_NUMBER")
    text = text.upper()
    if id_type == IdType.RESIDENT_ID:
        problem = resident_id_problem(text)
        if problem:
            reason = _("is not a valid PRC resident ID number: %(problem)s") % {"problem": problem}
            if len(text) == 18 and text.endswith("00"):
                reason += " " + _(
                    "(if the file went through Excel, format the column as text: Excel may have "
                    "replaced the last digits with zeros)"
                )
            raise CellProblem(reason)
    elif any(ch.isspace() for ch in text):
        raise CellProblem(_("must not contain spaces"))
    return text


def clean_currency(value: Any) -> str:
    text = clean_text(value, column="currency").upper()
    if text not in Currency.values:
        raise CellProblem(_("must be one of %(values)s") % {"values": ", ".join(Currency.values)})
    return text


def clean_amount(value: Any, *, currency: str | None, positive: bool = False) -> Decimal:
    """Text (`12,345.60`, `¥12,345.60`) or an Excel number (float → Decimal via str)."""
    if isinstance(value, bool | dt.date | dt.time):
        raise CellProblem(_("is not an amount"))
    if _is_number(value):
        amount = Decimal(str(value))
    else:
        text = str(value).strip().translate(_CURRENCY_SYMBOLS)
        try:
            amount = Decimal(text)
        except InvalidOperation as error:
            raise CellProblem(_("is not an amount (write it like 12345.60)")) from error
    if not amount.is_finite():
        raise CellProblem(_("is not an amount (write it like 12345.60)"))
    if amount < 0:
        raise CellProblem(_("must not be negative"))
    if positive and amount == 0:
        raise CellProblem(_("must be more than zero"))
    if amount >= MAX_AMOUNT:
        raise CellProblem(_("is too large"))
    code = currency if currency in MINOR_UNITS else "CNY"
    if amount != round_money(amount, code):
        places = MINOR_UNITS[code]
        reason = _("has more than %(n)d decimal places") % {"n": places}
        if currency:
            reason += " " + _("(%(currency)s has %(n)d)") % {"n": places, "currency": currency}
        raise CellProblem(reason + "; " + _("if it is a formula result, round it"))
    return round_money(amount, code)


def excel_serial_date(serial: float) -> dt.date:
    if not 1 <= serial <= _MAX_SERIAL:
        raise CellProblem(_("is not a date (write it as YYYY-MM-DD)"))
    days = int(serial)
    if days < 61:  # Excel's 1900 leap-year bug: serials before 1900-03-01 are one day off
        days += 1
    return _EXCEL_EPOCH + dt.timedelta(days=days)


def clean_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool | dt.time):
        raise CellProblem(_("is not a date (write it as YYYY-MM-DD)"))
    if _is_number(value):
        return excel_serial_date(float(value))
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as error:
            raise CellProblem(_("is not a real date")) from error
    if _SERIAL.match(text):
        return excel_serial_date(float(text))
    raise CellProblem(_("is not a date (write it as YYYY-MM-DD)"))


def clean_phones(value: Any) -> tuple[str, ...]:
    """One or more phones (separated by ; or ,), normalized (digits, optional +; +86 dropped)."""
    from common.pii import normalize_phone

    if value is None:
        return ()
    if isinstance(value, bool | dt.date | dt.time):
        raise CellProblem(_("is not a phone number"))
    if _is_number(value):
        if isinstance(value, float) and not value.is_integer():
            raise CellProblem(_("is not a phone number"))
        if abs(value) >= EXACT_NUMBER_LIMIT:
            raise CellProblem(excel_number_reason(), "EXCEL_NUMBER")
        parts = [str(int(value))]
    else:
        text = str(value).strip()
        match = _EXCEL_TEXT_FORMULA.match(text)
        parts = [p.strip() for p in _PHONE_SPLIT.split(match.group(1) if match else text) if p.strip()]
    phones: list[str] = []
    for part in parts:
        if _SCIENTIFIC.match(part):
            raise CellProblem(
                _(
                    "Excel stored the phone number as a number in scientific notation (%(value)s) and digits "
                    "may be lost; format the column as text"
                )
                % {"value": part},
                "EXCEL_NUMBER",
            )
        integral = _INTEGRAL_FLOAT_TEXT.match(part)
        if integral:
            part = integral.group(1)
        if not _PHONE_CHARS.match(part):
            raise CellProblem(_("is not a phone number (digits, spaces, +, - and parentheses only)"))
        number = normalize_phone(part)
        if not _PHONE_NORMAL.match(number):
            raise CellProblem(_("is not a phone number (5 to 20 digits)"))
        if number not in phones:
            phones.append(number)
    cap = import_limits.limit("IMPORT_MAX_PHONES_PER_ROW")
    if len(phones) > cap:
        raise CellProblem(
            _("has %(n)d phone numbers, more than the %(max)d allowed") % {"n": len(phones), "max": cap}
        )
    return tuple(phones)


# --- rows ----------------------------------------------------------------------------------------


def _header(record: Sequence[Any], line: int) -> tuple[dict[int, str], list[RowError]]:
    """Column index → known column name; unknown, duplicate and missing columns as errors."""
    columns: dict[int, str] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(record):
        name = "" if raw is None else str(raw).replace("\ufeff", "").strip().lower()
        if not name:
            continue
        if name not in COLUMNS:
            errors.append(
                RowError(
                    line,
                    str(raw).strip(),
                    _("unknown column (expected: %(cols)s)") % {"cols": ", ".join(COLUMNS)},
                    "UNKNOWN_COLUMN",
                )
            )
        elif name in columns.values():
            errors.append(RowError(line, name, _("the column appears twice"), "DUPLICATE_COLUMN"))
        else:
            columns[index] = name
    for name in REQUIRED:
        if name not in columns.values():
            errors.append(RowError(line, name, _("required column is missing"), "MISSING_COLUMN"))
    return columns, errors


def _parse_row(
    line: int, record: Sequence[Any], columns: dict[int, str], header_len: int
) -> tuple[PlacementRow | None, dict[str, Any], list[RowError]]:
    raw: dict[str, Any] = {}
    errors: list[RowError] = []
    for index, value in enumerate(record):
        name = columns.get(index)
        if name is not None:
            raw[name] = None if _blank(value) else value
        elif not _blank(value) and index >= header_len:
            errors.append(
                RowError(line, f"#{index + 1}", _("a value in a column without a header"), "UNKNOWN_COLUMN")
            )
    present = set(columns.values())
    values: dict[str, Any] = {}

    def cell(name: str, convert: Any, **kwargs: Any) -> None:
        if name not in present:
            return
        value = raw.get(name)
        if value is None:
            if name in REQUIRED:
                errors.append(RowError(line, name, _("is required"), "REQUIRED"))
            else:
                values[name] = "" if name != "phone" else ()
            return
        try:
            values[name] = convert(value, **kwargs)
        except CellProblem as problem:
            errors.append(RowError(line, name, problem.reason, problem.code))
            return
        if name in REQUIRED and values[name] in ("", ()):
            errors.append(RowError(line, name, _("is required"), "REQUIRED"))

    cell("external_ref", clean_text, column="external_ref")
    cell("debtor_name", clean_name)
    cell("id_type", clean_id_type)
    cell("id_number", clean_id_number, id_type=values.get("id_type"))
    cell("phone", clean_phones)
    cell("home_address", clean_text, column="home_address")
    cell("work_address", clean_text, column="work_address")
    cell("contract_no", clean_text, column="contract_no")
    cell("currency", clean_currency)
    cell("principal", clean_amount, currency=values.get("currency"), positive=True)
    cell("outstanding", clean_amount, currency=values.get("currency"), positive=True)
    cell("overdue_since", clean_date)
    cell("product", clean_text, column="product")
    for name in AMOUNT_BREAKDOWN:
        cell(name, clean_amount, currency=values.get("currency"))
        if values.get(name) == "":
            values[name] = None
    if errors or any(name not in values for name in REQUIRED):
        return None, values, errors
    problem = breakdown_problem(
        principal=values["principal"],
        outstanding=values["outstanding"],
        interest_fees=values.get("interest_fees"),
        paid=values.get("paid"),
    )
    if problem:
        return None, values, [RowError(line, "outstanding", problem, "AMOUNTS_DO_NOT_ADD_UP")]
    row = PlacementRow(
        line=line,
        external_ref=values["external_ref"],
        debtor_name=values["debtor_name"],
        id_type=values["id_type"],
        id_number=values["id_number"],
        contract_no=values["contract_no"],
        principal=values["principal"],
        outstanding=values["outstanding"],
        currency=values["currency"],
        overdue_since=values["overdue_since"],
        product=values.get("product", ""),
        phones=values.get("phone", ()),
        home_address=values.get("home_address", ""),
        work_address=values.get("work_address", ""),
        interest_fees=values.get("interest_fees"),
        paid=values.get("paid"),
    )
    return row, values, errors


@dataclass(frozen=True, slots=True)
class _Identity:
    """What the cross-row checks need from a row, even one with other bad cells."""

    line: int
    external_ref: str | None
    id_key: tuple[str, str] | None
    name: str | None


def cross_row_errors(identities: Iterable[_Identity]) -> list[RowError]:
    """Duplicate external_ref; the same document under two names."""
    errors: list[RowError] = []
    ref_lines: dict[str, int] = {}
    names: dict[tuple[str, str], tuple[str, int]] = {}
    for item in identities:
        if item.external_ref:
            first = ref_lines.setdefault(item.external_ref, item.line)
            if first != item.line:
                errors.append(
                    RowError(
                        item.line,
                        "external_ref",
                        _("duplicate external_ref: it is already on line %(line)d") % {"line": first},
                        "DUPLICATE_REF",
                    )
                )
        if item.id_key and item.name:
            first_name, first_line = names.setdefault(item.id_key, (item.name, item.line))
            if first_name != item.name:
                errors.append(
                    RowError(
                        item.line,
                        "debtor_name",
                        _("the same document (%(type)s) is on line %(line)d under a different name")
                        % {"type": item.id_key[0], "line": first_line},
                        "NAME_CONFLICT",
                    )
                )
    return errors


def parse_records(records: Iterable[tuple[int, Sequence[Any]]]) -> ParseResult:
    result = ParseResult()
    columns: dict[int, str] | None = None
    header_len = 0
    identities: list[_Identity] = []
    for line, record in records:
        if all(_blank(v) for v in record):
            continue
        if columns is None:
            columns, header_errors = _header(record, line)
            header_len = len(record)
            result.errors.extend(header_errors)
            continue
        result.data_rows += 1
        row, values, errors = _parse_row(line, record, columns, header_len)
        result.errors.extend(errors)
        if row is not None:
            result.rows.append(row)
        id_ok = "id_type" in values and "id_number" in values
        identities.append(
            _Identity(
                line,
                values.get("external_ref") or None,
                (values["id_type"], values["id_number"]) if id_ok else None,
                values.get("debtor_name") or None,
            )
        )
    if columns is None:
        result.errors.append(RowError(0, "", _("the file is empty (no header row)"), "EMPTY_FILE"))
        return result
    if result.data_rows == 0:
        result.errors.append(RowError(0, "", _("the file has no data rows"), "EMPTY_FILE"))
    result.errors.extend(cross_row_errors(identities))
    bad_lines = {e.line for e in result.errors}
    if bad_lines:
        result.rows = [r for r in result.rows if r.line not in bad_lines]
    result.errors = sort_errors(result.errors)
    return result


def parse_placement(data: bytes, filename: str, encoding: str = "auto") -> ParseResult:
    """Parse a placement file; every problem is reported, a row with any problem yields no row. A file
    beyond the bounds of cases/import_limits.py is refused whole (FILE_REFUSED)."""
    try:
        records, file_format = read_records(data, filename, encoding)
        result = parse_records(records)
    except import_limits.LimitProblem as problem:
        return ParseResult(errors=[RowError(0, "", str(problem), "FILE_REFUSED")])
    except FileProblem as problem:
        return ParseResult(errors=[RowError(0, "", str(problem), "FILE_UNREADABLE")])
    result.file_format = file_format
    return result


# --- rows built by code (seeding, tests) ---------------------------------------------------------


def row_problems(row: PlacementRow) -> list[RowError]:
    """The parser's checks applied to a typed row, for rows that did not come from a file."""
    errors: list[RowError] = []
    line = row.line

    def bad(column: str, reason: str, code: str = "INVALID_VALUE") -> None:
        errors.append(RowError(line, column, reason, code))

    for name in ("external_ref", "debtor_name", "id_number", "contract_no"):
        if not getattr(row, name):
            bad(name, _("is required"), "REQUIRED")
    for name, limit in MAX_LENGTH.items():
        value = getattr(row, name, None)
        if isinstance(value, str) and len(value) > limit:
            bad(name, _("is too long (at most %(n)d characters)") % {"n": limit})
    if row.debtor_name and row.debtor_name != normalize_name(row.debtor_name):
        bad("debtor_name", _("is not normalized (NFC, trimmed)"))
    if row.id_type not in IdType.values:
        bad("id_type", _("must be one of %(values)s") % {"values": ", ".join(IdType.values)})
    elif row.id_type == IdType.RESIDENT_ID and row.id_number:
        problem = resident_id_problem(row.id_number)
        if problem or row.id_number != row.id_number.strip().upper():
            bad(
                "id_number",
                _("is not a valid PRC resident ID number: %(problem)s")
                % {"problem": problem or _("not normalized")},
            )
    if row.currency not in Currency.values:
        bad("currency", _("must be one of %(values)s") % {"values": ", ".join(Currency.values)})
    for name in ("principal", "outstanding", *AMOUNT_BREAKDOWN):
        amount = getattr(row, name)
        if amount is None and name in AMOUNT_BREAKDOWN:
            continue
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
            bad(name, _("must be a non-negative amount"))
        elif name in ("principal", "outstanding") and amount == 0:
            bad(name, _("must be more than zero"))
        elif amount != round_money(amount, row.currency if row.currency in MINOR_UNITS else "CNY"):
            bad(name, _("has too many decimal places"))
    if not errors:
        problem = breakdown_problem(
            principal=row.principal,
            outstanding=row.outstanding,
            interest_fees=row.interest_fees,
            paid=row.paid,
        )
        if problem:
            bad("outstanding", problem, "AMOUNTS_DO_NOT_ADD_UP")
    if not isinstance(row.overdue_since, dt.date):
        bad("overdue_since", _("is not a date"))
    if len(row.phones) > import_limits.limit("IMPORT_MAX_PHONES_PER_ROW"):
        bad(
            "phone",
            _("has %(n)d phone numbers, more than the %(max)d allowed")
            % {"n": len(row.phones), "max": import_limits.limit("IMPORT_MAX_PHONES_PER_ROW")},
        )
    for phone in row.phones:
        if not _PHONE_NORMAL.match(phone):
            bad("phone", _("is not a phone number (5 to 20 digits)"))
    return errors


def check_rows(rows: Sequence[PlacementRow]) -> list[RowError]:
    """Everything the parser checks, for typed rows: each row's values and the cross-row rules."""
    errors: list[RowError] = []
    for row in rows:
        errors.extend(row_problems(row))
    errors.extend(
        cross_row_errors(
            _Identity(r.line, r.external_ref, (r.id_type, r.id_number), r.debtor_name) for r in rows
        )
    )
    return errors


def sort_errors(errors: Iterable[RowError]) -> list[RowError]:
    """Unique errors in file order (header and file errors first)."""
    seen: set[tuple[int, str, str]] = set()
    unique: list[RowError] = []
    for error in errors:
        key = (error.line, error.column, error.code)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    column_order = {name: i for i, name in enumerate(COLUMNS)}
    return sorted(unique, key=lambda e: (e.line, column_order.get(e.column, len(COLUMNS)), e.column))
