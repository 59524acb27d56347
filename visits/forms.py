"""Planning forms: they take input only; the planning services decide and write.

Times are entered in the DEBTOR's local time (the zone of the chosen address) and turned into aware
datetimes here, so the rules and the database see one instant whatever the user's own zone is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChecklistItem, Purpose


def _address_label(address: Any) -> str:
    return f"{address.get_kind_display()}: {address.masked} ({address.time_zone})"


class VisitPlanForm(forms.Form):
    address = forms.TypedChoiceField(label=_("Address"), coerce=int)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    agents = forms.ModelMultipleChoiceField(
        label=_("Agents"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Active field agents of the case's team; the rule pack sets the minimum."),
    )
    checklist = forms.MultipleChoiceField(
        label=_("Documents to carry"),
        choices=ChecklistItem.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=ChecklistItem.values,
        help_text=_("The authorization letter and each agent's work ID are always required."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("Override reason (supervisors)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Only if the rules refuse for a reason the rule pack lets a supervisor override. "
            "Recorded in the audit trail."
        ),
    )

    def __init__(
        self,
        *args: Any,
        addresses: Any = (),
        agents_qs: Any = None,
        can_override: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {a.pk: a for a in addresses}
        self.fields["address"].choices = [(a.pk, _address_label(a)) for a in self.addresses.values()]
        self.fields["agents"].queryset = agents_qs
        self.fields["agents"].label_from_instance = lambda u: u.display_name
        if not can_override:
            del self.fields["override_reason"]
        zones = sorted({a.time_zone for a in self.addresses.values()})
        self.zones = zones
        self.fields["date"].help_text = _("In the debtor's local time: %(zones)s.") % {
            "zones": ", ".join(zones) or "—"
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        address = self.addresses.get(data.get("address"))  # type: ignore[arg-type]
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if address is not None and day and start and end:
            zone = ZoneInfo(address.time_zone)
            data["window_start"] = dt.datetime.combine(day, start, tzinfo=zone)
            data["window_end"] = dt.datetime.combine(day, end, tzinfo=zone)
            if end <= start:
                self.add_error("end_time", _("The visit must end after it starts."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "address_id": data["address"],
            "purpose": data["purpose"],
            "window_start": data["window_start"],
            "window_end": data["window_end"],
            "agents": list(data["agents"]),
            "checklist": list(data["checklist"]),
            "note": data.get("note", ""),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OverrideForm(forms.Form):
    decision = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Override reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the visit may go ahead despite the refusal. Recorded in the audit trail."),
    )
