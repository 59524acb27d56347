"""Input forms of the case page's "Debtor facts" section. Input only: cases/services/facts.py validates
each fact by its kind and writes it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import Currency

from .fact_models import (
    ConsentKind,
    ConsentMethod,
    FactKind,
    FactScope,
    ReceivedVia,
    ReportedBy,
    VulnerabilityCategory,
)
from .models import FactSource

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
EVIDENCE_HELP = _("PDF, PNG or JPEG; it is added to the case's documents.")


class _AddressChoice(forms.Form):
    def __init__(self, *args: Any, addresses: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        if "address" in self.fields:
            self.fields["address"].choices = [("", "—"), *addresses]  # type: ignore[attr-defined]


class CeaseContactForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    received_via = forms.ChoiceField(label=_("Received by"), choices=ReceivedVia.choices)
    scope = forms.ChoiceField(label=_("Contact it covers"), choices=FactScope.choices)
    file = forms.FileField(label=_("The request (scan or file)"), required=False, help_text=EVIDENCE_HELP)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RepresentationForm(forms.Form):
    lawyer_name = forms.CharField(label=_("Lawyer's name"), max_length=200)
    lawyer_firm = forms.CharField(label=_("Law firm"), max_length=200, required=False)
    lawyer_contact = forms.CharField(label=_("Lawyer's phone, e-mail or address"), max_length=200)
    scope = forms.ChoiceField(label=_("Contact it covers"), choices=FactScope.choices)
    file = forms.FileField(label=_("Letter of representation"), required=False, help_text=EVIDENCE_HELP)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class VulnerabilityForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=VulnerabilityCategory.choices)
    reported_by = forms.ChoiceField(label=_("Reported by"), choices=ReportedBy.choices)
    review_due = forms.DateField(label=_("Review due"), widget=DATE)
    file = forms.FileField(label=_("Evidence"), required=False, help_text=EVIDENCE_HELP)
    note = forms.CharField(
        label=_("What was reported"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only what the work needs; the audit trail keeps only its digest."),
    )


class InconvenientPlaceForm(_AddressChoice):
    address = forms.TypedChoiceField(label=_("Address"), coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("Why (as the debtor said)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


FACT_FORMS: dict[str, type[forms.Form]] = {
    FactKind.CEASE_CONTACT: CeaseContactForm,
    FactKind.REPRESENTATION: RepresentationForm,
    FactKind.VULNERABILITY: VulnerabilityForm,
    FactKind.INCONVENIENT_PLACE: InconvenientPlaceForm,
}


def fact_service_kwargs(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments from a valid form's cleaned data."""
    values = dict(data)
    upload = values.pop("file", None)
    if "address" in values:
        values["address_id"] = values.pop("address")
    return {"kind": kind, "upload": upload, **values}


class ConsentForm(_AddressChoice):
    kind = forms.ChoiceField(label=_("Consent to"), choices=ConsentKind.choices)
    given_by = forms.CharField(
        label=_("Given by"),
        max_length=200,
        help_text=_("The debtor, or who else gave it and in what capacity."),
    )
    given_at = forms.DateTimeField(label=_("Given at"), widget=DATETIME, help_text=_("Your local time."))
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    valid_from = forms.DateTimeField(
        label=_("Valid from"), required=False, widget=DATETIME, help_text=_("Empty: from when it was given.")
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False, widget=DATETIME, help_text=_("Empty: until withdrawn.")
    )
    address = forms.TypedChoiceField(
        label=_("Address (place consent)"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Required for a consent to a place other than home."),
    )
    file = forms.FileField(
        label=_("Evidence"), required=False, help_text=_("Required for a written consent.")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_kwargs(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["upload"] = values.pop("file", None)
        values["address_id"] = values.pop("address", None)
        return values


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FinancesForm(forms.Form):
    occupation = forms.CharField(label=_("Occupation"), max_length=200, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=200, required=False)
    monthly_income = forms.DecimalField(
        label=_("Monthly income"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    income_currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CNY")
    assets = forms.CharField(
        label=_("Assets"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.ChoiceField(label=_("Source"), choices=FactSource.choices)
