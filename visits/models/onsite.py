"""What happens on site: each agent's check-in, the visit log (identity and credential checks, the
conversation, the outcome), the evidence, and each agent's conduct attestation.

The visit log is versioned: version 1 is the draft the agents fill step by step; once submitted it never
changes. A supervisor accepts it or returns it for correction, and a correction is a new version (a copy
the agents edit and submit again), so the original stays visible. Rows written by a submission carry the
submission's idempotency key: a double tap or a retry after a timeout finds the row and records nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from cases.models import Level
from common.models import TimeStampedModel
from common.money import Currency

from .planning import Visit


class PositionStatus(models.TextChoices):
    GIVEN = "given", _("Location given by the phone")
    DENIED = "denied", _("Location not shared")
    UNAVAILABLE = "unavailable", _("Location unavailable")


class VisitCheckIn(models.Model):
    """One agent's arrival: server time, and the phone's location as given (never tracked after)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="check_ins")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    at = models.DateTimeField(_("checked in at"))
    position_status = models.CharField(_("location"), max_length=12, choices=PositionStatus.choices)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance to the address (m)"), null=True, blank=True)
    decision = models.ForeignKey(
        "compliance.RuleDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [models.UniqueConstraint(fields=["visit", "agent"], name="checkin_once_per_agent")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.agent_id} {self.at:%Y-%m-%d %H:%M}"


class Relation(models.TextChoices):
    DEBTOR = "debtor", _("The debtor")
    FAMILY = "family", _("A family member")
    COLLEAGUE = "colleague", _("A colleague")
    OTHER = "other", _("Someone else")
    NOBODY = "nobody", _("Nobody answered")


class Identification(models.TextChoices):
    ID_CARD = "id_card", _("ID card sighted")
    KNOWN = "known", _("Known from prior contact")
    NOT_IDENTIFIED = "not_identified", _("Not identified")


class Entry(models.TextChoices):
    DOORSTEP = "doorstep", _("At the door")
    INSIDE = "inside", _("Invited inside")
    ELSEWHERE = "elsewhere", _("Elsewhere (outside the home)")


class DebtorState(models.TextChoices):
    CALM = "calm", _("Calm")
    UPSET = "upset", _("Upset")
    AGITATED = "agitated", _("Agitated")


class EvidenceShown(models.TextChoices):
    CONTRACT = "contract", _("Loan contract")
    REPAYMENT_RECORDS = "repayment_records", _("Repayment records")
    STATEMENT = "statement", _("Statement of the debt")


class Outcome(models.TextChoices):
    PROMISE = "promise_to_pay", _("Promise to pay")
    AGREEMENT = "agreement_to_draft", _("Agreement to draft")
    REFUSAL = "refusal_to_pay", _("Refusal to pay")
    DISPUTE = "dispute_raised", _("Dispute raised")
    ASKED_TO_LEAVE = "asked_to_leave", _("Asked us to leave")
    WE_LEFT = "we_left", _("We left (debtor agitated)")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    NOT_MET = "debtor_not_met", _("Debtor not met")
    LOCATION = "location_question", _("Asked where to find the debtor")


# Outcomes when the person met is the verified debtor, and when they are not (IDENTITY_BEFORE_DISCLOSURE:
# nothing about the debt is said to anyone else, so no debt outcome can come of it).
DEBTOR_OUTCOMES = (
    Outcome.PROMISE,
    Outcome.AGREEMENT,
    Outcome.REFUSAL,
    Outcome.DISPUTE,
    Outcome.ASKED_TO_LEAVE,
    Outcome.WE_LEFT,
    Outcome.RESCHEDULED,
)
NOT_DEBTOR_OUTCOMES = (Outcome.NOT_MET, Outcome.LOCATION)


class LogStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for correction")


# The fields of the identity and credential checks: confirmed once, before anything about the debt is
# recorded as said, and never changed afterwards (not even in a correction).
CHECK_FIELDS = (
    "work_ids_shown",
    "authorization_shown",
    "authorization_number",
    "purpose_stated",
    "relation",
    "identification",
    "id_match",
    "entry",
    "entry_consent",
    "recording_consent",
)
CONVERSATION_FIELDS = (
    "started_at",
    "ended_at",
    "people_present",
    "evidence_shown",
    "talking_points",
    "default_reasons",
    "willingness",
    "capacity",
    "debtor_state",
    "safety_incident",
    "police_called",
    "incident_note",
    "statement_shown",
)
NOT_DEBTOR_FIELDS = ("nothing_about_debt_said", "third_party_note")
OUTCOME_FIELDS = (
    "outcome",
    "promise_amount",
    "promise_currency",
    "promise_date",
    "dispute_text",
    "reschedule_note",
    "refuses_visits",
    "summary",
)
# What a correction may change: the record of the conversation, not the checks or the outcome (they
# moved the case and, for a dispute, put it on hold).
CORRECTABLE_FIELDS = (
    *CONVERSATION_FIELDS,
    "third_party_note",
    "promise_amount",
    "promise_date",
    "dispute_text",
    "reschedule_note",
    "summary",
)

# Everything a correction copies from the returned version into the new draft.
ALL_LOG_COPY_FIELDS = (
    *CHECK_FIELDS,
    "id_tries",
    "checks_confirmed_at",
    "checks_confirmed_by",
    *CONVERSATION_FIELDS,
    "conversation_saved_at",
    *NOT_DEBTOR_FIELDS,
    *OUTCOME_FIELDS,
)


class VisitLog(TimeStampedModel):
    """One version of the visit log. The draft (status draft) is saved step by step as it is filled."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="logs")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=LogStatus.choices, default=LogStatus.DRAFT)

    # 1. Credentials and identity (CREDENTIALS_SHOWN, IDENTITY_BEFORE_DISCLOSURE, ENTRY_CONSENT)
    work_ids_shown = models.JSONField(_("agents who showed their work ID"), default=list, blank=True)
    authorization_shown = models.BooleanField(_("the authorization letter was shown"), default=False)
    authorization_number = models.CharField(_("authorization number shown"), max_length=64, blank=True)
    purpose_stated = models.BooleanField(_("the purpose of the visit was stated"), default=False)
    relation = models.CharField(_("person met"), max_length=12, choices=Relation.choices, blank=True)
    identification = models.CharField(
        _("how they were identified"), max_length=16, choices=Identification.choices, blank=True
    )
    # The result of comparing the last digits of the document sighted with the debtor's on file; the
    # digits themselves are not stored.
    id_match = models.BooleanField(_("document matches the debtor's"), null=True, blank=True)
    # How many comparisons did not match (the pack's `id_check_tries` caps them; then the mismatch is
    # recorded and the person is not identified).
    id_tries = models.PositiveSmallIntegerField(_("ID comparisons that did not match"), default=0)
    entry = models.CharField(_("where"), max_length=12, choices=Entry.choices, blank=True)
    entry_consent = models.BooleanField(_("explicitly invited inside"), default=False)
    recording_consent = models.BooleanField(_("consented to recording"), null=True, blank=True)
    checks_confirmed_at = models.DateTimeField(_("checks confirmed at"), null=True, blank=True)
    checks_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # 2. The conversation (only when the person met is the verified debtor)
    started_at = models.DateTimeField(_("conversation started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("conversation ended"), null=True, blank=True)
    people_present = models.TextField(_("people present"), blank=True, max_length=500)
    evidence_shown = models.JSONField(_("evidence of the debt shown"), default=list, blank=True)
    talking_points = models.TextField(_("talking points"), blank=True, max_length=4000)
    default_reasons = models.TextField(_("the debtor's reasons for default"), blank=True, max_length=2000)
    willingness = models.CharField(
        _("stated willingness to repay"), max_length=8, choices=Level.choices, blank=True
    )
    capacity = models.CharField(
        _("stated capacity to repay"), max_length=8, choices=Level.choices, blank=True
    )
    debtor_state = models.CharField(
        _("the debtor's state"), max_length=10, choices=DebtorState.choices, blank=True
    )
    safety_incident = models.BooleanField(_("safety incident"), default=False)
    police_called = models.BooleanField(_("police called"), default=False)
    incident_note = models.TextField(_("what happened"), blank=True, max_length=2000)
    statement_shown = models.BooleanField(_("statement of the debt shown"), default=False)
    conversation_saved_at = models.DateTimeField(null=True, blank=True)

    # 2'. The person met is not the verified debtor
    nothing_about_debt_said = models.BooleanField(_("nothing about the debt was said"), default=False)
    third_party_note = models.TextField(_("what was said"), blank=True, max_length=1000)

    # 3. The outcome
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    promise_amount = models.DecimalField(
        _("promised amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    promise_currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    promise_date = models.DateField(_("promised by"), null=True, blank=True)
    dispute_text = models.TextField(_("what the debtor disputes"), blank=True, max_length=2000)
    reschedule_note = models.TextField(_("when to come back"), blank=True, max_length=500)
    refuses_visits = models.BooleanField(_("the debtor refuses further visits"), default=False)
    summary = models.TextField(_("summary"), blank=True, max_length=4000)

    # Submission (once) and review
    submitted_at = models.DateTimeField(_("received at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_submitted_at = models.DateTimeField(_("submitted on the phone at"), null=True, blank=True)
    late = models.BooleanField(_("received after the visit window"), default=False)
    submit_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True, max_length=2000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["visit", "-version"]
        verbose_name = _("visit log")
        verbose_name_plural = _("visit logs")
        constraints = [models.UniqueConstraint(fields=["visit", "version"], name="visitlog_version_unique")]

    def __str__(self) -> str:
        return f"{self.visit_id} v{self.version} ({self.status})"

    @property
    def identity_verified(self) -> bool:
        """The person met is the verified debtor (IDENTITY_BEFORE_DISCLOSURE)."""
        return (
            self.relation == Relation.DEBTOR
            and self.identification in (Identification.ID_CARD, Identification.KNOWN)
            and self.id_match is not False
        )

    @property
    def checks_confirmed(self) -> bool:
        return self.checks_confirmed_at is not None


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    AUDIO = "audio", pgettext_lazy("evidence", "Audio recording")
    VIDEO = "video", _("Video recording")
    STATEMENT = "statement", _("Statement handed to the debtor (generated)")


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    return f"visits/{instance.visit_id}/evidence/{instance.sha256[:16]}-{filename}"


class Evidence(models.Model):
    """A photo, recording or generated statement of a visit: its SHA-256 is computed as it arrives."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=12, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("same file as"),
    )
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


# The six things each agent attests they did not do (CBA guideline; CONC 7.9; DOMAIN.md stage 5).
CONDUCT_ITEMS = (
    ("no_threats", _("I made no threats and used no intimidation.")),
    ("no_insults", _("I used no insults or abusive language.")),
    ("no_violence", _("I used no violence and no force.")),
    ("no_disclosure", _("I disclosed nothing about the debt to anyone but the debtor.")),
    ("no_property", _("I took no property or documents.")),
    ("no_public_notice", _("I posted or left no public notice.")),
)


class ConductAttestation(models.Model):
    """One agent's attestation of their conduct on this visit (CONDUCT_ATTESTED); once per agent."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="attestations")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    at = models.DateTimeField(_("attested at"))
    items = models.JSONField(_("attested"), default=list)
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("conduct attestation")
        verbose_name_plural = _("conduct attestations")
        constraints = [models.UniqueConstraint(fields=["visit", "agent"], name="attestation_once_per_agent")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.agent_id}"
