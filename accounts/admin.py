from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError
from compliance.admin_mixins import AuditedAdminMixin

from . import policies, services, two_factor
from .models import Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = (
        "username",
        "full_name",
        "employee_no",
        "team",
        "is_active",
        "work_id_expires_on",
        "training_valid_until",
        "two_factor_enrolled",
    )
    actions = ["reset_two_factor"]
    list_filter = ("is_active", "groups", "team")
    search_fields = ("username", "full_name", "employee_no")
    readonly_fields = ("is_service_account", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "employee_no", "phone", "team")}),
        (
            _("Work ID and training"),
            {
                "fields": (
                    "photo",
                    "work_id_number",
                    "work_id_expires_on",
                    "training_completed_on",
                    "training_valid_until",
                )
            },
        ),
        (_("Roles and access"), {"fields": ("is_active", "is_staff", "groups", "is_service_account")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "team", "groups", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: Any) -> QuerySet[User]:
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_totp=Exists(enrolled))

    @admin.display(boolean=True, description=_("two-factor"), ordering="has_totp")
    def two_factor_enrolled(self, obj: User) -> bool:
        return bool(getattr(obj, "has_totp", False))

    @admin.action(description=_("Reset two-factor sign-in (lost phone): the user sets it up again"))
    def reset_two_factor(self, request: Any, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                removed = two_factor.two_factor_reset(user=user, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{user.username}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(user)s: %(n)d two-factor devices removed.") % {"user": user.username, "n": removed},
                    messages.SUCCESS,
                )

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        obj._history_user = request.user
        obj._fieldledger_created = not change
        super().save_model(request, obj, form, change)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.user_after_admin_save(user=form.instance, actor=request.user, created=not change)


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if not change:
            team = services.team_create(code=obj.code, name=obj.name, actor=request.user)
            obj.pk = team.pk
            obj.supervisors_group = team.supervisors_group
            return
        super().save_model(request, obj, form, change)


@admin.register(AccessAttempt)
class SignInLockoutAdmin(admin.ModelAdmin):
    """django-axes' failed sign-ins per username + address, read-only; "Unlock" lifts a lockout through
    the audited service (axes' own admin is off: AXES_ENABLE_ADMIN = False)."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "locked")
    search_fields = ("username", "ip_address")
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time")
    readonly_fields = fields
    actions = ["unlock"]
    ordering = ("-attempt_time",)

    @admin.display(boolean=True, description=_("locked"))
    def locked(self, obj: AccessAttempt) -> bool:
        return (
            obj.failures_since_start >= settings.AXES_FAILURE_LIMIT
            and obj.attempt_time + settings.AXES_COOLOFF_TIME > timezone.now()
        )

    @admin.action(
        description=_("Unlock: lift the lockout of these usernames and addresses"), permissions=["unlock"]
    )
    def unlock(self, request: Any, queryset: QuerySet[AccessAttempt]) -> None:
        pairs = sorted({(a.username or "", a.ip_address or "") for a in queryset})
        for username, ip in pairs:
            try:
                services.login_lockout_reset(actor=request.user, username=username, ip=ip)
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        self.message_user(request, _("%(n)d lockouts lifted.") % {"n": len(pairs)}, messages.SUCCESS)

    def has_unlock_permission(self, request: Any) -> bool:
        return policies.can_unlock_logins(request.user)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
