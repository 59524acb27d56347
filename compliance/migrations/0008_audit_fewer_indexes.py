"""Fewer indexes for every audit append to maintain (bench/README.md, "transition" and "appends").

Dropped: the single-column indexes on actor_user_id and case_id (audit_actor_seq_idx and
audit_case_seq_idx lead with those columns and serve the same lookups) and, on PostgreSQL, the
varchar_pattern_ops ("_like") indexes Django adds beside a unique CharField: nothing looks a hash up
with LIKE. The uniqueness of hash and prev_hash stays, as named constraints (the PostgreSQL ones are
renamed in place: no index is rebuilt on a trail of millions of events).

Database-side by hand (SeparateDatabaseAndState): Django's own AlterField would rebuild the table on
SQLite, and a rebuild drops the append-only triggers of migration 0002.
"""

from django.db import migrations, models

TABLE = "compliance_auditevent"
SINGLE = {  # Django's names for the db_index=True indexes (deterministic, the same on both databases)
    "compliance_auditevent_actor_user_id_307eed34": "actor_user_id",
    "compliance_auditevent_case_id_61577ff2": "case_id",
}
LIKE = {
    "compliance_auditevent_prev_hash_0f3047ed_like": "prev_hash",
    "compliance_auditevent_hash_6c3d4b66_like": "hash",
}
UNIQUE = {
    "compliance_auditevent_prev_hash_key": "audit_prev_hash_uniq",
    "compliance_auditevent_hash_key": "audit_hash_uniq",
}


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [f'DROP INDEX IF EXISTS "{name}"' for name in SINGLE]
    if vendor == "postgresql":
        statements += [f'DROP INDEX IF EXISTS "{name}"' for name in LIKE]
        statements += [
            f'ALTER TABLE "{TABLE}" RENAME CONSTRAINT "{old}" TO "{new}"' for old, new in UNIQUE.items()
        ]
    # SQLite keeps its inline UNIQUE (an autoindex it cannot drop without a rebuild): the same rule.
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{TABLE}" ("{col}")' for name, col in SINGLE.items()
    ]
    if vendor == "postgresql":
        statements += [
            f'ALTER TABLE "{TABLE}" RENAME CONSTRAINT "{new}" TO "{old}"' for old, new in UNIQUE.items()
        ]
        statements += [
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{TABLE}" ("{col}" varchar_pattern_ops)'
            for name, col in LIKE.items()
        ]
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_agreement_parameters")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor_user_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="case_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="hash",
                    field=models.CharField(max_length=64, verbose_name="hash"),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="prev_hash",
                    field=models.CharField(max_length=64, verbose_name="previous hash"),
                ),
                migrations.AddConstraint(
                    model_name="auditevent",
                    constraint=models.UniqueConstraint(fields=("prev_hash",), name="audit_prev_hash_uniq"),
                ),
                migrations.AddConstraint(
                    model_name="auditevent",
                    constraint=models.UniqueConstraint(fields=("hash",), name="audit_hash_uniq"),
                ),
            ],
        )
    ]
