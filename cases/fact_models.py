"""Debtor facts the compliance checks read, each recorded with its evidence, and debtor consents.

A `DebtorFact` is a standing fact about the debtor (a written cease-contact request, representation by a
lawyer, a vulnerability, a place the debtor marked inconvenient) and a `Consent` a permission the debtor
gave (contact outside the hours, a place other than home, entry into the home, recording). Both are
written only by cases/services/facts.py (permission, history, audit event) and are never edited: a fact
is lifted and a consent withdrawn, with who, when and why. The checks read the rows in force
(cases/selectors_facts.py); `Debtor.contact_ceased/represented/vulnerable` are a cache the same services
rewrite in the same transaction. A dispute is not a fact here: its one source of truth is the open
`compliance.Complaint` rows (cases/services/disputes.py).

Imported at the end of cases/models.py so that Django registers the models with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import TimeStampedModel


class FactKind(models.TextChoices):
    CEASE_CONTACT = "cease_contact", _("Written request to cease contact")
    REPRESENTATION = "representation", _("Represented by a lawyer")
    VULNERABILITY = "vulnerability", _("Vulnerability")
    INCONVENIENT_PLACE = "inconvenient_place", _("Place marked inconvenient")


class FactScope(models.TextChoices):
    """What contact a cease-contact request or a representation covers."""

    ALL = "all", _("All contact")
    VISITS = "visits", _("Visits only")
    PHONE = "phone", _("Phone calls only")
    SMS = "sms", _("SMS only")
    EMAIL = "email", _("E-mail only")
    LETTER = "letter", _("Letters only")


class ReceivedVia(models.TextChoices):
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    IN_PERSON = "in_person", _("Handed over in person")
    OTHER = "other", _("Other")


class VulnerabilityCategory(models.TextChoices):
    HEALTH = "health", _("Health (physical or mental)")
    LIFE_EVENT = "life_event", _("Life event (bereavement, job loss, separation)")
    CAPABILITY = "capability", _("Capability (language, literacy, mental capacity)")
    RESILIENCE = "resilience", _("Low financial resilience")
    OTHER = "other", _("Other")


class ReportedBy(models.TextChoices):
    DEBTOR = "debtor", _("The debtor")
    FAMILY = "family", _("A family member or carer")
    AGENT = "agent", _("Observed by an agent")
    THIRD_PARTY = "third_party", _("A third party (doctor, adviser, creditor)")


class DebtorFact(TimeStampedModel):
    debtor = models.ForeignKey(
        "cases.Debtor", on_delete=models.PROTECT, related_name="facts", verbose_name=_("debtor")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="debtor_facts",
        verbose_name=_("recorded on case"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=FactKind.choices)
    scope = models.CharField(_("scope"), max_length=8, choices=FactScope.choices, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_via = models.CharField(_("received by"), max_length=16, choices=ReceivedVia.choices, blank=True)
    document = models.ForeignKey(
        "cases.CaseDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence"),
    )
    lawyer_name = models.CharField(_("lawyer's name"), max_length=200, blank=True)
    lawyer_firm = models.CharField(_("law firm"), max_length=200, blank=True)
    lawyer_contact = models.CharField(_("lawyer's contact"), max_length=200, blank=True)
    category = models.CharField(
        _("category"), max_length=16, choices=VulnerabilityCategory.choices, blank=True
    )
    reported_by = models.CharField(_("reported by"), max_length=16, choices=ReportedBy.choices, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True)
    address = models.ForeignKey(
        "cases.DebtorAddress",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facts",
        verbose_name=_("address"),
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("debtor fact")
        verbose_name_plural = _("debtor facts")
        indexes = [models.Index(fields=["debtor", "kind"], name="debtorfact_debtor_kind")]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class ConsentKind(models.TextChoices):
    HOURS = "hours", _("Contact outside the allowed hours")
    PLACE = "place", _("Visit at a place other than home")
    ENTRY = "entry", _("Entry into the home")
    RECORDING = "recording", _("Recording of the visit")


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    WRITTEN = "written", _("In writing")


class Consent(TimeStampedModel):
    """A consent the debtor gave; it counts from `valid_from` until `valid_until` (open-ended when empty)
    unless withdrawn. A place consent names its address; any consent may be limited to one visit."""

    debtor = models.ForeignKey(
        "cases.Debtor", on_delete=models.PROTECT, related_name="consents", verbose_name=_("debtor")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="consents", verbose_name=_("recorded on case")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ConsentKind.choices)
    given_by = models.CharField(_("given by"), max_length=200)
    given_at = models.DateTimeField(_("given at"))
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    document = models.ForeignKey(
        "cases.CaseDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence"),
    )
    address = models.ForeignKey(
        "cases.DebtorAddress",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("address"),
    )
    visit_id = models.PositiveBigIntegerField(_("only for visit"), null=True, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawal recorded by"),
    )
    withdraw_reason = models.TextField(_("reason for withdrawal"), max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["debtor", "kind"], name="consent_debtor_kind")]

    def __str__(self) -> str:
        return str(self.get_kind_display())
