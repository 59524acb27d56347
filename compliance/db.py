"""SQL for the database-level protection of the audit table (append-only)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "compliance_auditevent"
# Tables the application may only INSERT into and SELECT from (db_grant_app_role).
APPEND_ONLY_TABLES = (TABLE,)

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

PG_CREATE = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]


# TRUNCATE is not seen by row triggers: a statement-level trigger refuses it. The one way past it is the
# `flush` command under settings that allow it (AUDIT_FLUSH_ALLOWED: the test settings only), which sets
# the session's `fieldledger.audit_flush` for the flush. The application's role must not hold TRUNCATE
# anyway (docs/deployment.md); this guards the owner's sessions (migrations, a psql prompt) too.
FLUSH_SETTING = "fieldledger.audit_flush"
PG_TRUNCATE_CREATE = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_no_truncate() RETURNS trigger AS $$
    BEGIN
        IF current_setting('{FLUSH_SETTING}', true) = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit events are append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_no_truncate()",
]
PG_TRUNCATE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_no_truncate()",
]


def create_statements(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE}.get(vendor, [])


def drop_statements(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(vendor, [])


@contextmanager
def audit_triggers_lifted(connection: Any) -> Iterator[None]:
    """Only for a full flush: on SQLite the row triggers are dropped and created again; on PostgreSQL
    the TRUNCATE trigger lets the session's flush through when the settings allow it
    (AUDIT_FLUSH_ALLOWED, the test settings); a no-op elsewhere."""
    if connection.vendor == "postgresql":
        from django.conf import settings

        if not getattr(settings, "AUDIT_FLUSH_ALLOWED", False):
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute(f"SET {FLUSH_SETTING} = 'on'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {FLUSH_SETTING}")
        return
    if connection.vendor != "sqlite" or TABLE not in connection.introspection.table_names():
        yield
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_DROP:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in SQLITE_CREATE:
                cursor.execute(sql)
