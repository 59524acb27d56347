"""Input forms for case work. They take input only; services do the writing."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AddressKind, DocumentKind, FactSource, Level, Stage
from .selectors import SORTS

TIME_ZONES = sorted(zoneinfo.available_timezones())


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Debtor name, contract no. or reference")}),
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)
    creditor = forms.ChoiceField(label=_("Creditor"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("overdue", _("Longest overdue")),
            ("outstanding", _("Largest outstanding")),
            ("debtor", _("Debtor name")),
            ("stage", _("Stage")),
        ],
    )

    def __init__(self, *args, agents=(), creditors=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("All agents"))] + [(a.pk, a.display_name) for a in agents]
        self.fields["creditor"].choices = [("", _("All creditors"))] + [(c.code, c.name) for c in creditors]

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") if self.cleaned_data.get("sort") in SORTS else "newest"


class UnverifyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignAgentsForm(forms.Form):
    agents = forms.ModelMultipleChoiceField(
        label=_("Field agents"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agents_qs=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agents_qs
        self.fields["agents"].label_from_instance = lambda u: u.display_name


class IdentityCheckForm(forms.Form):
    method = forms.CharField(
        label=_("How was the identity document checked?"),
        max_length=200,
        help_text=_("E.g. ID card copy compared with the creditor's KYC record."),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=AddressKind.choices)
    text = forms.CharField(label=_("Address"), max_length=400)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(z, z) for z in TIME_ZONES], initial="Asia/Shanghai"
    )
    source = forms.ChoiceField(label=_("Source"), choices=FactSource.choices)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        decimal_places=6,
        help_text=_("Optional (WGS 84, e.g. 31.188500): check-in then shows the agents' distance."),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, decimal_places=6
    )


class AddressVerifyForm(forms.Form):
    source = forms.ChoiceField(label=_("Verified from"), choices=FactSource.choices)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))


class AssessmentForm(forms.Form):
    capacity = forms.ChoiceField(label=_("Repayment capacity"), choices=Level.choices)
    willingness = forms.ChoiceField(label=_("Willingness to repay"), choices=Level.choices)
    note = forms.CharField(
        label=_("Basis of the assessment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
