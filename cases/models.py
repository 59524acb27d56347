"""Creditors, mandates, debtors (with phones and addresses), cases and their documents.

The case `stage` is a django-fsm-2 protected field on a model with optimistic locking; transition
methods only set fields. Services (the cases/services package) are the only callers of the transitions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from common.models import TimeStampedModel
from common.money import Currency
from common.pii import mask_address, mask_id_number, mask_phone
from compliance.rules import MandateFacts


class Creditor(TimeStampedModel):
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Short unique code used in files, commands and URLs."),
    )
    name = models.CharField(_("name"), max_length=200)
    default_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default supervisor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Placed cases go to this supervisor and their team unless the import names another."),
    )
    settlement_approval_share = models.DecimalField(
        _("settlement discount needing approval"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_(
            "A settlement discount above this share of the balance (0.10 = 10%) needs a supervisor's approval."
        ),
    )
    rule_pack_code = models.SlugField(
        _("rule pack"),
        max_length=40,
        default="cn-default",
        help_text=_("The compliance rule pack this creditor's cases follow (its current version)."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def mandate_upload_to(instance: Mandate, filename: str) -> str:
    return f"mandates/{instance.creditor.code}/{instance.number}-{filename}"


class Mandate(TimeStampedModel):
    """The creditor's written authorization (委托合同/授权委托书): PRC Civil Code art. 165, 919."""

    creditor = models.ForeignKey(
        Creditor, verbose_name=_("creditor"), on_delete=models.PROTECT, related_name="mandates"
    )
    number = models.CharField(_("number"), max_length=64)
    scope = models.TextField(
        _("scope"), help_text=_("What the agency is authorized to do, in the mandate's words.")
    )
    products = models.JSONField(
        _("products covered"),
        default=list,
        blank=True,
        help_text=_("Product codes the mandate covers; empty means every product of the creditor."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    document = models.FileField(_("signed document"), upload_to=mandate_upload_to, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["creditor__code", "-valid_from"]
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.UniqueConstraint(fields=["creditor", "number"], name="mandate_number_unique_per_creditor"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="mandate_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.valid_from} – {self.valid_until})"

    def covers(self, *, product: str, on: dt.date) -> bool:
        return (
            self.revoked_on is None
            and self.valid_from <= on <= self.valid_until
            and (not self.products or product in self.products)
        )

    def facts(self) -> MandateFacts:
        return MandateFacts(
            number=self.number,
            creditor_id=self.creditor_id,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            products=tuple(self.products or ()),
            revoked=self.revoked_on is not None,
            has_document=bool(self.document),
        )


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("PRC resident ID")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other document")


class Debtor(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, db_index=True)
    id_type = models.CharField(_("document type"), max_length=16, choices=IdType.choices)
    id_number = models.CharField(_("document number"), max_length=64)
    id_digest = models.CharField(max_length=64, editable=False)
    identity_checked_at = models.DateTimeField(_("identity document checked at"), null=True, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("identity document checked by"),
    )
    identity_check_source = models.CharField(_("how the identity was checked"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    monthly_income = models.DecimalField(
        _("monthly income"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    income_currency = models.CharField(
        _("income currency"), max_length=3, choices=Currency.choices, default="CNY"
    )
    assets = models.TextField(_("assets"), blank=True)
    # Flags in force; later stages' rules read them (VISIT_REFUSED, CEASE_CONTACT, REPRESENTED, ...).
    # contact_ceased/represented/vulnerable are a cache of the `DebtorFact` rows in force (scope "all"
    # for the first two), rewritten only by cases/services/facts.py in the same transaction. A dispute
    # has no flag: the open complaints and disputes of the case are its one source of truth.
    visits_refused = models.BooleanField(_("visits refused"), default=False)
    contact_ceased = models.BooleanField(_("contact ceased"), default=False)
    represented = models.BooleanField(_("represented by a lawyer"), default=False)
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    history = HistoricalRecords(excluded_fields=["id_digest"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_digest"], name="debtor_unique_document"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def identity_checked(self) -> bool:
        return self.identity_checked_at is not None

    FLAG_FIELDS = ("visits_refused", "contact_ceased", "represented", "vulnerable")

    def active_flags(self) -> list[str]:
        """The flags in force, as their (translated) labels."""
        return [str(self._meta.get_field(n).verbose_name) for n in self.FLAG_FIELDS if getattr(self, n)]


class FactSource(models.TextChoices):
    CREDITOR = "creditor", _("Creditor's system")
    DATABASE = "database", _("Database look-up")
    INVESTIGATION = "investigation", _("Third-party investigation")
    DEBTOR = "debtor", _("Stated by the debtor")
    FIELD = "field", _("Confirmed in the field")


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VERIFIED = "verified", _("Verified")
    INVALID = "invalid", _("Invalid")


class DebtorPhone(TimeStampedModel):
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="phones", verbose_name=_("debtor")
    )
    number = models.CharField(_("number"), max_length=32)
    digest = models.CharField(max_length=64, db_index=True, editable=False)
    source = models.CharField(
        _("source"), max_length=16, choices=FactSource.choices, default=FactSource.CREDITOR
    )
    status = models.CharField(
        _("status"), max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    history = HistoricalRecords(excluded_fields=["digest"])

    class Meta:
        ordering = ["pk"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        constraints = [models.UniqueConstraint(fields=["debtor", "digest"], name="phone_unique_per_debtor")]

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        return mask_phone(self.number)


class AddressKind(models.TextChoices):
    HOME = "home", pgettext_lazy("address type", "Home")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class TimeZoneSource(models.TextChoices):
    IMPORTED = "imported", _("As placed by the creditor")
    AGENT = "agent", _("Picked by a user")
    COORDINATES = "coordinates", _("Derived from the coordinates")


class DebtorAddress(TimeStampedModel):
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("debtor")
    )
    kind = models.CharField(_("type"), max_length=8, choices=AddressKind.choices)
    text = models.CharField(_("address"), max_length=400)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Where the zone came from: picked by a user, derived from the coordinates (timezonefinder), or as
    # the placement file / creditor gave it. Changed only by cases.services.address_time_zone_set.
    time_zone_source = models.CharField(
        _("time zone from"), max_length=16, choices=TimeZoneSource.choices, default=TimeZoneSource.IMPORTED
    )
    status = models.CharField(
        _("verification status"),
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
    )
    source = models.CharField(
        _("source"), max_length=16, choices=FactSource.choices, default=FactSource.CREDITOR
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    note = models.CharField(_("note"), max_length=400, blank=True)
    # Where the address is (WGS 84), when known: check-in shows the agents' distance to it. Sensitive
    # like the address itself: never in the audit trail or logs.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.masked}"

    @property
    def masked(self) -> str:
        return mask_address(self.text)


class Stage(models.TextChoices):
    """The whole machine the product grows into; transitions are added stage by stage."""

    NEW = "new", _("New")
    VERIFIED = "verified", _("Verified")
    VISIT_PLANNED = "visit_planned", _("Visit planned")
    NOTICE_GIVEN = "notice_given", _("Notice given")
    ON_SITE = "on_site", _("On site")
    CONVERSATION_LOGGED = "conversation_logged", _("Conversation logged")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    CLOSED = "closed", _("Closed")
    FOLLOW_UP = "follow_up", _("Follow-up")
    VISITS_REFUSED = "visits_refused", _("Visits refused")
    ON_HOLD = "on_hold", _("On hold (dispute)")
    ESCALATED = "escalated", _("Escalated")


# A dispute holds a case from any stage but these two (cases/services/disputes.py).
HOLDABLE_STAGES = [s for s in Stage.values if s not in (Stage.CLOSED, Stage.ON_HOLD)]
# Where a released hold goes back to: the stage it came from when that is a resting stage (nothing
# in flight there), else follow-up, where a supervisor decides what comes next.
RESTING_STAGES = (Stage.NEW, Stage.VERIFIED, Stage.FOLLOW_UP, Stage.AGREEMENT_SIGNED, Stage.ESCALATED)
# A case may be closed from any stage but while agents are on site or a dispute holds it.
CLOSABLE_STAGES = [s for s in Stage.values if s not in (Stage.CLOSED, Stage.ON_SITE, Stage.ON_HOLD)]


class Case(ConcurrentTransitionMixin, TimeStampedModel):
    creditor = models.ForeignKey(
        Creditor, on_delete=models.PROTECT, related_name="cases", verbose_name=_("creditor")
    )
    mandate = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("mandate"),
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.PROTECT, related_name="cases", verbose_name=_("debtor")
    )
    external_ref = models.CharField(_("external reference"), max_length=64)
    contract_no = models.CharField(_("contract number"), max_length=64, db_index=True)
    product = models.CharField(_("product"), max_length=64, blank=True)
    principal = models.DecimalField(_("principal"), max_digits=14, decimal_places=2)
    outstanding = models.DecimalField(_("outstanding amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    overdue_since = models.DateField(_("overdue since"))
    # The creditor's breakdown of `outstanding` (placement file, optional): the debtor's statement shows
    # principal + interest and fees - paid before placement = outstanding when they are known.
    interest_fees = models.DecimalField(
        _("interest and fees"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    paid_before_placement = models.DecimalField(
        _("paid before placement"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("team"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_cases",
        verbose_name=_("supervisor"),
    )
    assigned_agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CaseAssignment",
        through_fields=("case", "agent"),
        related_name="assigned_cases",
        verbose_name=_("assigned agents"),
        blank=True,
    )
    stage = FSMField(_("stage"), default=Stage.NEW, choices=Stage.choices, protected=True, db_index=True)
    stage_changed_at = models.DateTimeField(_("stage changed at"), null=True, blank=True)
    stage_before_hold = models.CharField(
        _("stage before the hold"), max_length=50, choices=Stage.choices, blank=True, editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "external_ref"], name="case_external_ref_unique_per_creditor"
            ),
            models.CheckConstraint(condition=models.Q(principal__gte=0), name="case_principal_not_negative"),
            models.CheckConstraint(
                condition=models.Q(outstanding__gte=0), name="case_outstanding_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "stage"], name="case_team_stage_idx"),
            # The case list's sorts and filters walk these in keyset order (cases/selectors.py SORTS):
            # each ends with the pk, the tie-breaker, in the sort's own direction.
            models.Index(fields=["overdue_since", "id"], name="case_overdue_since_idx"),
            models.Index(fields=["-outstanding", "id"], name="case_outstanding_idx"),
            models.Index(fields=["stage", "id"], name="case_stage_id_idx"),
        ]
        permissions = [
            ("verify_case", "Can verify a case or return it to new"),
            ("assign_case", "Can assign agents to a case"),
            ("import_cases", "Can import a creditor's placement file"),
            ("view_full_pii", "Can view unmasked personal data (audited)"),
            ("work_case", "Can record facts on a case (documents, addresses, assessment)"),
        ]

    def __str__(self) -> str:
        return f"{self.creditor.code}/{self.external_ref}"

    # --- transitions: bodies only set fields; services check, save and audit ------------------
    @transition(field=stage, source=Stage.NEW, target=Stage.VERIFIED)
    def verify(self, *, at: dt.datetime) -> None:
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.VERIFIED, target=Stage.NEW)
    def unverify(self, *, at: dt.datetime) -> None:
        self.stage_changed_at = at

    @transition(field=stage, source=[Stage.VERIFIED, Stage.FOLLOW_UP], target=Stage.VISIT_PLANNED)
    def plan_visit(self, *, at: dt.datetime) -> None:
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.VISIT_PLANNED, target=Stage.NOTICE_GIVEN)
    def give_notice(self, *, at: dt.datetime) -> None:
        self.stage_changed_at = at

    @transition(field=stage, source=[Stage.VISIT_PLANNED, Stage.NOTICE_GIVEN], target=Stage.VERIFIED)
    def drop_visit_plan(self, *, at: dt.datetime) -> None:
        """The visit was cancelled or expired before anyone went: the case can be planned again."""
        self.stage_changed_at = at

    @transition(
        field=stage,
        source=[Stage.VERIFIED, Stage.VISIT_PLANNED, Stage.NOTICE_GIVEN, Stage.ON_SITE],
        target=Stage.VISITS_REFUSED,
    )
    def refuse_visits(self, *, at: dt.datetime) -> None:
        self.stage_changed_at = at

    @transition(field=stage, source=[Stage.VISIT_PLANNED, Stage.NOTICE_GIVEN], target=Stage.ON_SITE)
    def start_on_site(self, *, at: dt.datetime) -> None:
        """The agents of the visit are on site (enough of them checked in)."""
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.ON_SITE, target=Stage.CONVERSATION_LOGGED)
    def log_conversation(self, *, at: dt.datetime) -> None:
        """The visit ended with a repayment agreement to draft: the case waits for the agreement."""
        self.stage_changed_at = at

    @transition(
        field=stage,
        source=[
            Stage.VERIFIED,
            Stage.CONVERSATION_LOGGED,
            Stage.FOLLOW_UP,
            Stage.AGREEMENT_SIGNED,
            Stage.ESCALATED,
        ],
        target=Stage.AGREEMENT_SIGNED,
    )
    def sign_agreement(self, *, at: dt.datetime) -> None:
        """A repayment agreement was signed (a renegotiated one replaces the one in force)."""
        self.stage_changed_at = at

    @transition(
        field=stage, source=[Stage.CONVERSATION_LOGGED, Stage.AGREEMENT_SIGNED], target=Stage.FOLLOW_UP
    )
    def back_to_follow_up(self, *, at: dt.datetime) -> None:
        """The agreement was broken, completed short of closure, or its draft given up."""
        self.stage_changed_at = at

    @transition(
        field=stage,
        source=[
            Stage.VERIFIED,
            Stage.VISITS_REFUSED,
            Stage.CONVERSATION_LOGGED,
            Stage.AGREEMENT_SIGNED,
            Stage.FOLLOW_UP,
        ],
        target=Stage.ESCALATED,
    )
    def escalate(self, *, at: dt.datetime) -> None:
        """A lawyer's letter or a litigation referral."""
        self.stage_changed_at = at

    @transition(field=stage, source=CLOSABLE_STAGES, target=Stage.CLOSED)
    def close(self, *, at: dt.datetime) -> None:
        """Only through the closing service (agreements/services/closure.py), with its checklist."""
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.CLOSED, target=Stage.FOLLOW_UP)
    def reopen(self, *, at: dt.datetime) -> None:
        """A supervisor's reopen of a closed case, with a reason."""
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.ON_SITE, target=Stage.FOLLOW_UP)
    def follow_up_after_visit(self, *, at: dt.datetime) -> None:
        """The visit ended (promise, refusal, reschedule, debtor not met, left or aborted): follow up."""
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.VISITS_REFUSED, target=Stage.VERIFIED)
    def resume_visits(self, *, at: dt.datetime) -> None:
        """A supervisor's recorded override of a refusal of visits."""
        self.stage_changed_at = at

    @transition(field=stage, source=HOLDABLE_STAGES, target=Stage.ON_HOLD)
    def hold(self, *, at: dt.datetime) -> None:
        """An open dispute stops the case (COMPLIANCE.md DISPUTE_OPEN) until it is resolved."""
        self.stage_before_hold = self.stage
        self.stage_changed_at = at

    @transition(field=stage, source=Stage.ON_HOLD, target=RETURN_VALUE(*RESTING_STAGES))
    def release_hold(self, *, at: dt.datetime) -> str:
        """Back to the stage before the hold when it is a resting stage, else to follow-up."""
        back = self.stage_before_hold if self.stage_before_hold in RESTING_STAGES else Stage.FOLLOW_UP
        self.stage_before_hold = ""
        self.stage_changed_at = at
        return back


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case assignment")
        verbose_name_plural = _("case assignments")
        constraints = [models.UniqueConstraint(fields=["case", "agent"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.agent_id}"


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Loan contract")
    ID_COPY = "id_copy", _("Copy of the identity document")
    REPAYMENT_RECORDS = "repayment_records", _("Repayment records")
    STATEMENT = "statement", _("Statement")
    DEBTOR_LETTER = "debtor_letter", _("Debtor's letter or request")
    CONSENT = "consent", _("Record of a consent")
    OTHER = "other", _("Other")


def case_document_upload_to(instance: CaseDocument, filename: str) -> str:
    return f"cases/{instance.case_id}/{instance.sha256[:16]}-{filename}"


class CaseDocument(TimeStampedModel):
    """A file on a case; served only through a permission-checked view, never by public URL."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=case_document_upload_to)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("None")


class CaseAssessment(TimeStampedModel):
    """Assessment of repayment capacity and willingness (stage 1); the latest one counts."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("case")
    )
    capacity = models.CharField(_("repayment capacity"), max_length=8, choices=Level.choices)
    willingness = models.CharField(_("willingness to repay"), max_length=8, choices=Level.choices)
    note = models.TextField(_("basis of the assessment"), max_length=2000)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessed by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.get_capacity_display()} / {self.get_willingness_display()}"


class PlacementImport(TimeStampedModel):
    """One uploaded placement file: its digest, who uploaded it, the preview and the result."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        REJECTED = "rejected", _("Rejected")
        IMPORTED = "imported", _("Imported")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    report = models.JSONField(default=dict)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(excluded_fields=["report"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("placement import")
        verbose_name_plural = _("placement imports")

    def __str__(self) -> str:
        return f"{self.creditor.code}: {self.original_name} ({self.status})"


# django-guardian direct-foreign-key permission tables: fast joins on the busiest model.
class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class SavedFilter(TimeStampedModel):
    """A user's named case-list filter: the list's canonical query string (no plain phone number: a
    phone search is kept as its digest), applied by opening the list with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_case_filters"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=2000, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved case filter")
        verbose_name_plural = _("saved case filters")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.name


# Debtor facts and consents (their own module; registered with this app by this import).
from .fact_models import Consent, DebtorFact  # noqa: E402, F401
