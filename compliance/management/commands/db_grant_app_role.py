"""`manage.py db_grant_app_role --role fieldledger_app`: run as the owner role, after `migrate`.

Gives the application's role what it needs and no more (docs/deployment.md): SELECT, INSERT, UPDATE and
DELETE on the tables, except the audit table where it gets only SELECT and INSERT; no TRUNCATE anywhere;
the sequences; and the same by default on tables the owner creates later. Not being the owner, the
application's role can neither TRUNCATE the audit table, nor disable its triggers, nor set
`session_replication_role`. Safe to run again after every migration."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from psycopg import sql

from compliance.db import APPEND_ONLY_TABLES


class Command(BaseCommand):
    help = "Grant the application's database role its rights (only SELECT/INSERT on the audit table)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="The application's role (not the owner)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Only for PostgreSQL.")
        role = sql.Identifier(options["role"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
            if owner == options["role"]:
                raise CommandError("Run this as the owner role, not as the application's role.")
            statements = [
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
                    role
                ),
                sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(
                    role
                ),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
                ).format(role),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}"
                ).format(role),
            ]
            for table in APPEND_ONLY_TABLES:
                statements.append(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}, PUBLIC").format(
                        sql.Identifier(table), role
                    )
                )
            for statement in statements:
                cursor.execute(statement.as_string(cursor.connection))
        self.stdout.write(
            f"{options['role']}: SELECT/INSERT/UPDATE/DELETE on the tables, SELECT/INSERT only on "
            f"{', '.join(APPEND_ONLY_TABLES)}, no TRUNCATE; granted by {owner}."
        )
