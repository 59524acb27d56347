"""The database refuses TRUNCATE on the audit table (a statement-level trigger, PostgreSQL only: SQLite
has no TRUNCATE). Row triggers (migration 0002) never see TRUNCATE. See compliance/db.py."""

from django.db import migrations

from compliance.db import PG_TRUNCATE_CREATE, PG_TRUNCATE_DROP


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_TRUNCATE_CREATE:
            schema_editor.execute(sql, params=None)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_TRUNCATE_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0008_audit_fewer_indexes")]

    operations = [migrations.RunPython(create, drop)]
