"""Name search served by a trigram index on PostgreSQL (issue 19).

The case list's name search is `debtor__name__icontains`, which Django writes on PostgreSQL as
`UPPER("cases_debtor"."name"::text) LIKE UPPER('%…%')`: no B-tree serves a leading wildcard. A GIN
index with `gin_trgm_ops` on that very expression does. `pg_trgm` ships with PostgreSQL (contrib); creating
it needs a role allowed to (the owner of the database on PostgreSQL ≥ 13, where pg_trgm is trusted).
On SQLite nothing is created and the search still works (a scan of the LIKE).
"""

from django.db import migrations

INDEX = "debtor_name_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_debtor USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other objects may use it by then.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_visibility_scopes_drop_implied_grants")]

    operations = [migrations.RunPython(create, drop)]
