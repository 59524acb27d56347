"""API credentials (creditor API keys, user tokens), webhook endpoints and the stage-change outbox.

Credentials are stored as a public `prefix` (for the lookup) and the SHA-256 of the whole secret; the
secret itself is shown once, when it is made, and never stored. Webhook secrets must be read back to
sign, so they are stored encrypted (api/crypto.py), and shown once too.

The outbox: `OutboxCursor` remembers how far the audit trail was read, `CaseStageMark` the last case
history row seen per case, `StageChange` every stage change found, `WebhookDelivery` one change to
one creditor's endpoint and `WebhookAttempt` each try (api/services/outbox.py, webhooks.py).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Credential(models.Model):
    """A bearer secret: `<kind>_<prefix>_<secret>`; only the prefix and the SHA-256 are kept."""

    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    name = models.CharField(_("name"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("revoked by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def usable_at(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def status(self) -> str:
        from django.utils import timezone

        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and timezone.now() >= self.expires_at:
            return "expired"
        return "active"


class ApiKey(Credential):
    """A creditor's system calling the creditor endpoints; sees that creditor's cases only."""

    creditor = models.ForeignKey(
        "cases.Creditor", on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("creditor")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["creditor__code", "-created_at"]
        verbose_name = _("creditor API key")
        verbose_name_plural = _("creditor API keys")

    def __str__(self) -> str:
        return f"{self.name or self.prefix} ({self.prefix}…)"


class UserToken(Credential):
    """A signed-in user's token (a field app, a script); what it may do is what the user may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("user API token")
        verbose_name_plural = _("user API tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"


class WebhookEndpoint(models.Model):
    """Where a creditor wants stage changes posted, and the secret they are signed with."""

    creditor = models.OneToOneField(
        "cases.Creditor", on_delete=models.PROTECT, related_name="webhook", verbose_name=_("creditor")
    )
    url = models.URLField(_("URL"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(_("secret ends with"), max_length=8, editable=False)
    secret_set_at = models.DateTimeField(_("secret set at"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret_encrypted"])

    class Meta:
        ordering = ["creditor__code"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.creditor.code}: {self.url}"


class OutboxCursor(models.Model):
    """How far the outbox has read the audit trail (`audit_seq`); case history rows up to
    `history_floor` existed before the outbox started and are never reported."""

    name = models.CharField(max_length=32, primary_key=True)
    audit_seq = models.BigIntegerField(default=0)
    history_floor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outbox cursor")
        verbose_name_plural = _("outbox cursors")

    def __str__(self) -> str:
        return f"{self.name}: seq {self.audit_seq}"


class CaseStageMark(models.Model):
    """The last case history row the outbox has compared for this case, and the stage it held."""

    case_id = models.BigIntegerField(primary_key=True)  # not a foreign key: a mark outlives nothing
    history_id = models.BigIntegerField()
    stage = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.case_id}: {self.stage} (history {self.history_id})"


class StageChange(models.Model):
    """One stage change of a case, found in its history (`history_id` is the HistoricalCase row)."""

    history_id = models.BigIntegerField(unique=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="stage_changes", verbose_name=_("case")
    )
    creditor = models.ForeignKey(
        "cases.Creditor", on_delete=models.PROTECT, related_name="+", verbose_name=_("creditor")
    )
    external_ref = models.CharField(_("external reference"), max_length=64)
    from_stage = models.CharField(_("from"), max_length=32)
    to_stage = models.CharField(_("to"), max_length=32)
    at = models.DateTimeField(_("at"))
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        ordering = ["history_id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_stage} → {self.to_stage}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    """One stage change to one endpoint; retried with backoff until delivered or given up."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("endpoint")
    )
    change = models.ForeignKey(
        StageChange, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("stage change")
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "change"], name="webhook_delivery_once_per_change")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.change} → {self.endpoint.creditor.code} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP try of a delivery: when, the answer's status code or the error, and the next retry."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    next_attempt_at = models.DateTimeField(_("next retry at"), null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"
