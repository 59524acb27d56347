"""The hash-chained, append-only audit trail. Written only by `compliance.audit.record`/`record_many`."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One event of the chain; see docs/audit-format.md.

    `hash = sha256_hex(prev_hash + canonical_json(event without hash))` over the fields
    seq, at, actor, action, object_type, object_id, data, prev_hash. `case_id` and `actor_user_id`
    are indexes derived from `data`/`actor` (verify_audit checks they agree), not extra facts.
    The database refuses UPDATE and DELETE on this table (migration 0002).
    """

    seq = models.BigIntegerField(primary_key=True, verbose_name=_("sequence"))
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.CharField(_("actor"), max_length=64)
    actor_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64, unique=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        permissions = [("export_auditevent", "Can export the audit trail")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
