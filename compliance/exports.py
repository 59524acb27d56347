"""Exports of an audit search: JSON Lines (the verifiable format of docs/audit-format.md), CSV and PDF,
each with a manifest, run as a background job (`compliance.tasks.run_audit_export`) or by
`manage.py export_audit`.

Constant memory at any size: events are read with a chunked iterator and each line goes straight to a
temporary file, which is then copied to Django's default storage in chunks (`Storage.save` reads the
file piece by piece); the PDF is rendered in parts of `AUDIT_EXPORT_PDF_PART_EVENTS` events, so that
WeasyPrint never holds more than one part. What an export covers is fixed when it starts: events up to
the chain head of that moment (`seq <= head`), whatever is appended meanwhile.

Every export is itself an audit event: `audit.export_requested` (who, which filter, which formats) and
`audit.exported` (the count, first and last seq, each file's SHA-256 and the manifest's).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused
from common.outbox import outbox_enqueue, outbox_pending
from common.pdf import render_pdf
from common.spreadsheet import SafeCsvWriter

from . import audit, policies, search
from .models import AuditEvent, AuditExport

logger = logging.getLogger("fieldledger.audit")

SOURCE_EXPORTS = _("FieldLedger audit exports (docs/audit-format.md)")
FORMATS = tuple(AuditExport.Format.values)
CSV_HEADER = ("seq", "at", "actor", "action", "object_type", "object_id", "case", "data", "prev_hash", "hash")
CHUNK = 2000
PROGRESS_EVERY = 1000


def pdf_part_size() -> int:
    return int(getattr(settings, "AUDIT_EXPORT_PDF_PART_EVENTS", 1000))


def pdf_max_events() -> int:
    return int(getattr(settings, "AUDIT_EXPORT_PDF_MAX_EVENTS", 20000))


# --- writers: one event at a time into a binary stream ------------------------------------------------


class JsonlWriter:
    """One canonical line per event (docs/audit-format.md), `\\n`-terminated, UTF-8."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def add(self, event: AuditEvent) -> None:
        self.stream.write((audit.export_line(event) + "\n").encode("utf-8"))

    def finish(self) -> None:
        self.stream.flush()


class CsvWriter:
    """A spreadsheet view of the same events (formula injection neutralised). Not for verification:
    the escaping changes cell text; the JSON Lines file is the one whose hashes can be recomputed."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.csv = SafeCsvWriter(stream, header=CSV_HEADER)

    def add(self, event: AuditEvent) -> None:
        self.csv.writerow(
            [
                event.seq,
                audit.format_at(event.at),
                event.actor,
                event.action,
                event.object_type,
                event.object_id,
                event.case_id if event.case_id is not None else "",
                audit.canonical_json(event.data),
                event.prev_hash,
                event.hash,
            ]
        )

    def finish(self) -> None:
        self.csv.detach().flush()


class PdfWriter:
    """Printable tables of events, rendered part by part (one WeasyPrint document per part)."""

    def __init__(
        self,
        *,
        emit: Callable[[int, bytes], None],
        parts: int,
        context: dict[str, Any],
        language: str,
        part_size: int,
    ) -> None:
        self.emit, self.parts, self.context = emit, max(parts, 1), context
        self.language, self.part_size = language, part_size
        self.rows: list[dict[str, Any]] = []
        self.index = 0

    def add(self, event: AuditEvent) -> None:
        self.rows.append(
            {
                "seq": event.seq,
                "at": audit.format_at_short(event.at),
                "actor": event.actor,
                "action": event.action,
                "object": f"{event.object_type}:{event.object_id}",
                "case": event.case_id,
                "codes": ", ".join(event.data.get("codes", []) if isinstance(event.data, dict) else []),
                "hash": event.hash,
            }
        )
        if len(self.rows) >= self.part_size:
            self._flush()

    def _flush(self) -> None:
        self.index += 1
        pdf = render_pdf(
            template="pdf/audit_export.html",
            context={**self.context, "rows": self.rows, "part": self.index, "parts": self.parts},
            filename=f"part{self.index}.pdf",
            language=self.language,
            sign=True,
        )
        self.rows = []
        self.emit(self.index, pdf.content)

    def finish(self) -> None:
        if self.rows or self.index == 0:
            self._flush()


# --- the manifest -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the stream saw: count, first and last seq, the first's prev_hash and the last's hash."""

    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    first_prev_hash: str | None = None
    last_hash: str | None = None

    def add(self, event: AuditEvent) -> None:
        if self.count == 0:
            self.first_seq, self.first_prev_hash = event.seq, event.prev_hash
        self.count += 1
        self.last_seq, self.last_hash = event.seq, event.hash


@dataclass(frozen=True)
class StoredFile:
    name: str
    format: str
    sha256: str
    size: int
    path: str = ""

    def manifest_entry(self) -> dict[str, Any]:
        return {"name": self.name, "format": self.format, "sha256": self.sha256, "size": self.size}


def manifest(
    *,
    filter: search.AuditFilter,
    tally: Tally,
    head: tuple[int, str],
    files: list[StoredFile],
    created_at: dt.datetime,
    requested_by: str,
    export_id: int | None = None,
) -> dict[str, Any]:
    """The manifest of docs/audit-format.md ("Exports and their manifest")."""
    return {
        "format": "fieldledger-audit-export",
        "version": 1,
        "export_id": export_id,
        "created_at": audit.format_at(created_at),
        "requested_by": requested_by,
        "filter": filter.as_dict(),
        "complete": not filter.as_dict(),
        "count": tally.count,
        "first_seq": tally.first_seq,
        "last_seq": tally.last_seq,
        "first_prev_hash": tally.first_prev_hash,
        "last_hash": tally.last_hash,
        "chain_head": {"seq": head[0], "hash": head[1]},
        "files": [f.manifest_entry() for f in files],
        "hash_rule": "sha256_hex(prev_hash + canonical_json(event without hash)); canonical_json = "
        'json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)',
        "verify_with": "python3 verify_audit_export.py <file>.jsonl manifest.json",
    }


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return (audit.canonical_json(data) + "\n").encode("utf-8")


def events_of(f: search.AuditFilter, *, head_seq: int) -> Iterator[AuditEvent]:
    """The filter's events up to the head of the moment, in seq order, streamed in chunks."""
    qs = search.filtered(f).filter(seq__lte=head_seq).order_by("seq")
    return qs.iterator(chunk_size=CHUNK)


def head() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return (last[0], last[1]) if last else (0, audit.GENESIS_HASH)


# --- requesting an export (the page) ------------------------------------------------------------------


def _refuse(code: str, message: Any, field: str = "") -> DomainError:
    return DomainError([Failure(code, message, SOURCE_EXPORTS, field)])


@transaction.atomic
def export_request(
    *, actor: Any, filter: search.AuditFilter, formats: list[str], language: str = "en"
) -> AuditExport:
    """Queue an export of the search `filter` in `formats`; the job starts when this commits."""
    if not policies.can_export_audit(actor):
        raise PermissionRefused.because(_("Only a compliance officer may export the audit trail."))
    formats = [f for f in FORMATS if f in set(formats or [])]
    if not formats:
        raise _refuse("EXPORT_FORMAT", _("Choose at least one format."), "formats")
    if "pdf" in formats:
        count = search.filtered(filter).count()
        if count > pdf_max_events():
            raise _refuse(
                "EXPORT_PDF_TOO_LARGE",
                _(
                    "%(count)d events are too many for a PDF (at most %(max)d): narrow the search, or "
                    "export JSON Lines or CSV, which have no limit."
                )
                % {"count": count, "max": pdf_max_events()},
                "formats",
            )
    export = AuditExport.objects.create(
        requested_by=actor,
        requested_at=timezone.now(),
        filter=filter.as_dict(),
        formats=formats,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    audit.record(
        actor=actor,
        action="audit.export_requested",
        obj=export,
        data={"export": export.pk, "filter": filter.as_dict(), "formats": formats},
    )
    outbox_enqueue(task="compliance.tasks.run_audit_export", export_id=export.pk)
    return export


# --- running it (the background job) ------------------------------------------------------------------


def _store(tmp: IO[bytes], name: str) -> tuple[str, str, int]:
    """Copy a finished temporary file to default storage in chunks; its path, SHA-256 and size."""
    tmp.flush()
    tmp.seek(0)
    sha, size = hashlib.sha256(), 0
    for chunk in iter(lambda: tmp.read(1 << 16), b""):
        sha.update(chunk)
        size += len(chunk)
    tmp.seek(0)
    path = default_storage.save(name, File(tmp, name=name.rsplit("/", 1)[-1]))
    return path, sha.hexdigest(), size


def _base(export: AuditExport) -> str:
    return f"audit-export-{export.pk}"


def _claim(export_id: int) -> AuditExport | None:
    """queued → running, once: a duplicated or retried task finds it taken and does nothing."""
    with transaction.atomic():
        export = AuditExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status != AuditExport.Status.QUEUED:
            return None
        export.status, export.started_at = AuditExport.Status.RUNNING, timezone.now()
        export.save(update_fields=["status", "started_at"])
        return export


def exports_requeue_stuck(*, now: dt.datetime | None = None) -> list[int]:
    """The reconciler (beat): exports still `queued` after OUTBOX_REQUEUE_AFTER_MINUTES whose task is not
    waiting in the outbox, and exports `running` for longer than the broker's visibility timeout twice
    over (their worker died: the task was delivered again and found it taken), are queued again and
    handed over (`audit.export_requeued`). The run is idempotent: it rewrites the same files."""
    now = now or timezone.now()
    queued_before = now - dt.timedelta(minutes=settings.OUTBOX_REQUEUE_AFTER_MINUTES)
    running_before = now - dt.timedelta(
        seconds=2 * settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    )
    requeued = []
    stuck = AuditExport.objects.filter(
        Q(status=AuditExport.Status.QUEUED, requested_at__lt=queued_before)
        | Q(status=AuditExport.Status.RUNNING, started_at__lt=running_before)
    ).order_by("pk")
    for export_id in list(stuck.values_list("pk", flat=True)[:100]):
        if outbox_pending(task="compliance.tasks.run_audit_export", export_id=export_id):
            continue
        with transaction.atomic():
            export = AuditExport.objects.select_for_update().get(pk=export_id)
            old = export.status
            export.status, export.requested_at = AuditExport.Status.QUEUED, now
            export.save(update_fields=["status", "requested_at"])
            audit.record(
                actor=None,
                action="audit.export_requeued",
                obj=export,
                data={"export": export.pk, "from": old},
            )
            outbox_enqueue(task="compliance.tasks.run_audit_export", export_id=export.pk)
        requeued.append(export_id)
    if requeued:
        logger.error("audit exports stuck and handed over again: %s", requeued)
    return requeued


@dataclass
class _Outputs:
    writers: list[Any] = field(default_factory=list)
    temps: list[tuple[str, str, IO[bytes]]] = field(default_factory=list)  # (name, format, tmp)
    pdf_parts: list[StoredFile] = field(default_factory=list)


def export_run(*, export_id: int) -> AuditExport | None:
    """Write the export's files and manifest to storage and record `audit.exported`."""
    export = _claim(export_id)
    if export is None:
        return None
    try:
        return _run(export)
    except Exception as error:
        logger.exception("audit export %s failed", export.pk)
        AuditExport.objects.filter(pk=export.pk).update(
            status=AuditExport.Status.FAILED, finished_at=timezone.now(), error=type(error).__name__[:255]
        )
        audit.record(
            actor=export.requested_by,
            action="audit.export_failed",
            obj=export,
            data={"export": export.pk, "error": type(error).__name__},
        )
        return AuditExport.objects.get(pk=export.pk)


def _run(export: AuditExport) -> AuditExport:
    f = search.AuditFilter.from_dict(export.filter)
    head_seq, head_hash = head()
    total = search.filtered(f).filter(seq__lte=head_seq).count()
    AuditExport.objects.filter(pk=export.pk).update(total=total, head_seq=head_seq, head_hash=head_hash)
    base, folder = _base(export), f"exports/{export.pk}"
    tally = Tally()
    outputs = _Outputs()
    with ExitStack() as stack:
        for fmt in export.formats:
            if fmt == "pdf":
                continue
            tmp = stack.enter_context(tempfile.TemporaryFile())
            outputs.temps.append((f"{base}.{fmt}", fmt, tmp))
            outputs.writers.append(JsonlWriter(tmp) if fmt == "jsonl" else CsvWriter(tmp))
        if "pdf" in export.formats:
            parts = max(1, math.ceil(total / pdf_part_size()))

            def emit(index: int, content: bytes) -> None:
                name = f"{base}.pdf" if parts == 1 else f"{base}-part{index:04d}.pdf"
                with tempfile.TemporaryFile() as tmp:
                    tmp.write(content)
                    path, sha, size = _store(tmp, f"{folder}/{name}")
                outputs.pdf_parts.append(StoredFile(name, "pdf", sha, size, path))

            outputs.writers.append(
                PdfWriter(
                    emit=emit,
                    parts=parts,
                    context={"export": export, "filter": f.as_dict(), "head_seq": head_seq, "total": total},
                    language=export.language,
                    part_size=pdf_part_size(),
                )
            )
        with translation.override(export.language):
            for event in events_of(f, head_seq=head_seq):
                tally.add(event)
                for writer in outputs.writers:
                    writer.add(event)
                if tally.count % PROGRESS_EVERY == 0:
                    AuditExport.objects.filter(pk=export.pk).update(processed=tally.count)
            for writer in outputs.writers:
                writer.finish()
        stored = []
        for name, fmt, tmp in outputs.temps:
            path, sha, size = _store(tmp, f"{folder}/{name}")
            stored.append(StoredFile(name, fmt, sha, size, path))
    stored += outputs.pdf_parts
    data = manifest(
        filter=f,
        tally=tally,
        head=(head_seq, head_hash),
        files=stored,
        created_at=timezone.now(),
        requested_by=audit.actor_ref(export.requested_by)[0],
        export_id=export.pk,
    )
    with tempfile.TemporaryFile() as tmp:
        tmp.write(manifest_bytes(data))
        manifest_path, manifest_sha, _size = _store(tmp, f"{folder}/{base}.manifest.json")
    with transaction.atomic():
        AuditExport.objects.filter(pk=export.pk).update(
            status=AuditExport.Status.DONE,
            finished_at=timezone.now(),
            processed=tally.count,
            count=tally.count,
            first_seq=tally.first_seq,
            last_seq=tally.last_seq,
            files=[{**s.manifest_entry(), "path": s.path} for s in stored],
            manifest_path=manifest_path,
            manifest_sha256=manifest_sha,
        )
        audit.record(
            actor=export.requested_by,
            action="audit.exported",
            obj=export,
            data={
                "export": export.pk,
                "filter": f.as_dict(),
                "formats": list(export.formats),
                "count": tally.count,
                "first_seq": tally.first_seq,
                "last_seq": tally.last_seq,
                "head_seq": head_seq,
                "files": [{"name": s.name, "sha256": s.sha256} for s in stored],
                "manifest_sha256": manifest_sha,
            },
        )
    return AuditExport.objects.get(pk=export.pk)


def export_file(export: AuditExport, name: str) -> dict[str, Any] | None:
    """The stored file `name` of a finished export (the manifest included), or None."""
    if export.status != AuditExport.Status.DONE:
        return None
    if name == f"{_base(export)}.manifest.json":
        return {"name": name, "path": export.manifest_path, "sha256": export.manifest_sha256}
    return next((f for f in export.files if f.get("name") == name), None)


@transaction.atomic
def export_download_record(*, export: AuditExport, entry: dict[str, Any], actor: Any) -> None:
    """Taking a copy of an export is an access to what it holds: audited like a document download."""
    from . import documents

    documents.record_download(
        actor=actor,
        key="audit_export",
        profile=documents.require_download(actor, "audit_export"),
        sha256=entry["sha256"],
        case_id=None,
        obj=export,
        data={"export": export.pk, "file": entry["name"]},
    )
