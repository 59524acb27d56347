"""`manage.py verify_audit`: walk the chain; exit 0 with count and head, or non-zero naming the first bad seq."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance import audit


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail from the first event to the head."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify_chain()
        if not result.ok:
            raise CommandError(f"audit chain broken at seq {result.bad_seq}: {result.reason}")
        self.stdout.write(f"OK {result.count} events, head {result.head_hash}")
