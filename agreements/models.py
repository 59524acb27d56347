"""Repayment agreements (with their schedule and signatures), payments and their allocation, promise
tracking, follow-up plans, escalations and the closure of a case.

The agreement `state` is its own django-fsm-2 protected field; transition bodies only set fields, the
services in agreements/services/ check, save and audit. A signed agreement never changes: a renegotiated
plan is a new agreement that supersedes it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from cases.models import Level
from common.models import TimeStampedModel
from common.money import Currency


class AgreementKind(models.TextChoices):
    LUMP_SUM = "lump_sum", _("Lump sum")
    INSTALMENTS = "instalments", _("Instalments")
    EXTENSION = "extension", _("Extension (one later payment)")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class PaymentMethod(models.TextChoices):
    """How the debtor pays: always to the creditor, never cash to an agent (agents take no property)."""

    BANK_TRANSFER = "bank_transfer", _("Bank transfer to the creditor's account")
    CREDITOR_APP = "creditor_app", _("The creditor's app or website")
    BANK_BRANCH = "bank_branch", _("At a branch of the creditor's bank")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    OTHER = "other", _("Other (described)")


class AgreementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved, ready to sign")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_AGREEMENT_STATES = (AgreementState.DRAFT, AgreementState.AWAITING_APPROVAL, AgreementState.APPROVED)
RUNNING_AGREEMENT_STATES = (AgreementState.SIGNED, AgreementState.ACTIVE)


def agreement_upload_to(instance: Agreement, filename: str) -> str:
    return f"agreements/{instance.case_id}/{instance.number}/{filename}"


class Agreement(ConcurrentTransitionMixin, TimeStampedModel):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="agreements", verbose_name=_("case")
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AgreementKind.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # What the debtor owed when the agreement was drafted, and what they agree to pay (less: a discount).
    balance = models.DecimalField(_("balance when drafted"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total to pay"), max_digits=14, decimal_places=2)
    first_due_date = models.DateField(_("first due date"))
    instalment_count = models.PositiveSmallIntegerField(_("number of instalments"), default=1)
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    schedule_edited = models.BooleanField(_("schedule edited by hand"), default=False)
    method = models.CharField(_("method of payment"), max_length=16, choices=PaymentMethod.choices)
    method_note = models.CharField(_("payment details"), max_length=300, blank=True)
    conditions = models.TextField(_("conditions"), blank=True, max_length=2000)
    # Affordability (CONC 7.3.10R): what the debtor says they earn and spend each month.
    stated_income = models.DecimalField(
        _("stated monthly income"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    stated_expenses = models.DecimalField(
        _("stated monthly expenses"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    debtor_requested_terms = models.BooleanField(
        _("the debtor asked for these instalments"),
        default=False,
        help_text=_("Required when an instalment is above the rule pack's share of disposable income."),
    )
    capacity = models.CharField(_("capacity"), max_length=8, choices=Level.choices, blank=True)
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("visit"),
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approval_required = models.BooleanField(_("needs a supervisor's approval"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_comment = models.TextField(_("approval comment"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    decision = models.ForeignKey(
        "compliance.RuleDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sign_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    pdf = models.FileField(
        _("signed agreement (PDF)"), upload_to=agreement_upload_to, blank=True, max_length=300
    )
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    limitation_warned = models.BooleanField(_("limitation period may have run"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    broken_at = models.DateTimeField(_("broken at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason cancelled"), blank=True)
    state = FSMField(
        _("state"),
        default=AgreementState.DRAFT,
        choices=AgreementState.choices,
        protected=True,
        db_index=True,
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("repayment agreement")
        verbose_name_plural = _("repayment agreements")
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gt=0), name="agreement_total_positive"),
            models.CheckConstraint(
                condition=models.Q(total__lte=models.F("balance")), name="agreement_total_within_balance"
            ),
        ]
        permissions = [
            ("draft_agreement", "Can draft and sign repayment agreements"),
            ("approve_agreement", "Can approve agreements and settlement discounts"),
            ("record_payment", "Can record and import payments"),
            ("close_case", "Can escalate, close and reopen cases"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def discount(self) -> Decimal:
        return self.balance - self.total

    @property
    def discount_share(self) -> Decimal:
        return (self.discount / self.balance) if self.balance else Decimal(0)

    # --- transitions: bodies only set fields -----------------------------------------------------
    @transition(field=state, source=AgreementState.DRAFT, target=AgreementState.AWAITING_APPROVAL)
    def submit(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=AgreementState.AWAITING_APPROVAL, target=AgreementState.APPROVED)
    def approve(self, *, by: object, at: dt.datetime, comment: str) -> None:
        self.approved_by, self.approved_at, self.approval_comment = by, at, comment
        self.state_changed_at = at

    @transition(field=state, source=AgreementState.AWAITING_APPROVAL, target=AgreementState.DRAFT)
    def send_back(self, *, at: dt.datetime, comment: str) -> None:
        self.approval_comment = comment
        self.state_changed_at = at

    @transition(
        field=state, source=[AgreementState.DRAFT, AgreementState.APPROVED], target=AgreementState.SIGNED
    )
    def sign(self, *, at: dt.datetime) -> None:
        self.signed_at = at
        self.state_changed_at = at

    @transition(field=state, source=AgreementState.SIGNED, target=AgreementState.ACTIVE)
    def activate(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=AgreementState.ACTIVE, target=AgreementState.COMPLETED)
    def complete(self, *, at: dt.datetime) -> None:
        self.completed_at = at
        self.state_changed_at = at

    @transition(field=state, source=AgreementState.ACTIVE, target=AgreementState.BROKEN)
    def break_(self, *, at: dt.datetime) -> None:
        self.broken_at = at
        self.state_changed_at = at

    # A draft given up, or a running agreement ended because the case is closed (recalled, written off).
    @transition(
        field=state,
        source=[*OPEN_AGREEMENT_STATES, *RUNNING_AGREEMENT_STATES],
        target=AgreementState.CANCELLED,
    )
    def cancel(self, *, reason: str, at: dt.datetime) -> None:
        self.cancel_reason = reason
        self.state_changed_at = at

    @transition(
        field=state,
        source=[AgreementState.SIGNED, AgreementState.ACTIVE, AgreementState.BROKEN],
        target=AgreementState.SUPERSEDED,
    )
    def supersede(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at


class InstalmentStatus(models.TextChoices):
    DUE = "due", _("Due")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class Instalment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=12, choices=InstalmentStatus.choices, default=InstalmentStatus.DUE
    )
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "number"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="instalment_number_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="instalment_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.agreement.number} #{self.number}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid


class SignatureRole(models.TextChoices):
    DEBTOR = "debtor", _("Debtor")
    AGENT = "agent", _("Agent")
    WITNESS = "witness", _("Witness")


def signature_upload_to(instance: Signature, filename: str) -> str:
    return f"agreements/{instance.agreement.case_id}/{instance.agreement.number}/signatures/{instance.role}-{instance.sha256[:12]}.png"


class Signature(models.Model):
    """A signature drawn on a screen (PNG), by whom, how and when; its SHA-256 is in the audit trail."""

    class Via(models.TextChoices):
        DEVICE = "device", _("On the agent's device")
        REMOTE = "remote", _("On the debtor's phone (one-time link)")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(_("role"), max_length=8, choices=SignatureRole.choices)
    name = models.CharField(_("name"), max_length=200)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    image = models.FileField(_("signature"), upload_to=signature_upload_to, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    via = models.CharField(_("signed"), max_length=8, choices=Via.choices, default=Via.DEVICE)
    signed_at = models.DateTimeField(_("signed at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "signed_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [models.UniqueConstraint(fields=["agreement", "role"], name="signature_once_per_role")]

    def __str__(self) -> str:
        return f"{self.agreement.number} {self.role}"


class SigningLink(models.Model):
    """A one-time link for the debtor to read and sign on their own phone; only its digest is stored."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signing_links")
    token_digest = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("sent by"), max_length=8)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing link")
        verbose_name_plural = _("signing links")

    def __str__(self) -> str:
        return f"{self.agreement.number} until {self.expires_at:%Y-%m-%d %H:%M}"


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    IMPORT = "import", _("Creditor's payment file")
    API = "api", _("Creditor's system (API)")


class Payment(TimeStampedModel):
    """Money the creditor received from the debtor (the agency never holds it)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="payments", verbose_name=_("case")
    )
    creditor = models.ForeignKey("cases.Creditor", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("agreement"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("creditor's payment reference"), max_length=64)
    source = models.CharField(
        _("source"), max_length=8, choices=PaymentSource.choices, default=PaymentSource.MANUAL
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "reference"], name="payment_reference_unique_per_creditor"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.amount} {self.paid_on} ({self.reference})"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["payment", "instalment"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.instalment_id}: {self.amount}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")


class PromiseCheck(models.Model):
    """The tracking of a promise to pay made on a visit (the visit log holds the promise itself)."""

    visit_log = models.OneToOneField(
        "visits.VisitLog", on_delete=models.PROTECT, related_name="promise_check"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="promise_checks")
    amount = models.DecimalField(_("promised amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    due_on = models.DateField(_("promised by"))
    made_on = models.DateField(_("promised on"))
    paid = models.DecimalField(_("paid since"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=8, choices=PromiseStatus.choices, default=PromiseStatus.PENDING
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-due_on", "-pk"]
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        indexes = [models.Index(fields=["status", "due_on"], name="promise_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.currency} {self.amount} by {self.due_on} ({self.status})"


class NextAction(models.TextChoices):
    CALL = "call", _("Call the debtor")
    LETTER = "letter", _("Send a letter")
    VISIT = "visit", _("Plan a new visit")
    RENEGOTIATE = "renegotiate", _("Renegotiate the agreement")
    ESCALATE = "escalate", _("Escalate (lawyer's letter, litigation)")
    WAIT = "wait", _("Wait for the promised payment")
    DECIDE = "decide", _("Supervisor decides: new visit, renegotiate or escalate")
    OTHER = "other", _("Other")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SUPERSEDED = "superseded", _("Superseded")


class FollowUp(TimeStampedModel):
    """The follow-up plan of a case: a reassessment, goals, the next action with its owner and date."""

    class Trigger(models.TextChoices):
        VISIT = "visit", _("After a visit")
        AGREEMENT_BROKEN = "agreement_broken", _("Agreement broken")
        PROMISE_BROKEN = "promise_broken", _("Promise broken")
        MANUAL = "manual", _("Planned by hand")
        REOPENED = "reopened", _("Case reopened")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("case")
    )
    trigger = models.CharField(_("why"), max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    capacity = models.CharField(_("repayment capacity"), max_length=8, choices=Level.choices, blank=True)
    willingness = models.CharField(_("willingness to repay"), max_length=8, choices=Level.choices, blank=True)
    assessment_note = models.TextField(_("reassessment"), blank=True, max_length=2000)
    short_goal = models.CharField(_("short-term goal"), max_length=300, blank=True)
    short_goal_amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    short_goal_date = models.DateField(_("by"), null=True, blank=True)
    long_goal = models.CharField(_("long-term goal"), max_length=300, blank=True)
    long_goal_date = models.DateField(_("by"), null=True, blank=True)
    next_action = models.CharField(_("next action"), max_length=16, choices=NextAction.choices)
    next_action_note = models.CharField(_("details"), max_length=300, blank=True)
    due_on = models.DateField(_("due on"), db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("owner")
    )
    review_every_days = models.PositiveSmallIntegerField(_("review every (days)"), default=30)
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.CharField(_("what was done"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["status", "due_on"], name="followup_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_next_action_display()} by {self.due_on}"


class EscalationKind(models.TextChoices):
    LAWYER_LETTER = "lawyer_letter", _("Lawyer's letter")
    LITIGATION = "litigation", _("Litigation referral")


def escalation_upload_to(instance: Escalation, filename: str) -> str:
    return f"escalations/{instance.case_id}/{filename}"


class Escalation(TimeStampedModel):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="escalations", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EscalationKind.choices)
    law_firm = models.CharField(_("law firm"), max_length=200)
    lawyer = models.CharField(_("lawyer"), max_length=200, blank=True)
    pay_by = models.DateField(_("pay by"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    document = models.FileField(
        _("document (PDF)"), upload_to=escalation_upload_to, blank=True, max_length=300
    )
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    decision = models.ForeignKey(
        "compliance.RuleDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"


class ClosureReason(models.TextChoices):
    PAID_IN_FULL = "paid_in_full", _("Paid in full")
    SETTLED = "settled", _("Settled (agreed discount paid)")
    LITIGATION = "litigation", _("Escalated to litigation")
    WRITTEN_OFF = "written_off", _("Written off by the creditor")
    RECALLED = "recalled", _("Recalled by the creditor")
    DECEASED = "deceased", _("Debtor deceased")


def closure_upload_to(instance: Closure, filename: str) -> str:
    return f"closures/{instance.case_id}/{filename}"


class Closure(TimeStampedModel):
    """How and why a case was closed, the closing checklist and the closing report; a reopen is kept on
    the same row (and a later closure is a new row)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="closures", verbose_name=_("case")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ClosureReason.choices)
    detail = models.TextField(_("details"), blank=True, max_length=2000)
    creditor_reference = models.CharField(_("creditor's reference"), max_length=64, blank=True)
    documents_returned = models.CharField(
        _("credit documents returned to the debtor"), max_length=300, blank=True
    )
    documents_returned_on = models.DateField(_("returned on"), null=True, blank=True)
    documents_returned_how = models.CharField(_("returned how"), max_length=200, blank=True)
    creditor_informed_on = models.DateField(_("creditor informed on"), null=True, blank=True)
    creditor_informed_how = models.CharField(_("creditor informed how"), max_length=200, blank=True)
    paid_total = models.DecimalField(
        _("paid in total"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    report = models.FileField(
        _("closing report (PDF)"), upload_to=closure_upload_to, blank=True, max_length=300
    )
    report_sha256 = models.CharField(_("closing report SHA-256"), max_length=64, blank=True)
    audit_head_seq = models.BigIntegerField(_("audit head at closure"), null=True, blank=True)
    audit_head_hash = models.CharField(_("audit head hash at closure"), max_length=64, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason reopened"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-closed_at", "-pk"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_reason_display()} {self.closed_at:%Y-%m-%d}"


class AcknowledgementForm(models.TextChoices):
    """How the debtor acknowledged the debt; written forms count wherever an oral one does not (UK, US)."""

    WRITTEN = "written", _("In writing, signed by the debtor")
    MESSAGE = "message", _("By message or e-mail from the debtor")
    IN_PERSON = "in_person", _("Orally, in person")
    PHONE = "phone", _("Orally, on the phone")


WRITTEN_ACKNOWLEDGEMENTS = (AcknowledgementForm.WRITTEN, AcknowledgementForm.MESSAGE)


def acknowledgement_upload_to(instance: Acknowledgement, filename: str) -> str:
    return f"acknowledgements/{instance.case_id}/{filename}"


class Acknowledgement(TimeStampedModel):
    """The debtor acknowledged the debt (PRC Civil Code art. 195: the obligor agrees to perform;
    Limitation Act 1980 s.29(5)): restarts the limitation period where the rule pack says so. Kept with
    its evidence (the signed letter, the message, the call recording) and that file's SHA-256."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="acknowledgements", verbose_name=_("case")
    )
    form = models.CharField(_("how"), max_length=12, choices=AcknowledgementForm.choices)
    acknowledged_at = models.DateTimeField(_("acknowledged at"))
    statement = models.TextField(_("what the debtor said or wrote"), max_length=2000)
    evidence = models.FileField(_("evidence"), upload_to=acknowledgement_upload_to, max_length=300)
    evidence_name = models.CharField(_("file name"), max_length=120)
    evidence_type = models.CharField(_("file type"), max_length=64)
    evidence_size = models.PositiveBigIntegerField(_("file size (bytes)"))
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        verbose_name = _("acknowledgement of the debt")
        verbose_name_plural = _("acknowledgements of the debt")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_form_display()} {self.acknowledged_at:%Y-%m-%d}"

    @property
    def written(self) -> bool:
        return self.form in WRITTEN_ACKNOWLEDGEMENTS


class ReviewStatus(models.TextChoices):
    DUE = "due", _("Due")
    DONE = "done", _("Done")


class FollowUpReview(TimeStampedModel):
    """A scheduled review of an open follow-up plan, every `review_every_days` from the plan's date
    (agreements.services.reviews_schedule, a beat task); its owner or the team's supervisor completes it."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("follow-up")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="follow_up_reviews", verbose_name=_("case")
    )
    due_on = models.DateField(_("due on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.DUE
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    note = models.CharField(_("what the review found"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up review")
        verbose_name_plural = _("follow-up reviews")
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "due_on"], name="follow_up_review_once_per_date")
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="followup_review_status_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} review {self.due_on}"
