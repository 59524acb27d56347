"""Admin for visits: read-only with history. The FSM state and every change go through the services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdminMixin

from .models import (
    ConductAttestation,
    ContactAttempt,
    Evidence,
    Notice,
    Visit,
    VisitAgent,
    VisitCheckIn,
    VisitLog,
    VisitToken,
)


class VisitAgentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VisitAgent
    fields = ("agent",)
    readonly_fields = fields
    extra = 0


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only: visits are planned, approved, returned and cancelled through the planning services."""

    list_display = ("__str__", "case", "state", "window_start", "window_end", "time_zone", "planned_by")
    list_filter = ("state", "purpose")
    search_fields = ("=id", "case__external_ref", "case__contract_no")
    list_select_related = ("case__creditor", "planned_by")
    readonly_fields = [f.name for f in Visit._meta.fields if f.name != "address"]
    exclude = ("address",)  # the address text is personal data: the case page shows it masked
    inlines = [VisitAgentInline]


@admin.register(VisitAgent)
class VisitAgentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("visit", "agent")
    list_select_related = ("visit", "agent")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "visit", "channel", "given_at", "delivery_status", "answer")
    list_filter = ("channel", "delivery_status", "answer")
    list_select_related = ("visit",)
    exclude = ("recipient",)  # a phone number or e-mail address: personal data


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "case", "channel", "at", "result", "recorded_by")
    list_filter = ("channel", "result")
    list_select_related = ("case__creditor", "recorded_by")


@admin.register(VisitToken)
class VisitTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("visit", "expires_at", "created_at")
    list_select_related = ("visit",)
    exclude = ("token_digest",)


# --- on site: read-only; everything is written by the on-site services -----------------------------


@admin.register(VisitCheckIn)
class VisitCheckInAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("visit", "agent", "at", "position_status", "accuracy_m", "distance_m")
    list_filter = ("position_status",)
    list_select_related = ("visit", "agent")
    exclude = ("latitude", "longitude", "idempotency_key")  # an agent's location: shown on the report only


@admin.register(VisitLog)
class VisitLogAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("visit", "version", "status", "outcome", "submitted_at", "late", "reviewed_by")
    list_filter = ("status", "outcome", "late")
    list_select_related = ("visit", "reviewed_by")
    exclude = ("submit_key",)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Files are opened from the visit page only (permission-checked and recorded), never from here."""

    list_display = ("visit", "kind", "original_name", "size", "sha256", "duplicate_of", "uploaded_at")
    list_filter = ("kind",)
    list_select_related = ("visit",)
    exclude = ("file", "idempotency_key")


@admin.register(ConductAttestation)
class ConductAttestationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("visit", "agent", "at")
    list_select_related = ("visit", "agent")
    exclude = ("idempotency_key",)
