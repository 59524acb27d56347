"""Bounds on what a placement file may cost before and while it is read (issue 21).

Every check refuses the whole file with a message naming the line (and column) and the limit, within
seconds and bounded memory, before anything is written:

- an XLSX is a zip: its members' declared sizes are read from the central directory (nothing inflated)
  and the workbook is refused when they add up to more than IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES, or one
  member inflates more than IMPORT_XLSX_MAX_RATIO times (a zip bomb); openpyxl then streams it
  (read_only) reading no more than IMPORT_MAX_COLUMNS + 1 columns;
- rows (IMPORT_MAX_ROWS, like the API's API_PLACEMENT_MAX_ROWS), columns (IMPORT_MAX_COLUMNS) and the
  length of any cell (IMPORT_MAX_CELL_CHARS) are capped, and reading stops after
  IMPORT_TIME_BUDGET_SECONDS;
- NUL and other control characters (but tab, CR and LF) are refused anywhere, with their line;
- text encodings: UTF-8 first; otherwise GB18030 only when it is plausibly GB18030, judged with
  charset-normalizer against the other encodings (a Latin-1 or Shift-JIS file would otherwise decode as
  garbled GB18030); the uploader may name the encoding instead (the upload form's choice).
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The encodings an uploader may choose; "auto" detects UTF-8 or GB18030.
ENCODING_CHOICES = [
    ("auto", gettext_lazy("Detect (UTF-8 or GB18030)")),
    ("utf-8", "UTF-8"),
    ("gb18030", "GB18030 / GBK"),
    ("big5", "Big5"),
    ("shift_jis", "Shift-JIS"),
    ("cp1252", gettext_lazy("Western European (Windows-1252 / Latin-1)")),
]
ENCODINGS = {code for code, _label in ENCODING_CHOICES}
# GB18030 is refused when more of its non-ASCII characters than this are outside GB2312 (a garbled file).
GB_IMPLAUSIBLE_SHARE = 0.2
# A chosen encoding whose reading is this chaotic is not the file's encoding.
CHAOS_REFUSED = 0.3
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def limit(name: str) -> int:
    return int(getattr(settings, name))


class FileProblem(ValueError):
    """The file cannot be read at all (importing.FileProblem)."""


class LimitProblem(FileProblem):
    """The file exceeds a bound or holds what may not be stored; the message says which."""


# --- XLSX --------------------------------------------------------------------------------------------


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook whose members would inflate past the caps, from the zip's directory only."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # a damaged zip raises many types (BadZipFile, NotImplementedError, ...)
        raise FileProblem(
            _("the Excel workbook cannot be read (%(error)s)") % {"error": type(error).__name__}
        ) from error
    with archive:
        members = archive.infolist()
        if len(members) > 1000:
            raise LimitProblem(_("the Excel workbook has too many parts (%(n)d)") % {"n": len(members)})
        total = sum(member.file_size for member in members)
        cap = limit("IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES")
        if total > cap:
            raise LimitProblem(
                _(
                    "the Excel workbook would take %(size)d MB once unpacked, more than the %(max)d MB allowed; "
                    "split it or save it as CSV"
                )
                % {"size": total // 2**20, "max": cap // 2**20}
            )
        ratio = limit("IMPORT_XLSX_MAX_RATIO")
        for member in members:
            if member.file_size > 2**20 and member.file_size > ratio * max(member.compress_size, 1):
                raise LimitProblem(
                    _(
                        "the Excel workbook's part %(name)s inflates %(ratio)d times (a zip bomb?); it is refused"
                    )
                    % {
                        "name": member.filename[:80],
                        "ratio": member.file_size // max(member.compress_size, 1),
                    }
                )


# --- text encodings ----------------------------------------------------------------------------------


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text and the encoding it was read in; LimitProblem when it is not plausibly text in it."""
    from charset_normalizer import from_bytes

    if encoding not in ENCODINGS:
        raise LimitProblem(_("unknown encoding %(encoding)s") % {"encoding": encoding[:32]})
    if encoding != "auto":
        try:
            text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError as error:
            raise LimitProblem(
                _("the file is not %(encoding)s text (byte %(at)d cannot be read)")
                % {"encoding": encoding, "at": error.start + 1}
            ) from error
        match = from_bytes(data, cp_isolation=["utf_8" if encoding == "utf-8" else encoding]).best()
        if match is not None and match.chaos > CHAOS_REFUSED:
            raise LimitProblem(_("the file does not read as %(encoding)s text") % {"encoding": encoding})
        return text, encoding
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    gb_text: str | None
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError:
        gb_text = None
    if gb_text is None or _implausible_share(gb_text) > GB_IMPLAUSIBLE_SHARE:
        best = from_bytes(data).best()
        guess = best.encoding if best is not None else "?"
        raise LimitProblem(
            _(
                "the file is neither UTF-8 nor GB18030 text (it looks like %(guess)s); save it as CSV UTF-8 "
                "or choose its encoding"
            )
            % {"guess": guess}
        )
    return gb_text, "gb18030"


def _implausible_share(text: str) -> float:
    """Of the ideographs (and private-use characters) of a text read as GB18030, the share outside
    GB2312, the common characters. Latin-1, Shift-JIS or Big5 bytes read as GB18030 give rare
    characters of GBK's extension areas and private-use ones; Chinese names give common ones."""
    counted = implausible = 0
    for char in text:
        if char < "\x80" or unicodedata.category(char) not in ("Lo", "Co"):
            continue
        counted += 1
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            implausible += 1
    return implausible / counted if counted else 0.0


# --- records -----------------------------------------------------------------------------------------


def cell_problem(value: Any) -> str:
    """Why a cell's text may not be stored ("" when it may): control characters, lone surrogates, length."""
    if not isinstance(value, str):
        return ""
    found = _CONTROL.search(value)
    if found:
        return _("contains a control character (U+%(code)04X); remove it") % {"code": ord(found.group())}
    if _SURROGATE.search(value):
        return _("contains an invalid character (a lone surrogate)")
    cap = limit("IMPORT_MAX_CELL_CHARS")
    if len(value) > cap:
        return _("has %(n)d characters, more than the %(max)d allowed in a cell") % {
            "n": len(value),
            "max": cap,
        }
    return ""


def bounded(records: Iterable[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    """The records, checked one by one against the caps; LimitProblem at the first one broken."""
    max_rows, max_columns = limit("IMPORT_MAX_ROWS"), limit("IMPORT_MAX_COLUMNS")
    deadline = time.monotonic() + limit("IMPORT_TIME_BUDGET_SECONDS")
    for count, (line, record) in enumerate(records, start=1):
        if count > max_rows + 1:  # the header and max_rows data rows
            raise LimitProblem(
                _("the file has more than %(max)d rows; split it into files of at most %(max)d rows")
                % {"max": max_rows}
            )
        if len(record) > max_columns and any(v not in (None, "") for v in record[max_columns:]):
            raise LimitProblem(
                _("line %(line)d has more than %(max)d columns") % {"line": line, "max": max_columns}
            )
        for index, value in enumerate(record[:max_columns]):
            problem = cell_problem(value)
            if problem:
                raise LimitProblem(
                    _("line %(line)d, column %(column)d %(problem)s")
                    % {"line": line, "column": index + 1, "problem": problem}
                )
        if time.monotonic() > deadline:
            raise LimitProblem(
                _("reading the file took longer than %(n)d seconds (stopped at line %(line)d); split it")
                % {"n": limit("IMPORT_TIME_BUDGET_SECONDS"), "line": line}
            )
        yield line, record[:max_columns]


def text_control_problem(text: str) -> str:
    """The first control character of a decoded text file, with its line ("" when none)."""
    found = _CONTROL.search(text)
    if found is None:
        return ""
    line = text.count("\n", 0, found.start()) + 1
    return _("line %(line)d contains a control character (U+%(code)04X); remove it") % {
        "line": line,
        "code": ord(found.group()),
    }
