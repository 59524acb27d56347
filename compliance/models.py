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


class RulePack(models.Model):
    """A named, versioned set of rule parameters (COMPLIANCE.md). Rows are never edited: a change is a
    new version of the same code, so every past decision keeps pointing at what it used."""

    class Jurisdiction(models.TextChoices):
        CN = "CN", _("China")
        US = "US", _("United States")
        UK = "UK", _("United Kingdom")

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=120)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_window_start = models.TimeField(_("contact window starts (debtor-local)"))
    contact_window_end = models.TimeField(_("contact window ends (debtor-local)"))
    min_agents = models.PositiveSmallIntegerField(_("minimum agents on a visit"))
    notice_required = models.BooleanField(_("prior notice required"))
    notice_lead_hours = models.PositiveIntegerField(_("notice lead time (hours)"))
    visit_cap = models.PositiveSmallIntegerField(_("visits allowed in the rolling window"))
    visit_cap_window_days = models.PositiveSmallIntegerField(_("rolling window (days)"))
    phone_unanswered_per_day = models.PositiveSmallIntegerField(_("unanswered calls per number per day"))
    phone_connected_per_day = models.PositiveSmallIntegerField(_("connected conversations per day"))
    phone_calls_per_7_days = models.PositiveSmallIntegerField(_("calls per 7 days"))
    retention_years = models.PositiveSmallIntegerField(_("retention after last activity (years)"))
    limitation_years = models.PositiveSmallIntegerField(_("limitation period (years)"))
    overridable = models.JSONField(
        _("checks a supervisor may override"),
        default=list,
        blank=True,
        help_text=_("Rule codes that a supervisor may override with a written reason."),
    )
    sources = models.JSONField(_("sources"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("rule pack")
        verbose_name_plural = _("rule packs")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rulepack_code_version_unique")
        ]
        permissions = [("manage_rulepack", "Can create stricter copies and new versions of rule packs")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"


class RuleDecision(models.Model):
    """One evaluation of the rules for an action: inputs (no personal data), the pack and version, every
    failure, and the outcome. Append-only, like the audit trail; its audit event carries the same trace."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        REFUSED = "refused", _("Refused")
        OVERRIDDEN = "overridden", _("Overridden")
        WARNED = "warned", _("Allowed with warnings")

    at = models.DateTimeField(_("at"), db_index=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    pack = models.ForeignKey(
        RulePack, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("rule pack")
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    failures = models.JSONField(_("failures"), default=list)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    override_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overrides",
        verbose_name=_("overrides decision"),
    )
    override_reason = models.TextField(_("override reason"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("rule decision")
        verbose_name_plural = _("rule decisions")
        indexes = [models.Index(fields=["object_type", "object_id"], name="decision_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id} {self.outcome}"


class Complaint(models.Model):
    """A complaint for the compliance officer, e.g. from the debtor's public visit-verification page.

    The stage objects are referenced by id (compliance is a floor and imports no stage app); the text
    is what the person wrote, kept out of the audit trail (which holds its digest only).
    """

    class Channel(models.TextChoices):
        PUBLIC_PAGE = "public_page", _("Public visit-verification page")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    visit_id = models.BigIntegerField(_("visit"), null=True, blank=True, db_index=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    text = models.TextField(_("what the person wrote"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"
