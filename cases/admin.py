"""Admin for case data: history visible; the FSM stage read-only (stage changes only through services)."""

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdminMixin
from compliance.admin_mixins import AuditedAdminMixin

from .models import (
    Case,
    CaseAssessment,
    CaseAssignment,
    CaseDocument,
    Creditor,
    Debtor,
    DebtorAddress,
    DebtorPhone,
    Mandate,
    PlacementImport,
)


@admin.register(Creditor)
class CreditorAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    list_display = ("code", "name", "default_supervisor", "settlement_approval_share")
    search_fields = ("code", "name")
    audit_fields = ("code", "settlement_approval_share")
    # The rule pack is bound through compliance.packs.creditor_bind_pack (floors and four eyes), never here.
    readonly_fields = ("rule_pack_code",)


@admin.register(Mandate)
class MandateAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "creditor", "valid_from", "valid_until", "revoked_on")
    list_filter = ("creditor",)
    search_fields = ("number",)
    readonly_fields = ("document_sha256",)
    audit_fields = ("number", "valid_from", "valid_until", "revoked_on", "document_sha256")

    def save_model(self, request: Any, obj: Mandate, form: Any, change: bool) -> None:
        if "document" in form.changed_data and obj.document:
            import hashlib

            sha = hashlib.sha256()
            for chunk in obj.document.chunks():
                sha.update(chunk)
            obj.document_sha256 = sha.hexdigest()
        super().save_model(request, obj, form, change)


class DebtorPhoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DebtorPhone
    fields = ("masked", "source", "status")
    readonly_fields = fields
    extra = 0


class DebtorAddressInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DebtorAddress
    fields = ("kind", "masked", "status", "source", "verified_at")
    readonly_fields = fields
    extra = 0


@admin.register(Debtor)
class DebtorAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only and masked: debtor facts change through the case page's services."""

    list_display = ("name", "id_type", "id_number_masked", "identity_checked_at")
    search_fields = ("name",)
    fields = (
        "name",
        "id_type",
        "id_number_masked",
        "identity_checked_at",
        "identity_checked_by",
        "time_zone",
        "occupation",
        "visits_refused",
        "contact_ceased",
        "represented",
        "vulnerable",
    )
    readonly_fields = fields
    inlines = [DebtorPhoneInline, DebtorAddressInline]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only: stage and assignments change only through the services (case page, commands)."""

    list_display = ("__str__", "debtor", "stage", "outstanding", "currency", "team", "supervisor")
    list_filter = ("stage", "creditor", "team")
    search_fields = ("external_ref", "contract_no", "debtor__name")
    list_select_related = ("creditor", "debtor", "team", "supervisor")
    readonly_fields = [f.name for f in Case._meta.fields]


@admin.register(CaseAssignment)
class CaseAssignmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "agent", "assigned_at", "assigned_by")
    list_select_related = ("case__creditor", "agent", "assigned_by")


@admin.register(CaseDocument)
class CaseDocumentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "kind", "original_name", "size", "sha256", "uploaded_by", "created_at")
    list_select_related = ("case__creditor", "uploaded_by")
    exclude = ("file",)


@admin.register(CaseAssessment)
class CaseAssessmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "capacity", "willingness", "assessed_by", "created_at")
    list_select_related = ("case__creditor", "assessed_by")


@admin.register(PlacementImport)
class PlacementImportAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("creditor", "original_name", "status", "sha256", "uploaded_by", "created_at")
    exclude = ("file",)


admin.site.site_header = "FieldLedger"
