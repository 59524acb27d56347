"""The hash-chained, append-only audit trail. Written only by `compliance.audit.record`/`record_many`."""

from decimal import Decimal

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
    # No single-column indexes on actor_user_id and case_id: audit_actor_seq_idx and audit_case_seq_idx
    # lead with them, and every append maintains each index (bench/README.md).
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    case_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    # Unique through Meta.constraints rather than unique=True: on PostgreSQL, unique=True on a CharField
    # adds a second (varchar_pattern_ops) index for LIKE, which no hash lookup uses; both hashes are
    # random, so each of their indexes costs every append a random B-tree insertion.
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # Keyset pagination (newest first, `seq < before`) under each filter stays an index range
            # scan at millions of events. Rule codes inside `data` have a PostgreSQL GIN index of their
            # own (migration 0006, raw SQL: SQLite has no GIN).
            models.Index(fields=["case_id", "seq"], name="audit_case_seq_idx"),
            models.Index(fields=["actor_user_id", "seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["action", "seq"], name="audit_action_seq_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["prev_hash"], name="audit_prev_hash_uniq"),
            models.UniqueConstraint(fields=["hash"], name="audit_hash_uniq"),
        ]
        permissions = [
            ("export_auditevent", "Can export the audit trail"),
            ("export_dossier", "Can export a case dossier"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


def default_channel_caps() -> dict[str, dict[str, int]]:
    """Caps per channel of the shipped packs (phone calls have their own fields)."""
    return {
        "sms": {"per_day": 3, "per_7_days": 7},
        "email": {"per_day": 3, "per_7_days": 7},
        "messaging": {"per_day": 3, "per_7_days": 7},
        "letter": {"per_day": 1, "per_7_days": 3},
        "lawyer_letter": {"per_day": 1, "per_7_days": 1},
    }


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
    # Repayment agreements (agreements/): the largest instalment as a share of the debtor's disposable
    # income before the agent must confirm the debtor asked for it (FCA CONC 7.3.10R: no pressure to pay
    # in too few, too large instalments); payment reminders; grace before an agreement or a promise is
    # broken.
    max_instalment_share = models.DecimalField(
        _("largest instalment as a share of disposable income"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
    )
    payment_reminder_days = models.PositiveSmallIntegerField(
        _("remind the debtor (days before a due date)"), default=3
    )
    agreement_grace_days = models.PositiveSmallIntegerField(
        _("an agreement is broken after an instalment is overdue (days)"), default=15
    )
    promise_grace_days = models.PositiveSmallIntegerField(
        _("a promise is broken after its date (days)"), default=3
    )
    # Response-time targets for complaints and disputes (migration 0006 sets the shipped packs' values).
    complaint_ack_days = models.PositiveSmallIntegerField(
        _("acknowledge a complaint or dispute within (days)"), default=2
    )
    complaint_resolve_days = models.PositiveSmallIntegerField(
        _("resolve a complaint or dispute within (days)"), default=15
    )
    # LIMITATION (PRC Civil Code art. 195; Limitation Act 1980 s.29-30): which recorded events restart
    # the period (compliance/limitation.py INTERRUPTIONS). Empty on versions before 0010: none did.
    limitation_interrupted_by = models.JSONField(
        _("events that restart the limitation period"), default=list, blank=True
    )
    # GENTLER_FIRST: contact attempts by other channels (phone, SMS, letter, e-mail…) needed within the
    # window before a visit may be planned; 0 (versions before 0010) switches the check off.
    gentler_attempts = models.PositiveSmallIntegerField(
        _("contact attempts by other channels before a visit"), default=0
    )
    gentler_window_days = models.PositiveSmallIntegerField(_("counted within the last (days)"), default=14)
    # The contact gate (visits/services/gate.py): per-channel caps besides the phone caps above, e.g.
    # {"sms": {"per_day": 2, "per_7_days": 5}}; a channel not named has no cap of its own.
    channel_caps = models.JSONField(_("contacts per channel"), default=default_channel_caps, blank=True)
    # The server's clock is the record: a typed time (notice given, contact made, conversation) may
    # precede its recording by at most this much; the lead time counts from recording minus this.
    typed_time_grace_minutes = models.PositiveSmallIntegerField(
        _("a typed time may precede its recording by (minutes)"), default=30
    )
    # What a notice says: "limited" (no debt, creditor or purpose: whoever holds the number learns
    # nothing) or "full". A notice by SMS or phone is limited whenever the holder of the number is not
    # verified, whatever this says (visits/notice_texts.py `content_level`).
    notice_content = models.CharField(
        _("notice content"),
        max_length=8,
        choices=[("limited", _("Limited (no debt, creditor or purpose)")), ("full", _("Full"))],
        default="full",
    )
    # On site: how many times the last 4 characters of the ID card sighted may be typed again after a
    # mismatch before the mismatch is recorded and the person met counts as not identified.
    id_check_tries = models.PositiveSmallIntegerField(
        _("tries at the last 4 characters of an ID card on site"), default=3
    )
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
    """A complaint or a dispute for the compliance officer, received on any channel.

    A *dispute* (the debtor contests the debt or its handling) puts the case on hold until a compliance
    officer resolves it (`cases.services.disputes`); a *complaint* is handled without a hold. Both block
    new visits while open (rule DISPUTE_OPEN reads `status = open`). Stage objects are referenced by id
    (compliance is a floor and imports no stage app); the text is what the person said, kept out of the
    audit trail (which holds its digest only).
    """

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        DISPUTE = "dispute", _("Dispute")

    class Channel(models.TextChoices):
        PUBLIC_PAGE = "public_page", _("Public visit-verification page")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")
        VISIT = "visit", _("During a visit")
        CREDITOR = "creditor", _("Through the creditor")
        REGULATOR = "regulator", _("Through a regulator")
        OTHER = "other", _("Other")

    class RaisedBy(models.TextChoices):
        DEBTOR = "debtor", _("The debtor")
        REPRESENTATIVE = "representative", _("The debtor's representative")
        THIRD_PARTY = "third_party", _("A third party")
        CREDITOR = "creditor", _("The creditor")
        REGULATOR = "regulator", _("A regulator")
        STAFF = "staff", _("A member of staff")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Resolved")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    raised_by = models.CharField(
        _("raised by"), max_length=16, choices=RaisedBy.choices, default=RaisedBy.DEBTOR
    )
    visit_id = models.BigIntegerField(_("visit"), null=True, blank=True, db_index=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    agent_id = models.BigIntegerField(_("agent concerned"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("recorded at"), db_index=True)
    received_at = models.DateTimeField(_("received at"))
    text = models.TextField(_("what the person said"), blank=True, max_length=4000)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    pack = models.ForeignKey(
        RulePack,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule pack of the response targets"),
    )
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    resolution = models.TextField(_("reason for the outcome"), blank=True, max_length=4000)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("complaint or dispute")
        verbose_name_plural = _("complaints and disputes")
        indexes = [models.Index(fields=["status", "resolve_due_at"], name="complaint_open_due_idx")]
        permissions = [("resolve_complaint", "Can acknowledge and resolve complaints and disputes")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.received_at:%Y-%m-%d} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def acknowledge_overdue(self, now: object) -> bool:
        return bool(
            self.is_open
            and self.acknowledged_at is None
            and self.acknowledge_due_at is not None
            and self.acknowledge_due_at < now  # type: ignore[operator]
        )

    def resolve_overdue(self, now: object) -> bool:
        return bool(self.is_open and self.resolve_due_at is not None and self.resolve_due_at < now)  # type: ignore[operator]


class Alert(models.Model):
    """Something a compliance officer must look at: a broken audit chain, an overdue complaint.

    One alert per (kind, key): a check that runs again (nightly, hourly) finds the alert it raised and
    raises no second one. Officers acknowledge alerts with a note; both steps are audit events.
    """

    class Kind(models.TextChoices):
        CHAIN_BROKEN = "chain_broken", _("Audit chain broken")
        COMPLAINT_ACK_OVERDUE = "complaint_ack_overdue", _("Complaint not acknowledged in time")
        COMPLAINT_RESOLVE_OVERDUE = "complaint_resolve_overdue", _("Complaint not resolved in time")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=64)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="alert_kind_key_unique")]
        permissions = [("acknowledge_alert", "Can acknowledge compliance alerts")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class AuditExport(models.Model):
    """One export of an audit search (JSON Lines, CSV, PDF) run by a background job, with its manifest.

    The files live in Django's default storage under `exports/<id>/`; `files` lists each with its
    SHA-256, and the manifest (also a file) holds the filter, the first and last seq, the count, the
    `prev_hash` of the first event and the `hash` of the last, and the chain head at export time.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        JSONL = "jsonl", _("JSON Lines (verifiable)")
        CSV = "csv", _("CSV (spreadsheet)")
        PDF = "pdf", _("PDF (printable)")

    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), db_index=True)
    filter = models.JSONField(_("filter"), default=dict)
    formats = models.JSONField(_("formats"), default=list)
    language = models.CharField(_("language of the PDF"), max_length=8, default="en")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveBigIntegerField(_("events to export"), default=0)
    processed = models.PositiveBigIntegerField(_("events written"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    head_seq = models.BigIntegerField(_("chain head seq"), null=True, blank=True)
    head_hash = models.CharField(_("chain head hash"), max_length=64, blank=True)
    count = models.PositiveBigIntegerField(_("events exported"), default=0)
    first_seq = models.BigIntegerField(_("first seq"), null=True, blank=True)
    last_seq = models.BigIntegerField(_("last seq"), null=True, blank=True)
    files = models.JSONField(_("files"), default=list, blank=True)
    manifest_path = models.CharField(_("manifest"), max_length=255, blank=True)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("audit export")
        verbose_name_plural = _("audit exports")

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.processed * 100 // self.total) if self.total else 0


class LegalHold(models.Model):
    """A compliance officer's legal hold on a case: while it is active, retention never anonymizes it."""

    case_id = models.BigIntegerField(_("case"), db_index=True)
    reason = models.TextField(_("reason"), max_length=2000)
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-set_at", "-pk"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.UniqueConstraint(
                fields=["case_id"], condition=models.Q(lifted_at__isnull=True), name="legalhold_one_active"
            )
        ]
        permissions = [("manage_legalhold", "Can set and lift legal holds")]

    def __str__(self) -> str:
        return f"hold on case {self.case_id} ({'active' if self.lifted_at is None else 'lifted'})"


class Anonymization(models.Model):
    """The record that retention anonymized a case's personal data (what, when, under which pack)."""

    case_id = models.BigIntegerField(_("case"), unique=True)
    anonymized_at = models.DateTimeField(_("anonymized at"))
    closed_at = models.DateTimeField(_("closed at"))
    pack_code = models.CharField(_("rule pack"), max_length=40)
    pack_version = models.PositiveIntegerField(_("rule pack version"))
    retention_years = models.PositiveSmallIntegerField(_("retention (years)"))
    items = models.JSONField(_("what was anonymized"), default=list)

    class Meta:
        ordering = ["-anonymized_at", "-pk"]
        verbose_name = _("anonymization")
        verbose_name_plural = _("anonymizations")

    def __str__(self) -> str:
        return f"case {self.case_id} anonymized {self.anonymized_at:%Y-%m-%d}"


class PackChangeRequest(models.Model):
    """A loosening of a rule pack, or a creditor's move to another jurisdiction's pack, waiting for a
    second compliance officer (four eyes, docs/compliance.md). Nothing changes until it is approved:
    approving creates the new `RulePack` version (or rebinds the creditor) in the same transaction."""

    class Kind(models.TextChoices):
        VERSION = "version", _("New version that loosens the pack")
        BIND = "bind", _("Creditor moved to another pack")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second officer")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    pack_code = models.SlugField(_("rule pack"), max_length=40)
    # VERSION: the version in force when asked (approval is refused if another version came first) and
    # the changed parameters (JSON-safe: times as HH:MM). BIND: the creditor, its pack then and the new one.
    base_version = models.PositiveIntegerField(_("version in force when asked"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Compliance holds no foreign key into a stage app (as `case_id` elsewhere here).
    creditor_id = models.BigIntegerField(_("creditor"), null=True, blank=True)
    from_pack_code = models.SlugField(_("pack before"), max_length=40, blank=True)
    loosened = models.JSONField(_("what it loosens"), default=list, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, max_length=2000)
    result_pack = models.ForeignKey(
        RulePack,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version created"),
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("rule-pack change request")
        verbose_name_plural = _("rule-pack change requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.pack_code} ({self.status})"
