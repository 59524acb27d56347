from django.contrib import admin

from common.admin import ReadOnlyAdminMixin

from .models import (
    Alert,
    Anonymization,
    AuditEvent,
    AuditExport,
    Complaint,
    LegalHold,
    RuleDecision,
    RulePack,
)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the chain is written by compliance.audit only; the database refuses edits too."""

    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "case_id")
    list_filter = ("action", "object_type")
    search_fields = ("=seq", "=object_id", "=case_id", "action", "=hash")
    show_full_result_count = False


@admin.register(RulePack)
class RulePackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: packs change only by a new version or a stricter copy (compliance.packs services),
    so that every decision keeps pointing at the parameters it used."""

    list_display = ("code", "version", "name", "jurisdiction", "based_on", "created_at", "created_by")
    list_filter = ("jurisdiction", "code")
    search_fields = ("code", "name")
    list_select_related = ("based_on", "created_by")


@admin.register(RuleDecision)
class RuleDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: decisions are written by compliance.decisions only (append-only, like the audit)."""

    list_display = ("id", "at", "action", "object_type", "object_id", "case_id", "pack", "outcome", "actor")
    list_filter = ("outcome", "action")
    search_fields = ("=id", "=object_id", "=case_id", "action")
    list_select_related = ("pack", "actor")
    show_full_result_count = False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: complaints and disputes change through their services (a dispute holds its case)."""

    list_display = ("received_at", "kind", "channel", "raised_by", "case_id", "visit_id", "status", "outcome")
    list_filter = ("status", "kind", "channel")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("raised_at", "kind", "key", "acknowledged_at", "acknowledged_by")
    list_filter = ("kind",)


@admin.register(AuditExport)
class AuditExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "requested_at", "requested_by", "status", "count", "first_seq", "last_seq")
    list_filter = ("status",)


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case_id", "set_at", "set_by", "lifted_at", "lifted_by")


@admin.register(Anonymization)
class AnonymizationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case_id", "anonymized_at", "closed_at", "pack_code", "pack_version", "retention_years")
