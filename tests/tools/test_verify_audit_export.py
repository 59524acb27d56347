"""The standalone verifier (tools/verify_audit_export.py): standard library only, accepts a fresh export
(complete or filtered, with gaps), and rejects an export with any single byte changed — every position
of a small export is flipped, once with the manifest's file digest and once without it (so the chain
checks alone are shown to catch it)."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from compliance import audit
from tools import verify_audit_export as verifier

pytestmark = pytest.mark.django_db
TOOL = Path(verifier.__file__)


def record(n: int, *, case_id: int | None = None) -> None:
    audit.record_many(
        audit.EventSpec(
            "test.event",
            object_type="t",
            object_id=str(i),
            data={"i": i, "名": "张三", "amt": "12.50"},
            case_id=case_id,
        )
        for i in range(n)
    )


def export(tmp_path: Path, *args: str, name: str = "audit") -> tuple[Path, Path]:
    out, manifest = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.manifest.json"
    call_command("export_audit", "--out", str(out), "--manifest", str(manifest), *args, stderr=StringIO())
    return out, manifest


def test_the_verifier_imports_only_the_standard_library():
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }

    assert modules - {"__future__"} <= set(sys.stdlib_module_names)


def test_a_fresh_complete_export_is_ok(tmp_path):
    record(5)
    out, manifest = export(tmp_path)

    ok, message = verifier.verify(str(out), str(manifest))

    assert ok, message
    assert message.startswith("OK 5 events (seq 1..5)")
    assert "1 consecutive run(s) checked as chains, 0 gap(s)" in message


def test_a_filtered_export_with_gaps_is_ok_and_says_so(tmp_path):
    record(2, case_id=1)
    record(3, case_id=2)
    record(2, case_id=1)
    out, manifest = export(tmp_path, "--case", "1")

    ok, message = verifier.verify(str(out), str(manifest))

    assert ok, message
    assert "OK 4 events (seq 1..7)" in message
    assert "2 consecutive run(s) checked as chains, 1 gap(s) left by the filter" in message


def test_an_empty_export_is_ok(tmp_path):
    out, manifest = export(tmp_path, "--case", "42")

    ok, message = verifier.verify(str(out), str(manifest))

    assert ok, message
    assert "OK 0 events (no events)" in message


def test_the_command_line_prints_ok_or_the_first_bad_line(tmp_path):
    record(3)
    out, _manifest = export(tmp_path)
    run = [sys.executable, "-I", str(TOOL), str(out)]  # -I: no site packages, no project on the path

    good = subprocess.run(run, capture_output=True, text=True, check=False)  # noqa: S603
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace("张三", "李四")
    out.write_text("".join(lines), encoding="utf-8")
    bad = subprocess.run(run, capture_output=True, text=True, check=False)  # noqa: S603
    usage = subprocess.run([sys.executable, "-I", str(TOOL)], capture_output=True, text=True, check=False)  # noqa: S603

    assert (good.returncode, good.stdout.splitlines()[0][:2]) == (0, "OK")
    assert "manifest: count, first and last seq" in good.stdout  # found next to the export by its name
    assert bad.returncode == 1
    assert bad.stdout.strip() == "FAIL line 2 (seq 2): hash does not match the event's content"
    assert usage.returncode == 2


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda lines: lines[:1] + lines[2:],
            "FAIL line 2 (seq 3): seq jumps from 1: the export is complete",
        ),
        (
            lambda lines: [lines[1], lines[0], *lines[2:]],
            "FAIL line 1 (seq 2): a complete export starts at seq 1",
        ),
        (lambda lines: lines[:-1], "FAIL manifest: count is 4 but the export has 3"),
        (
            lambda lines: [*lines, lines[-1]],
            "FAIL line 5 (seq 4): seq does not increase (previous line has seq 4)",
        ),
        (lambda lines: [*lines[:-1], lines[-1].rstrip("\n")], "FAIL line 4: does not end with a newline"),
    ],
)
def test_removed_reordered_duplicated_or_cut_lines_are_named(tmp_path, edit, expected):
    record(4)
    out, manifest = export(tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(edit(lines)), encoding="utf-8")

    ok, message = verifier.verify(str(out), str(manifest))

    assert not ok
    assert message.startswith(expected)


def test_a_self_consistent_forgery_is_caught_by_the_manifest(tmp_path):
    """Rewriting an event and recomputing every later hash makes a valid chain; the manifest's last hash
    and file digest (and the server's head) still tell."""
    record(3)
    out, manifest = export(tmp_path)
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    events[1]["data"]["名"] = "李四"
    prev = events[0]["hash"]
    for event in events[1:]:
        event["prev_hash"] = prev
        event["hash"] = verifier.event_hash(event)
        prev = event["hash"]
    out.write_text("".join(verifier.canonical(e) + "\n" for e in events), encoding="utf-8")

    assert verifier.verify(str(out))[0]  # the lines alone are consistent
    ok, message = verifier.verify(str(out), str(manifest))
    assert not ok
    assert (
        message
        == "FAIL manifest: last_hash is "
        + repr(json.loads(manifest.read_text())["last_hash"])
        + f" but the export has {prev!r}"
    )


def test_a_manifest_of_another_export_is_refused(tmp_path):
    record(3)
    out, _manifest = export(tmp_path)
    record(1)
    _other, other_manifest = export(tmp_path, name="later")

    ok, message = verifier.verify(str(out), str(other_manifest))

    assert not ok
    assert message.startswith("FAIL manifest: count is")


def test_a_complete_export_with_a_hole_is_refused_by_the_manifest(tmp_path):
    record(3)
    out, manifest = export(tmp_path)
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["chain_head"]["seq"] += 5  # claims the chain went further than the lines
    manifest.write_text(json.dumps(data), encoding="utf-8")

    ok, message = verifier.verify(str(out), str(manifest))

    assert not ok
    assert "a complete export must hold every event" in message


def _flip_every_byte(out: Path, manifest: Path | None) -> list[int]:
    """Positions whose single-byte change the verifier accepts (must be none)."""
    original = out.read_bytes()
    accepted = []
    for position in range(len(original)):
        changed = bytearray(original)
        changed[position] ^= 0x01  # e.g. "a"->"`", "0"->"1", "\n"->"\x0b", a UTF-8 byte -> invalid
        out.write_bytes(bytes(changed))
        if verifier.verify(str(out), str(manifest) if manifest else None)[0]:
            accepted.append(position)
    out.write_bytes(original)
    return accepted


def test_any_single_byte_changed_is_rejected(tmp_path):
    record(3)
    out, manifest = export(tmp_path)
    assert verifier.verify(str(out), str(manifest))[0]

    assert _flip_every_byte(out, manifest) == []


def test_any_single_byte_changed_is_rejected_by_the_chain_alone(tmp_path):
    """Without the manifest (so without its file digest), the per-line checks alone still reject every
    single-byte change: the canonical form, the field types and each event's hash."""
    record(3)
    out, _manifest = export(tmp_path)

    assert _flip_every_byte(out, None) == []
    assert len(out.read_bytes()) > 900  # three real events: every field, digit and separator flipped once


def test_files_listed_next_to_the_manifest_are_checked(tmp_path):
    record(2)
    out, manifest = export(tmp_path)
    data = json.loads(manifest.read_text(encoding="utf-8"))
    (tmp_path / "audit.csv").write_bytes(b"seq\n1\n")
    data["files"].append(
        {"name": "audit.csv", "format": "csv", "sha256": hashlib.sha256(b"seq\n1\n").hexdigest(), "size": 6}
    )
    data["files"].append({"name": "audit.pdf", "format": "pdf", "sha256": "0" * 64, "size": 1})
    manifest.write_text(json.dumps(data), encoding="utf-8")

    ok, message = verifier.verify(str(out), str(manifest))
    assert ok, message
    assert "audit.csv: SHA-256 matches" in message
    assert "audit.pdf: not next to the manifest" in message

    (tmp_path / "audit.csv").write_bytes(b"seq\n2\n")
    ok, message = verifier.verify(str(out), str(manifest))
    assert (ok, message) == (
        False,
        "FAIL manifest: the SHA-256 of audit.csv is not the one the manifest lists",
    )
