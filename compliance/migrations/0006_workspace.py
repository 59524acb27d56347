"""The compliance workspace: complaints become complaints and disputes with response targets per rule
pack; alerts, audit exports, legal holds and anonymization records; indexes for the audit search.

Only index operations touch `compliance_auditevent` (CREATE INDEX): on SQLite, an operation that
rebuilds the table would drop its append-only triggers (migration 0002).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# Response targets of the shipped jurisdictions (days), and where they come from.
TARGETS = {
    "CN": (2, 15, "policy; 银行业保险业消费投诉处理管理办法 (2020) art. 18: a decision within 15 days"),
    "US": (5, 15, "policy; CFPB complaint process: a response within 15 days"),
    "UK": (5, 56, "FCA DISP 1.6.1R prompt acknowledgement; DISP 1.6.2R final response within 8 weeks"),
}

# Rule codes inside `data` (data.codes) on PostgreSQL: a GIN index on that key only, matched by the
# search's `data -> 'codes' @> '["CODE"]'`. On a large existing table, create it beforehand with
# CREATE INDEX CONCURRENTLY under the same name; IF NOT EXISTS then skips it here.
PG_GIN = (
    "CREATE INDEX IF NOT EXISTS audit_data_codes_gin ON compliance_auditevent "
    "USING gin ((data -> 'codes') jsonb_path_ops)"
)
PG_GIN_DROP = "DROP INDEX IF EXISTS audit_data_codes_gin"


def copy_received_at(apps, schema_editor):
    Complaint = apps.get_model("compliance", "Complaint")
    Complaint.objects.filter(received_at__isnull=True).update(received_at=models.F("created_at"))


def set_pack_targets(apps, schema_editor):
    """Packs created before these parameters existed get their jurisdiction's targets."""
    RulePack = apps.get_model("compliance", "RulePack")
    for pack in RulePack.objects.all():
        ack, resolve, source = TARGETS.get(pack.jurisdiction, TARGETS["CN"])
        sources = dict(pack.sources or {})
        sources.setdefault("complaints", source)
        RulePack.objects.filter(pk=pack.pk).update(
            complaint_ack_days=ack, complaint_resolve_days=resolve, sources=sources
        )


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GIN)


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GIN_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0005_complaint'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Alert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('chain_broken', 'Audit chain broken'), ('complaint_ack_overdue', 'Complaint not acknowledged in time'), ('complaint_resolve_overdue', 'Complaint not resolved in time')], max_length=32, verbose_name='kind')),
                ('key', models.CharField(max_length=64, verbose_name='key')),
                ('raised_at', models.DateTimeField(db_index=True, verbose_name='raised at')),
                ('object_type', models.CharField(blank=True, max_length=64, verbose_name='object type')),
                ('object_id', models.CharField(blank=True, max_length=64, verbose_name='object id')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at')),
                ('note', models.TextField(blank=True, max_length=2000, verbose_name='note')),
            ],
            options={
                'verbose_name': 'alert',
                'verbose_name_plural': 'alerts',
                'ordering': ['-raised_at', '-pk'],
                'permissions': [('acknowledge_alert', 'Can acknowledge compliance alerts')],
            },
        ),
        migrations.CreateModel(
            name='Anonymization',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('case_id', models.BigIntegerField(unique=True, verbose_name='case')),
                ('anonymized_at', models.DateTimeField(verbose_name='anonymized at')),
                ('closed_at', models.DateTimeField(verbose_name='closed at')),
                ('pack_code', models.CharField(max_length=40, verbose_name='rule pack')),
                ('pack_version', models.PositiveIntegerField(verbose_name='rule pack version')),
                ('retention_years', models.PositiveSmallIntegerField(verbose_name='retention (years)')),
                ('items', models.JSONField(default=list, verbose_name='what was anonymized')),
            ],
            options={
                'verbose_name': 'anonymization',
                'verbose_name_plural': 'anonymizations',
                'ordering': ['-anonymized_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='AuditExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(db_index=True, verbose_name='requested at')),
                ('filter', models.JSONField(default=dict, verbose_name='filter')),
                ('formats', models.JSONField(default=list, verbose_name='formats')),
                ('language', models.CharField(default='en', max_length=8, verbose_name='language of the PDF')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=8, verbose_name='status')),
                ('total', models.PositiveBigIntegerField(default=0, verbose_name='events to export')),
                ('processed', models.PositiveBigIntegerField(default=0, verbose_name='events written')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('head_seq', models.BigIntegerField(blank=True, null=True, verbose_name='chain head seq')),
                ('head_hash', models.CharField(blank=True, max_length=64, verbose_name='chain head hash')),
                ('count', models.PositiveBigIntegerField(default=0, verbose_name='events exported')),
                ('first_seq', models.BigIntegerField(blank=True, null=True, verbose_name='first seq')),
                ('last_seq', models.BigIntegerField(blank=True, null=True, verbose_name='last seq')),
                ('files', models.JSONField(blank=True, default=list, verbose_name='files')),
                ('manifest_path', models.CharField(blank=True, max_length=255, verbose_name='manifest')),
                ('manifest_sha256', models.CharField(blank=True, max_length=64, verbose_name='manifest SHA-256')),
                ('error', models.CharField(blank=True, max_length=255, verbose_name='error')),
            ],
            options={
                'verbose_name': 'audit export',
                'verbose_name_plural': 'audit exports',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='LegalHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('case_id', models.BigIntegerField(db_index=True, verbose_name='case')),
                ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                ('set_at', models.DateTimeField(verbose_name='set at')),
                ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                ('lift_reason', models.TextField(blank=True, max_length=2000, verbose_name='reason for lifting')),
            ],
            options={
                'verbose_name': 'legal hold',
                'verbose_name_plural': 'legal holds',
                'ordering': ['-set_at', '-pk'],
                'permissions': [('manage_legalhold', 'Can set and lift legal holds')],
            },
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['seq'], 'permissions': [('export_auditevent', 'Can export the audit trail'), ('export_dossier', 'Can export a case dossier')], 'verbose_name': 'audit event', 'verbose_name_plural': 'audit events'},
        ),
        migrations.AlterModelOptions(
            name='complaint',
            options={'ordering': ['-created_at', '-pk'], 'permissions': [('resolve_complaint', 'Can acknowledge and resolve complaints and disputes')], 'verbose_name': 'complaint or dispute', 'verbose_name_plural': 'complaints and disputes'},
        ),
        migrations.AddField(
            model_name='complaint',
            name='acknowledge_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='acknowledge by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='acknowledged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='acknowledged_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='acknowledged by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='agent_id',
            field=models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='agent concerned'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='kind',
            field=models.CharField(choices=[('complaint', 'Complaint'), ('dispute', 'Dispute')], default='complaint', max_length=16, verbose_name='kind'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='outcome',
            field=models.CharField(blank=True, choices=[('upheld', 'Upheld'), ('partly_upheld', 'Partly upheld'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], max_length=16, verbose_name='outcome'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='pack',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='compliance.rulepack', verbose_name='rule pack of the response targets'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='raised_by',
            field=models.CharField(choices=[('debtor', 'The debtor'), ('representative', "The debtor's representative"), ('third_party', 'A third party'), ('creditor', 'The creditor'), ('regulator', 'A regulator'), ('staff', 'A member of staff')], default='debtor', max_length=16, verbose_name='raised by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='received_at',
            field=models.DateTimeField(null=True, verbose_name='received at'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolution',
            field=models.TextField(blank=True, max_length=4000, verbose_name='reason for the outcome'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolve_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolve by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolved_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolved at'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='complaint_ack_days',
            field=models.PositiveSmallIntegerField(default=2, verbose_name='acknowledge a complaint or dispute within (days)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='complaint_resolve_days',
            field=models.PositiveSmallIntegerField(default=15, verbose_name='resolve a complaint or dispute within (days)'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='channel',
            field=models.CharField(choices=[('public_page', 'Public visit-verification page'), ('phone', 'Phone'), ('letter', 'Letter'), ('email', 'Email'), ('in_person', 'In person'), ('visit', 'During a visit'), ('creditor', 'Through the creditor'), ('regulator', 'Through a regulator'), ('other', 'Other')], max_length=16, verbose_name='channel'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='created_at',
            field=models.DateTimeField(db_index=True, verbose_name='recorded at'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('closed', 'Resolved')], default='open', max_length=8, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='text',
            field=models.TextField(blank=True, max_length=4000, verbose_name='what the person said'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['case_id', 'seq'], name='audit_case_seq_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor_user_id', 'seq'], name='audit_actor_seq_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action', 'seq'], name='audit_action_seq_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['status', 'resolve_due_at'], name='complaint_open_due_idx'),
        ),
        migrations.AddField(
            model_name='alert',
            name='acknowledged_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='acknowledged by'),
        ),
        migrations.AddField(
            model_name='auditexport',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by'),
        ),
        migrations.AddField(
            model_name='legalhold',
            name='lifted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by'),
        ),
        migrations.AddField(
            model_name='legalhold',
            name='set_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='set by'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.UniqueConstraint(fields=('kind', 'key'), name='alert_kind_key_unique'),
        ),
        migrations.AddConstraint(
            model_name='legalhold',
            constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('case_id',), name='legalhold_one_active'),
        ),
        migrations.RunPython(copy_received_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='complaint',
            name='received_at',
            field=models.DateTimeField(verbose_name='received at'),
        ),
        migrations.RunPython(set_pack_targets, migrations.RunPython.noop),
        migrations.RunPython(create_gin, drop_gin),
    ]
