"""The printable audit export keeps every column on the page: 1,000 events in landscape, about 40 per
page, action codes whole, the hash column (the last) readable on every page as a 16-character prefix."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess

import pytest

from compliance import exports
from compliance.models import AuditEvent

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

ACTIONS = (
    "case.escalated.litigation_referral",
    "visit.statement_handed_over",
    "agreement.pdf_viewed",
    "case.verified",
    "escalation.document_downloaded",
)


def thousand_events() -> list[AuditEvent]:
    start = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)
    return [
        AuditEvent(
            seq=n,
            at=start + dt.timedelta(seconds=n),
            actor=f"user:{n % 7 + 1}",
            action=ACTIONS[n % len(ACTIONS)],
            object_type="agreements.agreement",
            object_id=str(n),
            case_id=n % 50,
            data={"codes": ["CONTACT_WINDOW", "LEAD_TIME"]} if n % 9 == 0 else {},
            hash=hashlib.sha256(str(n).encode()).hexdigest(),
        )
        for n in range(1, 1001)
    ]


def test_a_thousand_events_fit_the_page_with_every_column_readable(tmp_path):
    parts: dict[int, bytes] = {}
    writer = exports.PdfWriter(
        emit=parts.__setitem__,
        parts=1,
        context={"filter": {}, "total": 1000, "head_seq": 1000, "export": None},
        language="en",
        part_size=1000,
    )
    events = thousand_events()
    for event in events:
        writer.add(event)
    writer.finish()
    path = tmp_path / "export.pdf"
    path.write_bytes(parts[1])

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    page_texts = [p for p in text.split("\f") if p.strip()]

    assert 1000 / 45 <= pages <= 1000 / 30  # about 40 events a page, not 4
    assert "842.0 x 595.0" in info or "841.89 x 595.276" in info  # A4 landscape
    assert len(page_texts) == pages
    for page in page_texts:  # the last column (the hash prefix) is on every page
        assert any(e.hash[:16] in page for e in events)
    assert all(e.hash[:16] in text for e in events)  # and no row lost its hash
    assert all(e.hash[:17] not in text for e in events)  # a fixed-width prefix, the full value in the JSONL
    assert text.count("case.escalated.litigation_referral") == 200  # action codes never broken
    assert text.count("escalation.document_downloaded") == 200
