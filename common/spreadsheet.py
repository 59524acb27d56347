"""CSV that is safe to open in a spreadsheet: formula injection is neutralised cell by cell.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula
by Excel, LibreOffice or Google Sheets (OWASP "CSV Injection"); such a cell is written with a leading
apostrophe, which spreadsheets show as text. Files start with a UTF-8 byte-order mark so that Excel
reads Chinese text correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeCsvWriter:
    """Rows of cells into a binary stream (UTF-8 with BOM, CRLF line ends as RFC 4180 says)."""

    def __init__(self, stream: IO[bytes], *, header: Iterable[Any] | None = None) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self._text.write(BOM)
        self._csv = csv.writer(self._text)
        self.rows = 0
        if header is not None:
            self._csv.writerow([safe_cell(c) for c in header])

    def writerow(self, cells: Iterable[Any]) -> None:
        self._csv.writerow([safe_cell(c) for c in cells])
        self.rows += 1

    def detach(self) -> IO[bytes]:
        """Flush and hand the binary stream back without closing it."""
        self._text.flush()
        return self._text.detach()
