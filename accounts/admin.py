from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import AuditedAdminMixin

from . import services
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
    )
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
