from django.contrib import admin

from common.admin import ReadOnlyAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the chain is written by compliance.audit only; the database refuses edits too."""

    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "case_id")
    list_filter = ("action", "object_type")
    search_fields = ("=seq", "=object_id", "=case_id", "action", "=hash")
    show_full_result_count = False
