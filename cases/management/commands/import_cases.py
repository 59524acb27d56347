"""`manage.py import_cases --creditor CODE [--dry-run] [--supervisor USERNAME] [--actor USERNAME] FILE`.

Thin: read the file, parse it (cases.importing), call `placement_import`, print the report. Exit status 0
when every row was imported (or, with --dry-run, would be); otherwise a CommandError after printing every
error as `line N, column X: reason`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import system_user
from cases import importing
from cases.models import Creditor
from cases.services import placement_import
from common.errors import DomainError


class Command(BaseCommand):
    help = "Import a creditor's placement file (CSV in UTF-8 or GB18030, or XLSX): all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Placement file (.csv or .xlsx)")
        parser.add_argument("--creditor", required=True, help="Creditor code")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing")
        parser.add_argument(
            "--supervisor", help="Username of the supervisor who takes the cases (default: the creditor's)"
        )
        parser.add_argument("--actor", help="Username recorded as the importer (default: the system account)")

    def handle(self, *args: Any, **options: Any) -> None:
        creditor = Creditor.objects.filter(code=options["creditor"]).first()
        if creditor is None:
            raise CommandError(f"Unknown creditor code: {options['creditor']}")
        supervisor = self._user(options["supervisor"], "supervisor") if options["supervisor"] else None
        actor = self._user(options["actor"], "actor") if options["actor"] else system_user()
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        sha256 = hashlib.sha256(data).hexdigest()
        parsed = importing.parse_placement(data, path.name)
        try:
            report = placement_import(
                creditor=creditor,
                rows=parsed.rows,
                actor=actor,
                supervisor=supervisor,
                dry_run=options["dry_run"],
                source_name=path.name,
                sha256=sha256,
                errors=parsed.errors,
            )
        except DomainError as error:
            hint = " (use --supervisor USERNAME)" if "SUPERVISOR_MISSING" in error.codes else ""
            raise CommandError("; ".join(str(f.message) for f in error.failures) + hint) from error
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors:
            raise CommandError(
                f"{path.name}: {len(report.errors)} error(s) in {parsed.data_rows} data row(s); "
                "nothing was imported."
            )
        prefix = "Dry run, nothing written: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{path.name} ({parsed.file_format}, sha256 {sha256[:12]}…) for {creditor.code}, "
            f"supervisor {report.supervisor} ({report.team}):"
        )
        self.stdout.write(report.summary())
        if options["verbosity"] >= 2:
            for label, refs in (
                ("created", report.created),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
            ):
                for ref in refs:
                    self.stdout.write(f"  {label}: {ref}")

    def _user(self, username: str, what: str) -> User:
        user = User.objects.select_related("team").filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown {what}: {username}")
        return user
