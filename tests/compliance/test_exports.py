"""Audit exports: requested from a search, run by a Celery job (eagerly here; once through a real worker
and Redis), streamed in chunks to storage, with a manifest; every request, export and download is an
audit event; the page shows progress (JS polls, no-JS refreshes); compliance officers only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from unittest import mock

import pytest
from celery.result import EagerResult
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models.query import QuerySet
from django.urls import reverse

from common.errors import DomainError
from compliance import audit, exports, search
from compliance.models import AuditEvent, AuditExport
from compliance.tasks import run_audit_export
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tools import verify_audit_export as verifier

pytestmark = pytest.mark.django_db


def record(
    n: int, *, case_id: int | None = None, action: str = "test.event", data: dict | None = None
) -> None:
    audit.record_many(
        audit.EventSpec(
            action,
            object_type="tests.thing",
            object_id=str(i),
            data=data or {"i": i, "名": "张三"},
            case_id=case_id,
        )
        for i in range(n)
    )


def run_export(actor, f: search.AuditFilter, formats: list[str], capture) -> AuditExport:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        export = exports.export_request(actor=actor, filter=f, formats=formats)
    export.refresh_from_db()
    return export


def stored(export: AuditExport, fmt: str) -> bytes:
    entry = next(f for f in export.files if f["format"] == fmt)
    with default_storage.open(entry["path"], "rb") as handle:
        return handle.read()


def manifest_of(export: AuditExport) -> dict:
    with default_storage.open(export.manifest_path, "rb") as handle:
        return json.loads(handle.read())


# --- the service and the job -----------------------------------------------------------------------------


def test_an_export_writes_its_files_and_manifest_and_is_audited(
    compliance_officer, django_capture_on_commit_callbacks
):
    record(3, case_id=7)
    record(2, case_id=8)
    head_before = audit_head()
    f = search.AuditFilter(case_id=7)

    export = run_export(compliance_officer, f, ["jsonl", "csv"], django_capture_on_commit_callbacks)

    assert export.status == "done"
    assert (export.count, export.total, export.processed) == (3, 3, 3)
    lines = stored(export, "jsonl").decode("utf-8").splitlines()
    events = list(AuditEvent.objects.filter(case_id=7).order_by("seq"))
    assert lines == [audit.export_line(e) for e in events]
    manifest = manifest_of(export)
    assert manifest["filter"] == {"case_id": 7}
    assert manifest["complete"] is False
    assert (manifest["count"], manifest["first_seq"], manifest["last_seq"]) == (
        3,
        events[0].seq,
        events[-1].seq,
    )
    assert (manifest["first_prev_hash"], manifest["last_hash"]) == (events[0].prev_hash, events[-1].hash)
    # The head when the job started: after the request's own event.
    assert manifest["chain_head"]["seq"] == head_before + 1
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(stored(export, entry["format"])).hexdigest()
    assert (
        export.manifest_sha256
        == hashlib.sha256(default_storage.open(export.manifest_path).read()).hexdigest()
    )
    assert audit_actions_since(head_before) == ["audit.export_requested", "audit.exported"]
    requested, exported = audit_events_since(head_before)
    assert requested.actor == exported.actor == f"user:{compliance_officer.pk}"
    assert requested.data["filter"] == {"case_id": 7}
    assert requested.data["formats"] == ["jsonl", "csv"]
    assert exported.data["count"] == 3
    assert exported.data["manifest_sha256"] == export.manifest_sha256
    assert {f["name"] for f in exported.data["files"]} == {
        f"audit-export-{export.pk}.jsonl",
        f"audit-export-{export.pk}.csv",
    }
    assert audit.verify_chain().ok


def test_the_stored_export_passes_the_standalone_verifier(
    compliance_officer, django_capture_on_commit_callbacks, tmp_path
):
    record(4, case_id=7)
    record(3)
    export = run_export(
        compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
    )
    jsonl = tmp_path / f"audit-export-{export.pk}.jsonl"
    jsonl.write_bytes(stored(export, "jsonl"))
    (tmp_path / f"audit-export-{export.pk}.manifest.json").write_bytes(
        default_storage.open(export.manifest_path).read()
    )

    ok, message = verifier.verify(str(jsonl), verifier.default_manifest(str(jsonl)))

    assert ok, message
    assert manifest_of(export)["complete"] is True
    assert "0 gap(s)" in message


def test_csv_neutralises_formulas_and_keeps_chinese(compliance_officer, django_capture_on_commit_callbacks):
    audit.record(
        actor=None,
        action="test.event",
        object_type="=HYPERLINK(1)",
        object_id="@SUM(A1)",
        data={"名": "张三"},
    )
    audit.record(actor=None, action="test.event", object_type="+1", object_id="-2", data={})

    export = run_export(
        compliance_officer, search.AuditFilter(action="test."), ["csv"], django_capture_on_commit_callbacks
    )

    raw = stored(export, "csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(exports.CSV_HEADER)
    assert rows[1][4:6] == ["'=HYPERLINK(1)", "'@SUM(A1)"]
    assert rows[2][4:6] == ["'+1", "'-2"]
    assert '"名":"张三"' in rows[1][7]


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils (pdffonts)")
def test_pdf_embeds_a_cjk_font_and_splits_into_parts(
    compliance_officer, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.AUDIT_EXPORT_PDF_PART_EVENTS = 3
    record(5, action="测试.事件")

    export = run_export(
        compliance_officer, search.AuditFilter(action="测试."), ["pdf"], django_capture_on_commit_callbacks
    )

    names = [f["name"] for f in export.files]
    assert names == [f"audit-export-{export.pk}-part0001.pdf", f"audit-export-{export.pk}-part0002.pdf"]
    path = tmp_path / "part1.pdf"
    path.write_bytes(stored(export, "pdf"))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    cjk = [
        line
        for line in fonts.splitlines()[2:]
        if any(n in line for n in ("WenQuanYi", "NotoSansCJK", "NotoSansSC", "SourceHan"))
    ]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts


def test_export_streams_with_a_chunked_iterator(compliance_officer, django_capture_on_commit_callbacks):
    record(30)
    with mock.patch.object(QuerySet, "iterator", autospec=True, side_effect=QuerySet.iterator) as iterator:
        export = run_export(
            compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
        )

    assert iterator.called
    assert iterator.call_args.kwargs.get("chunk_size") == exports.CHUNK
    assert export.count == audit_head() - 1  # everything but the export's own event


def test_progress_is_saved_while_the_job_runs(
    compliance_officer, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    record(5)
    seen = []
    real_update = QuerySet.update

    def spy(self, **kwargs):  # type: ignore[no-untyped-def]
        if self.model is AuditExport and set(kwargs) == {"processed"}:
            seen.append(kwargs["processed"])
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", spy)
    run_export(
        compliance_officer, search.AuditFilter(action="test."), ["jsonl"], django_capture_on_commit_callbacks
    )

    assert seen == [2, 4]


def test_the_job_runs_once(compliance_officer, django_capture_on_commit_callbacks):
    record(2)
    export = run_export(
        compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
    )
    head = audit_head()

    assert run_audit_export.delay(export_id=export.pk).get() == "skipped"
    assert audit_head() == head


def test_a_failing_job_is_marked_and_audited(
    compliance_officer, django_capture_on_commit_callbacks, monkeypatch
):
    record(2)

    def boom(self, event):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(exports.JsonlWriter, "add", boom)
    head = audit_head()
    export = run_export(
        compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
    )

    assert (export.status, export.error) == ("failed", "OSError")
    assert audit_actions_since(head) == ["audit.export_requested", "audit.export_failed"]


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_only_compliance_officers_export(request, role):
    actor = request.getfixturevalue(role)

    with pytest.raises(DomainError) as refused:
        exports.export_request(actor=actor, filter=search.AuditFilter(), formats=["jsonl"])

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert not AuditExport.objects.exists()


def test_an_export_needs_a_format(compliance_officer):
    with pytest.raises(DomainError) as refused:
        exports.export_request(actor=compliance_officer, filter=search.AuditFilter(), formats=["xml"])

    assert refused.value.codes == ["EXPORT_FORMAT"]


def test_a_pdf_of_too_many_events_is_refused(compliance_officer, settings):
    settings.AUDIT_EXPORT_PDF_MAX_EVENTS = 3
    record(4)

    with pytest.raises(DomainError) as refused:
        exports.export_request(
            actor=compliance_officer, filter=search.AuditFilter(), formats=["jsonl", "pdf"]
        )

    assert refused.value.codes == ["EXPORT_PDF_TOO_LARGE"]


# --- the pages ----------------------------------------------------------------------------------------------


def test_export_from_the_search_page_shows_progress_then_the_files(
    client, compliance_officer, django_capture_on_commit_callbacks
):
    record(3, case_id=9)
    client.force_login(compliance_officer)
    assert (
        reverse("compliance:export-request")
        in client.get(reverse("compliance:audit-list"), {"case": 9}).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("compliance:export-request"), {"case": "9", "formats": ["jsonl", "csv"]}
        )
    export = AuditExport.objects.get()
    assert response["Location"] == reverse("compliance:export-detail", args=[export.pk])
    assert export.filter == {"case_id": 9}

    queued = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in queued  # without JS the page refreshes itself
    assert "js/export-progress.js" in queued
    assert "<progress" in queued
    status = client.get(reverse("compliance:export-status", args=[export.pk])).json()
    assert (status["status"], status["finished"]) == ("queued", False)

    for callback in callbacks:
        callback()
    done = client.get(response["Location"]).content.decode()
    status = client.get(reverse("compliance:export-status", args=[export.pk])).json()
    assert (status["status"], status["percent"], status["finished"]) == ("done", 100, True)
    assert "http-equiv" not in done
    assert f"audit-export-{export.pk}.jsonl" in done
    assert f"audit-export-{export.pk}.manifest.json" in done


def test_downloads_are_audited(client, compliance_officer, django_capture_on_commit_callbacks):
    record(2)
    export = run_export(
        compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
    )
    client.force_login(compliance_officer)
    head = audit_head()

    response = client.get(
        reverse("compliance:export-file", args=[export.pk, f"audit-export-{export.pk}.jsonl"])
    )
    manifest = client.get(
        reverse("compliance:export-file", args=[export.pk, f"audit-export-{export.pk}.manifest.json"])
    )

    assert response.status_code == manifest.status_code == 200
    assert b"".join(response.streaming_content) == stored(export, "jsonl")
    assert audit_actions_since(head) == ["audit.export_downloaded", "audit.export_downloaded"]
    assert audit_events_since(head)[0].data["sha256"] == export.files[0]["sha256"]
    assert client.get(reverse("compliance:export-file", args=[export.pk, "settings.py"])).status_code == 404


def test_the_form_needs_a_format(client, compliance_officer):
    client.force_login(compliance_officer)

    response = client.post(reverse("compliance:export-request"), {"case": "9"}, follow=True)

    assert not AuditExport.objects.exists()
    assert any("format" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize("role", ["supervisor", "agent", "administrator"])
def test_other_roles_get_404_on_every_export_page(
    client, request, role, compliance_officer, django_capture_on_commit_callbacks
):
    record(1)
    export = run_export(
        compliance_officer, search.AuditFilter(), ["jsonl"], django_capture_on_commit_callbacks
    )
    client.force_login(request.getfixturevalue(role))
    name = f"audit-export-{export.pk}.jsonl"

    for url in (
        reverse("compliance:export-list"),
        reverse("compliance:export-detail", args=[export.pk]),
        reverse("compliance:export-status", args=[export.pk]),
        reverse("compliance:export-file", args=[export.pk, name]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("compliance:export-request"), {"formats": ["jsonl"]}).status_code == 404
    assert AuditExport.objects.count() == 1


def test_export_list_query_count(client, compliance_officer, django_assert_max_num_queries):
    for _ in range(5):
        AuditExport.objects.create(
            requested_by=compliance_officer, requested_at=audit._now(), formats=["jsonl"]
        )
    client.force_login(compliance_officer)
    # session, user, user and group permissions, the exports with their requesters (one query),
    # the user's roles (navigation), the session renewal (savepoint, update, release)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("compliance:export-list")).status_code == 200


# --- through a real worker and Redis ------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server: set REDIS_URL")
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker thread opens its own database connection; SQLite's in-memory test database is not "
    "shared with it (set DATABASE_URL to PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)  # committed, so the worker's connection sees the request
def test_an_export_through_a_real_worker(real_worker_app, compliance_officer, tmp_path):
    record(25, case_id=3)
    sent = []
    apply_async = run_audit_export.apply_async

    def keep(*args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(apply_async(*args, **kwargs))
        return sent[-1]

    # export_request queues the job when its transaction commits (autocommit here: at once), through
    # the outbox (common/outbox.py).
    with mock.patch.object(run_audit_export, "apply_async", side_effect=keep):
        export = exports.export_request(
            actor=compliance_officer, filter=search.AuditFilter(case_id=3), formats=["jsonl", "csv"]
        )

    (async_result,) = sent
    assert not isinstance(async_result, EagerResult)  # it went through Redis to the worker and back
    assert async_result.get(timeout=60) == "done"
    export.refresh_from_db()
    assert (export.status, export.count) == ("done", 25)
    jsonl = tmp_path / f"audit-export-{export.pk}.jsonl"
    jsonl.write_bytes(stored(export, "jsonl"))
    (tmp_path / f"audit-export-{export.pk}.manifest.json").write_bytes(
        default_storage.open(export.manifest_path).read()
    )
    ok, message = verifier.verify(str(jsonl), verifier.default_manifest(str(jsonl)))
    assert ok, message
    assert AuditEvent.objects.filter(action="audit.exported", object_id=str(export.pk)).count() == 1
    # A duplicated message finds the export taken and does nothing.
    assert run_audit_export.delay(export_id=export.pk).get(timeout=60) == "skipped"
