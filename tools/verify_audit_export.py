#!/usr/bin/env python3
"""Verify a FieldLedger audit export (JSON Lines) against its manifest. Standard library only.

    python3 verify_audit_export.py EXPORT.jsonl [MANIFEST.json]

Without MANIFEST, `<name>.manifest.json` next to the export is used when it exists (the name the
FieldLedger export job gives it); without any manifest only the lines are checked.

It prints `OK ...` and exits 0, or prints `FAIL line <n> (seq <s>): <why>` for the first bad line (or
`FAIL manifest: <why>`) and exits 1; 2 means it was called wrongly or a file cannot be read.

What is checked, line by line (docs/audit-verification.md says what this proves):
  1. the line is UTF-8, ends with a newline, and is exactly the canonical JSON of the event
     (json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False));
  2. the event has exactly the fields seq, at, actor, action, object_type, object_id, data, prev_hash
     and hash, with the right types;
  3. its hash is sha256_hex(prev_hash + canonical_json(event without "hash"));
  4. seq only increases;
  5. where seq is consecutive (a line's seq is the previous line's + 1), the line's prev_hash is the
     previous line's hash; the event with seq 1 has the genesis prev_hash (64 zeros). A filtered
     export has gaps in seq: across a gap the link cannot be checked, and the output says how many.
Then against the manifest: the count, the first and last seq, the first event's prev_hash, the last
event's hash, the export file's SHA-256 and size, the chain head (the last hash is the head's when
the last seq is the head's seq), and, for a complete export (no filter), that the lines are the whole
chain from seq 1 without a gap. Other files the manifest lists (CSV, PDF) are checked by SHA-256 when
they lie next to the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field

GENESIS = "0" * 64
BODY_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash")
FIELDS = frozenset((*BODY_FIELDS, "hash"))
HEX = frozenset("0123456789abcdef")


def canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: dict) -> str:
    body = {key: event[key] for key in BODY_FIELDS}
    return hashlib.sha256((event["prev_hash"] + canonical(body)).encode("utf-8")).hexdigest()


def is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX


def file_digest(path: str) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


class Bad(Exception):
    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")
        self.where, self.why = where, why


@dataclass
class Report:
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    first_prev_hash: str | None = None
    last_hash: str | None = None
    runs: int = 0  # stretches of consecutive seq, each checked as a chain
    gaps: int = 0  # places where the filter left events out
    notes: list[str] = field(default_factory=list)


def check_event(event: object) -> str:
    """Why the parsed event is malformed, or ''."""
    if not isinstance(event, dict):
        return "not a JSON object"
    if set(event) != FIELDS:
        missing, extra = sorted(FIELDS - set(event)), sorted(set(event) - FIELDS)
        return f"wrong fields (missing {missing}, unexpected {extra})"
    if not isinstance(event["seq"], int) or isinstance(event["seq"], bool) or event["seq"] < 1:
        return "seq is not a positive integer"
    for key in ("at", "actor", "action", "object_type", "object_id"):
        if not isinstance(event[key], str):
            return f"{key} is not a string"
    if not isinstance(event["data"], dict):
        return "data is not an object"
    if not is_hash(event["prev_hash"]) or not is_hash(event["hash"]):
        return "prev_hash or hash is not 64 lowercase hex digits"
    return ""


def verify_lines(path: str, *, complete: bool = False) -> Report:
    """Every line's own hash, its canonical form, seq order and the links where seq is consecutive.

    `complete` (the manifest says the export holds the whole chain): it must start at seq 1 and have
    no gap, so a missing event is named at the line after it."""
    report = Report()
    prev: dict | None = None
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                raise Bad(f"line {number}", "does not end with a newline (the file is cut short or changed)")
            try:
                text = raw[:-1].decode("utf-8")
            except UnicodeDecodeError as error:
                raise Bad(f"line {number}", f"not UTF-8 ({error.reason})") from error
            try:
                event = json.loads(text)
            except ValueError as error:
                raise Bad(f"line {number}", f"not JSON ({error})") from error
            problem = check_event(event)
            if problem:
                raise Bad(f"line {number}", problem)
            seq = event["seq"]
            where = f"line {number} (seq {seq})"
            if text != canonical(event):
                raise Bad(where, "the line is not the event's canonical JSON")
            if event_hash(event) != event["hash"]:
                raise Bad(where, "hash does not match the event's content")
            if prev is None:
                report.runs = 1
                if seq == 1 and event["prev_hash"] != GENESIS:
                    raise Bad(where, "the first event of the chain must have the genesis prev_hash")
                if complete and seq != 1:
                    raise Bad(where, "a complete export starts at seq 1 (events before this one are missing)")
            else:
                if seq <= prev["seq"]:
                    raise Bad(where, f"seq does not increase (previous line has seq {prev['seq']})")
                if seq == prev["seq"] + 1:
                    if event["prev_hash"] != prev["hash"]:
                        raise Bad(where, "prev_hash is not the previous event's hash (the chain is broken)")
                elif complete:
                    raise Bad(
                        where, f"seq jumps from {prev['seq']}: the export is complete, so an event is missing"
                    )
                else:
                    report.gaps += 1
                    report.runs += 1
            if report.count == 0:
                report.first_seq, report.first_prev_hash = seq, event["prev_hash"]
            report.count += 1
            report.last_seq, report.last_hash = seq, event["hash"]
            prev = event
    return report


def read_manifest(manifest_path: str) -> dict:
    try:
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as error:
        raise Bad("manifest", f"cannot be read as JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != "fieldledger-audit-export":
        raise Bad("manifest", "is not a FieldLedger audit export manifest")
    return manifest


def verify_manifest(path: str, manifest_path: str, manifest: dict, report: Report) -> None:
    expected = {
        "count": report.count,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "first_prev_hash": report.first_prev_hash,
        "last_hash": report.last_hash,
    }
    for key, value in expected.items():
        if manifest.get(key) != value:
            raise Bad("manifest", f"{key} is {manifest.get(key)!r} but the export has {value!r}")
    files = manifest.get("files") or []
    name = os.path.basename(path)
    entry = next((f for f in files if f.get("name") == name), None)
    if entry is None:
        jsonl = [f for f in files if f.get("format") == "jsonl"]
        entry = jsonl[0] if len(jsonl) == 1 else None
    if entry is None:
        raise Bad("manifest", f"lists no JSON Lines file named {name}")
    sha, size = file_digest(path)
    if entry.get("sha256") != sha or entry.get("size") != size:
        raise Bad("manifest", f"the SHA-256 or size of {name} is not the one the manifest lists")
    head = manifest.get("chain_head") or {}
    head_seq = head.get("seq")
    if not isinstance(head_seq, int) or (report.last_seq is not None and head_seq < report.last_seq):
        raise Bad("manifest", "the chain head is missing or before the last exported event")
    if report.last_seq is not None and report.last_seq == head_seq and head.get("hash") != report.last_hash:
        raise Bad("manifest", "the last event is the chain head, but its hash is not the head's hash")
    whole_chain = report.first_seq == 1 and not report.gaps and report.last_seq == head_seq
    if manifest.get("complete") and report.count and not whole_chain:
        raise Bad("manifest", "a complete export must hold every event from seq 1 to the head, without gaps")
    folder = os.path.dirname(os.path.abspath(manifest_path))
    for other in files:
        if other is entry:
            continue
        other_path = os.path.join(folder, os.path.basename(str(other.get("name", ""))))
        if not os.path.isfile(other_path):
            report.notes.append(f"{other.get('name')}: not next to the manifest, not checked")
            continue
        if file_digest(other_path)[0] != other.get("sha256"):
            raise Bad("manifest", f"the SHA-256 of {other.get('name')} is not the one the manifest lists")
        report.notes.append(f"{other.get('name')}: SHA-256 matches")
    report.notes.append(f"chain head at export time: seq {head_seq} hash {head.get('hash')}")


def default_manifest(path: str) -> str | None:
    stem = path[: -len(".jsonl")] if path.endswith(".jsonl") else path
    candidate = stem + ".manifest.json"
    return candidate if os.path.isfile(candidate) else None


def verify(path: str, manifest_path: str | None = None) -> tuple[bool, str]:
    """(ok, message): what main() prints."""
    try:
        manifest = read_manifest(manifest_path) if manifest_path else None
        report = verify_lines(path, complete=bool(manifest and manifest.get("complete")))
        if manifest_path and manifest is not None:
            verify_manifest(path, manifest_path, manifest, report)
    except Bad as bad:
        return False, f"FAIL {bad.where}: {bad.why}"
    span = f"seq {report.first_seq}..{report.last_seq}" if report.count else "no events"
    lines = [
        f"OK {report.count} events ({span}): every event's hash verified; "
        f"{report.runs} consecutive run(s) checked as chains, {report.gaps} gap(s) left by the filter"
    ]
    if manifest_path:
        lines.append("manifest: count, first and last seq, prev_hash, last hash and file digest match")
    else:
        lines.append("no manifest: only the lines were checked")
    lines += report.notes
    return True, "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.split("\n\n", 2)[1].strip(), file=sys.stderr)
        return 2
    path = argv[1]
    manifest_path = argv[2] if len(argv) == 3 else default_manifest(path)
    for given in filter(None, (path, manifest_path)):
        if not os.path.isfile(given):
            print(f"cannot read {given}", file=sys.stderr)
            return 2
    ok, message = verify(path, manifest_path)
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
