from django.contrib import admin

from common.admin import ReadOnlyAdminMixin

from .models import AuditEvent, Complaint, RuleDecision, RulePack


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
    list_display = ("created_at", "channel", "case_id", "visit_id", "status")
    list_filter = ("status", "channel")
