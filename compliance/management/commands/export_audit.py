"""`manage.py export_audit`: the audit trail (or a search of it) as JSON Lines, CSV or PDF, with a manifest.

    export_audit --format jsonl --out FILE [--manifest FILE] [--case N] [--debtor REF] [--actor user:N]
                 [--action PREFIX] [--code RULE_CODE] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Streams in seq order with constant memory (`--out -` writes JSON Lines or CSV to standard output).
Events appended while it runs are not included: the export ends at the chain head of its start. The
export is itself an audit event (`audit.exported`, appended after the lines it wrote).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance import audit, exports, search


class _Hashing:
    """A binary stream that also computes the SHA-256 and size of what goes through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.sha, self.size = stream, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    # io.TextIOWrapper (the CSV writer) asks for these.
    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "Export the audit trail (or a search of it) as JSON Lines, CSV or PDF, with a manifest."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", default="jsonl", choices=list(exports.FORMATS))
        parser.add_argument("--out", required=True, help="output file, or - for standard output")
        parser.add_argument("--manifest", help="also write the manifest (JSON) to this file")
        parser.add_argument("--case", type=int, help="only events of this case id")
        parser.add_argument("--debtor", default="", help="debtor id or document-number digest")
        parser.add_argument("--actor", default="", help="user:<id>, system or anonymous")
        parser.add_argument("--action", default="", help="actions starting with this, e.g. case.")
        parser.add_argument("--code", default="", help="events carrying this rule code")
        parser.add_argument("--from", dest="date_from", type=_date, help="first UTC day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", type=_date, help="last UTC day (YYYY-MM-DD)")
        parser.add_argument("--language", default="en", help="language of the PDF (en or zh-hans)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt, out_path = options["format"], options["out"]
        f = search.AuditFilter(
            case_id=options["case"],
            debtor=options["debtor"],
            actor=options["actor"],
            action=options["action"],
            code=options["code"],
            date_from=options["date_from"],
            date_to=options["date_to"],
        )
        if fmt == "pdf" and out_path == "-":
            raise CommandError("--out: a PDF needs a file, not standard output")
        head_seq, head_hash = exports.head()
        tally = exports.Tally()
        if fmt == "pdf":
            files = self._pdf(f, out_path, head_seq, options["language"], tally)
        else:
            files = [self._stream(f, fmt, out_path, head_seq, tally)]
        data = exports.manifest(
            filter=f,
            tally=tally,
            head=(head_seq, head_hash),
            files=files,
            created_at=timezone.now(),
            requested_by="system",
        )
        manifest_sha = None
        if options["manifest"]:
            content = exports.manifest_bytes(data)
            try:
                Path(options["manifest"]).write_bytes(content)
            except OSError as error:
                raise CommandError(f"--manifest: cannot write: {error.strerror}") from error
            manifest_sha = hashlib.sha256(content).hexdigest()
        # An export is itself an audited action (references only: no path).
        audit.record(
            actor=None,
            action="audit.exported",
            object_type="compliance.auditevent",
            object_id="chain",
            data={
                "format": fmt,
                "filter": f.as_dict(),
                "count": tally.count,
                "first_seq": tally.first_seq,
                "last_seq": tally.last_seq,
                "head_seq": head_seq,
                "files": [{"name": s.name, "sha256": s.sha256} for s in files],
                "manifest_sha256": manifest_sha,
            },
        )
        self.stderr.write(f"exported {tally.count} events to {out_path}")

    def _open(self, out_path: str) -> IO[bytes]:
        if out_path == "-":
            return sys.stdout.buffer
        try:
            return open(out_path, "wb")
        except OSError as error:
            raise CommandError(f"--out: cannot write {out_path}: {error.strerror}") from error

    def _stream(
        self, f: search.AuditFilter, fmt: str, out_path: str, head_seq: int, tally: exports.Tally
    ) -> exports.StoredFile:
        raw = self._open(out_path)
        stream = _Hashing(raw)
        writer = exports.JsonlWriter(stream) if fmt == "jsonl" else exports.CsvWriter(stream)  # type: ignore[arg-type]
        try:
            for event in exports.events_of(f, head_seq=head_seq):
                tally.add(event)
                writer.add(event)
            writer.finish()
        finally:
            if raw is not sys.stdout.buffer:
                raw.close()
        name = "-" if out_path == "-" else Path(out_path).name
        return exports.StoredFile(name, fmt, stream.sha.hexdigest(), stream.size)

    def _pdf(
        self, f: search.AuditFilter, out_path: str, head_seq: int, language: str, tally: exports.Tally
    ) -> list[exports.StoredFile]:
        total = search.filtered(f).filter(seq__lte=head_seq).count()
        if total > exports.pdf_max_events():
            raise CommandError(
                f"{total} events are too many for a PDF (at most {exports.pdf_max_events()}); "
                "narrow the search or export jsonl/csv"
            )
        parts = max(1, math.ceil(total / exports.pdf_part_size()))
        target = Path(out_path)
        files: list[exports.StoredFile] = []

        def emit(index: int, content: bytes) -> None:
            path = target if parts == 1 else target.with_name(f"{target.stem}-part{index:04d}{target.suffix}")
            try:
                path.write_bytes(content)
            except OSError as error:
                raise CommandError(f"--out: cannot write {path}: {error.strerror}") from error
            files.append(
                exports.StoredFile(path.name, "pdf", hashlib.sha256(content).hexdigest(), len(content))
            )

        writer = exports.PdfWriter(
            emit=emit,
            parts=parts,
            context={"export": None, "filter": f.as_dict(), "head_seq": head_seq, "total": total},
            language=language,
            part_size=exports.pdf_part_size(),
        )
        for event in exports.events_of(f, head_seq=head_seq):
            tally.add(event)
            writer.add(event)
        writer.finish()
        return files
