"""`flush` that knows about the append-only audit table.

Django's flush empties tables with DELETE on SQLite, which the audit table's trigger refuses. Flushing
is a wholesale wipe of the database (tests, a fresh demo), never an edit of history: on SQLite this
command lifts the audit triggers for the flush and puts them back; on PostgreSQL flush uses TRUNCATE,
which row triggers do not see (in production the application's role should not hold TRUNCATE).
"""

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from compliance.db import audit_triggers_lifted


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        with audit_triggers_lifted(connection):
            super().handle(**options)
