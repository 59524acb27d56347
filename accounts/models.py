"""Users (the custom user model from the first migration), teams and the role names."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    """Roles are auth groups of these names, created with their permissions by migration 0002."""

    SUPERVISOR = "supervisor", _("Supervisor")
    FIELD_AGENT = "field_agent", _("Field agent")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Team(models.Model):
    """A supervisor's team. Members of its `supervisors_group` see and work the team's cases (cases.visibility)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    supervisors_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="team", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    work_id_number = models.CharField(_("work ID number"), max_length=64, blank=True)
    work_id_expires_on = models.DateField(_("work ID expires on"), null=True, blank=True)
    training_completed_on = models.DateField(
        _("last training on the collection procedure and the law"), null=True, blank=True
    )
    training_valid_until = models.DateField(_("training valid until"), null=True, blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to="people/photos/",
        blank=True,
        help_text=_("Shown to the debtor on the visit-verification page; never served by a public URL."),
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        editable=False,
        help_text=_("The account commands and background tasks act as; it cannot sign in."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def work_id_valid_on(self, day: dt.date) -> bool:
        return (
            bool(self.work_id_number)
            and self.work_id_expires_on is not None
            and day <= self.work_id_expires_on
        )

    def training_valid_on(self, day: dt.date) -> bool:
        return (
            self.training_completed_on is not None
            and self.training_valid_until is not None
            and self.training_completed_on <= day <= self.training_valid_until
        )
