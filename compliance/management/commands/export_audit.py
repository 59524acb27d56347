"""`manage.py export_audit --format jsonl --out FILE`: stream the chain, one event per line."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance import audit


class Command(BaseCommand):
    help = "Export the audit trail as JSON Lines (docs/audit-format.md), streaming with constant memory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", default="jsonl", choices=["jsonl"], help="output format (jsonl)")
        parser.add_argument("--out", required=True, help="output file, or - for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        out_path = options["out"]
        try:
            stream = sys.stdout if out_path == "-" else open(out_path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"--out: cannot write {out_path}: {error.strerror}") from error
        count = 0
        try:
            for line in audit.iter_export_lines():
                stream.write(line + "\n")
                count += 1
        finally:
            if stream is not sys.stdout:
                stream.close()
        # An export is itself an audited action (references only: format and count, not the path).
        audit.record(
            actor=None,
            action="audit.exported",
            object_type="compliance.auditevent",
            object_id="chain",
            data={"format": options["format"], "count": count},
        )
        self.stderr.write(f"exported {count} events to {out_path}")
