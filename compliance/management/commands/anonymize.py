"""`manage.py anonymize [--dry-run]`: the retention job by hand (Celery beat runs it nightly).

With --dry-run it lists what would be anonymized now and changes nothing; without, it anonymizes every
due case that no legal hold stops and prints their ids (compliance/retention.py).
"""

from typing import Any

from django.core.management.base import BaseCommand

from compliance import retention


class Command(BaseCommand):
    help = (
        "Anonymize the personal data of cases whose retention period is over (or, with --dry-run, list them)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            reports = retention.dry_run()
            for report in reports:
                due = report.due
                head = (
                    f"case {due.case_id} {report.label}: closed {due.closed_at:%Y-%m-%d}, "
                    f"{due.pack.code} v{due.pack.version} keeps {due.pack.retention_years} years, "
                    f"due since {due.expires_at:%Y-%m-%d}"
                )
                if due.hold is not None:
                    self.stdout.write(
                        f"{head}: LEGAL HOLD (set {due.hold.set_at:%Y-%m-%d}), nothing anonymized"
                    )
                    continue
                items = ", ".join(f"{item.what}={item.count}" for item in report.items) or "nothing left"
                self.stdout.write(f"{head}: would anonymize {items}")
            held = sum(1 for r in reports if r.due.hold is not None)
            self.stdout.write(f"dry run: {len(reports) - held} case(s) due, {held} held; nothing changed")
            return
        done = retention.anonymize_due()
        self.stdout.write(f"anonymized {len(done)} case(s): {' '.join(str(i) for i in done) or '-'}")
