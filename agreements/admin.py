"""Admin for agreements: read-only with history. Every change goes through the agreements services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdminMixin

from .models import Agreement, Closure, Escalation, FollowUp, Instalment, Payment, PromiseCheck, Signature


class InstalmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Instalment
    fields = ("number", "due_date", "amount", "paid", "status", "overdue_since", "reminded_at")
    readonly_fields = fields
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "case", "kind", "total", "currency", "state", "signed_at")
    list_filter = ("state", "kind")
    search_fields = ("=number", "case__external_ref")
    list_select_related = ("case__creditor",)
    exclude = ("sign_key", "pdf")
    inlines = [InstalmentInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("reference", "case", "amount", "currency", "paid_on", "method", "source", "recorded_by")
    list_filter = ("source", "method")
    search_fields = ("=reference", "case__external_ref")
    list_select_related = ("case__creditor", "recorded_by")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("agreement", "role", "via", "signed_at", "sha256")
    list_select_related = ("agreement",)
    exclude = ("image", "name")  # a drawn signature and a name: personal data, shown in the signed PDF


@admin.register(PromiseCheck)
class PromiseCheckAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "amount", "currency", "due_on", "status", "paid")
    list_filter = ("status",)


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "next_action", "due_on", "owner", "status", "trigger")
    list_filter = ("status", "next_action", "trigger")
    list_select_related = ("case__creditor", "owner")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "kind", "law_firm", "created_at", "document_sha256")
    list_filter = ("kind",)
    exclude = ("document",)


@admin.register(Closure)
class ClosureAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("case", "reason", "closed_at", "closed_by", "reopened_at")
    list_filter = ("reason",)
    exclude = ("report",)
