"""`verify_audit` and `export_audit`: the commands an auditor runs against the chain."""

from __future__ import annotations

import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models.query import QuerySet

from compliance import audit
from compliance.db import create_statements, drop_statements
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db


def record(n: int) -> None:
    audit.record_many(
        audit.EventSpec(
            "test.event", object_type="tests.thing", object_id=str(i), data={"i": i, "名": "张三"}
        )
        for i in range(n)
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def triggers_lifted():  # type: ignore[no-untyped-def]
    """Drop the append-only triggers so a test can forge tampering, then put them back.

    The test transaction would roll the DDL back anyway (both databases have transactional DDL);
    recreating them explicitly keeps the protection even if that ever changes.
    """
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM compliance_auditevent")


def tamper(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


# --- verify_audit -------------------------------------------------------------------------------


def test_verify_audit_prints_count_and_head():
    record(5)
    head = AuditEvent.objects.order_by("-seq").first()

    assert run("verify_audit").strip() == f"OK 5 events, head {head.hash}"


def test_verify_audit_on_empty_chain():
    assert run("verify_audit").strip() == f"OK 0 events, head {'0' * 64}"


def test_verify_audit_names_the_first_bad_seq_when_data_was_changed(triggers_lifted):
    record(5)
    tamper("UPDATE compliance_auditevent SET action = 'test.forged' WHERE seq = 3")

    with pytest.raises(
        CommandError, match=r"audit chain broken at seq 3: hash does not match the event's content"
    ):
        run("verify_audit")


def test_verify_audit_names_the_gap_when_an_event_was_deleted(triggers_lifted):
    record(5)
    tamper("DELETE FROM compliance_auditevent WHERE seq = 2")

    with pytest.raises(CommandError, match=r"at seq 2: gap: expected seq 2, found 3"):
        run("verify_audit")


def test_verify_audit_exits_non_zero(triggers_lifted, capsys):
    record(3)
    tamper("DELETE FROM compliance_auditevent WHERE seq = 3")
    tamper("UPDATE compliance_auditevent SET prev_hash = '" + "a" * 64 + "' WHERE seq = 2")

    with pytest.raises(SystemExit) as exit_info:
        _run_from_argv()

    assert exit_info.value.code != 0
    assert "seq 2" in capsys.readouterr().err


def _run_from_argv() -> None:
    """As from a shell: `manage.py verify_audit` turns CommandError into a message and exit status 1."""
    from compliance.management.commands.verify_audit import Command

    # run_from_argv closes every connection when done, which would end this test's transaction.
    with mock.patch("django.core.management.base.connections.close_all"):
        Command().run_from_argv(["manage.py", "verify_audit"])


# --- export_audit -------------------------------------------------------------------------------


def test_export_writes_one_canonical_line_per_event(tmp_path):
    record(7)
    out = tmp_path / "audit.jsonl"

    call_command("export_audit", "--format", "jsonl", "--out", str(out), stderr=StringIO())

    lines = out.read_text(encoding="utf-8").splitlines()
    events = list(AuditEvent.objects.filter(action="test.event").order_by("seq"))
    assert lines[: len(events)] == [audit.export_line(e) for e in events]
    assert len(lines) == 7
    for line, event in zip(lines, events, strict=True):
        parsed = json.loads(line)
        assert parsed["seq"] == event.seq
        assert parsed["hash"] == event.hash
    assert out.read_bytes().endswith(b"\n")
    assert "张三" in out.read_text(encoding="utf-8")


def test_export_is_recorded_in_the_chain(tmp_path):
    """Exports are among the audited actions (issue: every ... export)."""
    record(2)

    call_command("export_audit", "--out", str(tmp_path / "a.jsonl"), stderr=StringIO())

    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "audit.exported"
    assert event.data["count"] == 2
    assert audit.verify_chain().ok


def test_export_streams_large_chain_with_iterator(tmp_path):
    record(3000)
    out = tmp_path / "big.jsonl"

    with mock.patch.object(QuerySet, "iterator", autospec=True, side_effect=QuerySet.iterator) as iterator:
        call_command("export_audit", "--format", "jsonl", "--out", str(out), stderr=StringIO())

    assert iterator.called  # rows are streamed in chunks, never loaded as one list
    assert iterator.call_args.kwargs.get("chunk_size")
    with out.open(encoding="utf-8") as handle:
        for expected_seq, line in enumerate(handle, start=1):
            assert json.loads(line)["seq"] == expected_seq
    assert expected_seq == 3000


def test_export_to_standard_output(capsys):
    record(2)

    call_command("export_audit", "--out", "-", stderr=StringIO())

    lines = capsys.readouterr().out.splitlines()
    assert lines == [audit.export_line(e) for e in AuditEvent.objects.order_by("seq")[:2]]


def test_export_to_unwritable_path_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="--out"):
        call_command(
            "export_audit", "--out", str(tmp_path / "missing" / "dir" / "a.jsonl"), stderr=StringIO()
        )


def test_export_refuses_unknown_format(tmp_path):
    with pytest.raises(CommandError):
        call_command("export_audit", "--format", "xml", "--out", str(tmp_path / "a.xml"))


def test_export_with_filters_and_a_manifest(tmp_path):
    record(3)
    audit.record(
        actor=None,
        action="case.verify.refused",
        object_type="cases.case",
        object_id="1",
        case_id=1,
        data={"codes": ["MANDATE_VALID"]},
    )
    out, manifest = tmp_path / "a.jsonl", tmp_path / "a.manifest.json"

    call_command(
        "export_audit",
        "--out",
        str(out),
        "--manifest",
        str(manifest),
        "--code",
        "MANDATE_VALID",
        "--case",
        "1",
        stderr=StringIO(),
    )

    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["case.verify.refused"]
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["filter"] == {"case_id": 1, "code": "MANDATE_VALID"}
    assert (data["count"], data["first_seq"], data["last_seq"]) == (1, 4, 4)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "audit.exported"
    assert event.data["filter"] == data["filter"]
    assert event.data["files"][0]["sha256"] == data["files"][0]["sha256"]
    assert event.data["manifest_sha256"] is not None


def test_export_csv_escapes_formulas(tmp_path):
    audit.record(actor=None, action="test.event", object_type="=cmd|' /C calc'!A0", object_id="1")
    out = tmp_path / "a.csv"

    call_command("export_audit", "--format", "csv", "--out", str(out), stderr=StringIO())

    text = out.read_text(encoding="utf-8-sig")
    assert "'=cmd|" in text
    assert text.splitlines()[0].startswith("seq,at,actor,action")


def test_export_pdf_needs_a_file_and_respects_the_cap(tmp_path, settings):
    settings.AUDIT_EXPORT_PDF_MAX_EVENTS = 2
    record(3)

    with pytest.raises(CommandError, match="standard output"):
        call_command("export_audit", "--format", "pdf", "--out", "-", stderr=StringIO())
    with pytest.raises(CommandError, match="too many"):
        call_command("export_audit", "--format", "pdf", "--out", str(tmp_path / "a.pdf"), stderr=StringIO())
    call_command(
        "export_audit",
        "--format",
        "pdf",
        "--out",
        str(tmp_path / "a.pdf"),
        "--action",
        "nothing.",
        stderr=StringIO(),
    )
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")


def test_export_refuses_a_bad_date(tmp_path):
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "export_audit", "--out", str(tmp_path / "a.jsonl"), "--from", "yesterday", stderr=StringIO()
        )
