"""One row per SMS handed to a real gateway (visits/sms.py): its provider id, and what the gateway's
delivery receipt said. The row is the idempotency record (one per `idempotency_key`): a message whose
provider id is known is never sent again, and one whose send timed out is looked up at the gateway
before any retry."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GatewayStatus(models.TextChoices):
    SENDING = "sending", _("Being handed to the gateway")
    UNCERTAIN = "uncertain", _("Timed out: looked up before any retry")
    ACCEPTED = "accepted", _("Accepted by the gateway, no receipt yet")
    DELIVERED = "delivered", _("Delivered (receipt)")
    FAILED = "failed", _("Not delivered (receipt)")


class GatewayMessage(models.Model):
    provider = models.CharField(_("gateway"), max_length=16)
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider_id = models.CharField(_("gateway message id"), max_length=100, blank=True, db_index=True)
    # The number is needed to ask Aliyun for the receipt (QuerySendDetails takes the phone number); it is
    # as sensitive as the debtor's phone rows and never reaches logs or the audit trail.
    recipient = models.CharField(_("sent to"), max_length=32)
    status = models.CharField(_("status"), max_length=10, choices=GatewayStatus.choices)
    gateway_status = models.CharField(_("gateway's own status"), max_length=32, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(_("first attempt"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("gateway message")
        verbose_name_plural = _("gateway messages")
        indexes = [models.Index(fields=["provider", "status"], name="gatewaymsg_provider_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_id or self.idempotency_key} ({self.status})"
