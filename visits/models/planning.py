"""Visit plans, their notices, every contact attempt, and the debtor's verification link.

The visit `state` is its own django-fsm-2 protected field; transition bodies only set fields, the
services in visits/services/ check, save and audit. The on-site records (check-ins, the visit log,
evidence, attestations) are in visits/models/onsite.py.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from common.models import TimeStampedModel


class Purpose(models.TextChoices):
    UNDERSTAND = "understand", _("Understand the situation")
    NEGOTIATE = "negotiate", _("Negotiate a repayment plan")
    VERIFY_ASSETS = "verify_assets", _("Verify assets")
    DELIVER_DOCUMENTS = "deliver_documents", _("Deliver documents")


class ChecklistItem(models.TextChoices):
    LOAN_CONTRACT = "loan_contract", _("Loan contract")
    REPAYMENT_RECORDS = "repayment_records", _("Repayment records")
    NOTICE_LETTER = "notice_letter", _("Notice letter")
    AUTHORIZATION_LETTER = "authorization_letter", _("The creditor's authorization letter")
    WORK_IDS = "work_ids", _("Each agent's work ID")
    RECORDING_DEVICE = "recording_device", _("Recording device")


class VisitState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RETURNED = "returned", _("Returned to the planner")
    APPROVED = "approved", _("Approved")
    NOTIFIED = "notified", _("Notice given")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed, awaiting review")
    CORRECTION = "correction", _("Returned for correction")
    ACCEPTED = "accepted", _("Completed and accepted")
    ABORTED = "aborted", _("Ended without a log")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused by the debtor")
    EXPIRED = "expired", _("Expired")


class Visit(ConcurrentTransitionMixin, TimeStampedModel):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="visits", verbose_name=_("case")
    )
    address = models.ForeignKey(
        "cases.DebtorAddress", on_delete=models.PROTECT, related_name="visits", verbose_name=_("address")
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    window_start = models.DateTimeField(_("window starts"))
    window_end = models.DateTimeField(_("window ends"))
    time_zone = models.CharField(_("debtor's time zone"), max_length=64)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="VisitAgent",
        through_fields=("visit", "agent"),
        related_name="visits",
        verbose_name=_("agents"),
    )
    checklist = models.JSONField(_("documents to carry"), default=list)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    plan_decision = models.ForeignKey(
        "compliance.RuleDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("planning decision"),
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.TextField(_("reason returned"), blank=True)
    cancel_reason = models.TextField(_("reason cancelled"), blank=True)
    state = FSMField(
        _("state"), default=VisitState.PLANNED, choices=VisitState.choices, protected=True, db_index=True
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    # On site (visits/services/onsite.py): when enough agents checked in, when the log was completed,
    # the outcome of the log in force (a copy, for lists, the API and the frequency count).
    on_site_at = models.DateTimeField(_("on site since"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, blank=True)
    abort_reason = models.TextField(_("reason ended without a log"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-window_start", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="visit_window_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["state", "window_start"], name="visit_state_window_idx")]
        permissions = [
            ("approve_visit", "Can approve or return visit plans"),
            ("plan_visit", "Can plan visits and record notices"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.window_start:%Y-%m-%d %H:%M} ({self.state})"

    # --- transitions: bodies only set fields ---------------------------------------------------
    @transition(field=state, source=VisitState.PLANNED, target=VisitState.APPROVED)
    def approve(self, *, by: object, at: dt.datetime) -> None:
        self.approved_by = by
        self.approved_at = at
        self.state_changed_at = at

    @transition(field=state, source=VisitState.PLANNED, target=VisitState.RETURNED)
    def send_back(self, *, reason: str, at: dt.datetime) -> None:
        self.return_reason = reason
        self.state_changed_at = at

    @transition(field=state, source=VisitState.RETURNED, target=VisitState.PLANNED)
    def resubmit(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=VisitState.APPROVED, target=VisitState.NOTIFIED)
    def notify(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(
        field=state,
        source=[VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED],
        target=VisitState.CANCELLED,
    )
    def cancel(self, *, reason: str, at: dt.datetime) -> None:
        self.cancel_reason = reason
        self.state_changed_at = at

    @transition(field=state, source=[VisitState.APPROVED, VisitState.NOTIFIED], target=VisitState.REFUSED)
    def refuse(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(
        field=state,
        source=[VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED],
        target=VisitState.EXPIRED,
    )
    def expire(self, *, at: dt.datetime) -> None:
        """Not approved by its start, or nobody went (no check-in before the window ended)."""
        self.state_changed_at = at

    # A pack without required notice (US) lets an approved visit start without one.
    @transition(field=state, source=[VisitState.APPROVED, VisitState.NOTIFIED], target=VisitState.ON_SITE)
    def start_on_site(self, *, at: dt.datetime) -> None:
        self.on_site_at = at
        self.state_changed_at = at

    @transition(field=state, source=VisitState.ON_SITE, target=VisitState.COMPLETED)
    def complete(self, *, outcome: str, at: dt.datetime) -> None:
        self.outcome = outcome
        self.completed_at = at
        self.state_changed_at = at

    @transition(field=state, source=VisitState.COMPLETED, target=VisitState.ACCEPTED)
    def accept_log(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=VisitState.COMPLETED, target=VisitState.CORRECTION)
    def return_log(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=VisitState.CORRECTION, target=VisitState.COMPLETED)
    def resubmit_log(self, *, at: dt.datetime) -> None:
        self.state_changed_at = at

    @transition(field=state, source=VisitState.ON_SITE, target=VisitState.ABORTED)
    def abort(self, *, reason: str, at: dt.datetime) -> None:
        """A supervisor ends an on-site visit that cannot be completed (e.g. an agent cannot attest)."""
        self.abort_reason = reason
        self.state_changed_at = at


class VisitAgent(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="visit_agents")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_assignments"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit agent")
        verbose_name_plural = _("visit agents")
        constraints = [models.UniqueConstraint(fields=["visit", "agent"], name="visit_agent_unique")]

    def __str__(self) -> str:
        return f"{self.visit_id} → {self.agent_id}"


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    MESSAGING = "messaging", _("Messaging app (e.g. WeChat)")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer's letter")
    VISIT = "visit", _("Visit")


class NoticeAnswer(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    RESCHEDULE = "reschedule", _("Asked to reschedule")
    REFUSED = "refused", _("Refused the visit")
    NO_ANSWER = "no_answer", _("No answer")


class DeliveryStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded (given by the agent)")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(TimeStampedModel):
    """Prior notice of a visit (CONC 7.9.12R; CBA guideline): channel, time, the text, and the answer."""

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="notices", verbose_name=_("visit")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    given_at = models.DateTimeField(_("given at"))
    # The server's clock is the record: when the notice was recorded, and the instant its lead time
    # counts from (the later of the typed time and the recording time less the pack's grace).
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True, editable=False)
    counts_from = models.DateTimeField(_("lead time counts from"), null=True, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    text = models.TextField(_("text sent"))
    text_sha256 = models.CharField(max_length=64, editable=False)
    delivery_status = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECORDED
    )
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    answer = models.CharField(
        _("answer"), max_length=16, choices=NoticeAnswer.choices, default=NoticeAnswer.PENDING
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    proposed_window_start = models.DateTimeField(_("proposed window starts"), null=True, blank=True)
    proposed_window_end = models.DateTimeField(_("proposed window ends"), null=True, blank=True)
    answer_note = models.TextField(_("what the debtor said"), blank=True, max_length=2000)
    # Where an SMS or email notice goes (personal data: stored like DebtorPhone.number, never audited
    # or logged); empty for phone calls and letters.
    recipient = models.CharField(_("sent to"), max_length=254, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.given_at:%Y-%m-%d %H:%M}"


class ContactResult(models.TextChoices):
    CONNECTED = "connected", _("Spoke with the debtor")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    DEBTOR_MET = "debtor_met", _("Debtor met")
    OTHER_MET = "other_met", _("Someone other than the debtor met")
    NOT_MET = "not_met", _("Nobody met")


class ContactAttempt(TimeStampedModel):
    """Every contact attempt on any channel, so caps can be computed and the case has one history."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="contacts", verbose_name=_("case")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=ContactResult.choices)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts")
    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        indexes = [models.Index(fields=["case", "channel", "at"], name="contact_case_channel_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.at:%Y-%m-%d %H:%M} {self.get_result_display()}"


class VisitToken(models.Model):
    """The debtor's link to check that a visit is genuine. Only a digest of the token is stored."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="tokens")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, null=True, blank=True, related_name="tokens")
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit verification link")
        verbose_name_plural = _("visit verification links")

    def __str__(self) -> str:
        return f"visit {self.visit_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class NoticeGroup(models.TextChoices):
    """Which template a channel uses: SMS is short, email has a subject, letters and phone scripts are long."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter and phone script")


class NoticeTemplate(TimeStampedModel):
    """A supervisor's or compliance officer's wording of the prior notice, per language and channel group.

    Without a row the defaults of visits/notice_texts.py apply. The placeholders are fixed
    ({date}, {window}, {purpose}, {agency}, {creditor}, {link}): there is deliberately none for the
    amount, because a notice may be read by someone other than the debtor.
    """

    language = models.CharField(
        _("language"), max_length=8, choices=[("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
    )
    group = models.CharField(_("channel group"), max_length=8, choices=NoticeGroup.choices)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=2000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["group", "language"]
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        constraints = [
            models.UniqueConstraint(
                fields=["language", "group"], name="notice_template_unique_language_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_group_display()} ({self.language})"
