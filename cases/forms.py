"""Input forms for case work. They take input only; services do the writing."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
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


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices of a model choice field from objects already read, in their order (validation still
    goes through the field's queryset)."""

    def __init__(self, field: Any, *, objects: list[Any]) -> None:
        super().__init__(field)
        self.objects = objects

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.objects:
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.objects) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.objects)


class AssignAgentsForm(forms.Form):
    agents = forms.ModelMultipleChoiceField(
        label=_("Field agents"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agents_qs=None, agents=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if agents is not None:  # already read (the case page's bundle): offer them without a query
            self.fields["agents"].iterator = functools.partial(ListedChoiceIterator, objects=agents)
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


# --- complaints, disputes and dossiers (cases/complaint_views.py) -----------------------------------


class ComplaintForm(forms.Form):
    """A complaint or a dispute as someone reported it, on any channel."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            ("complaint", _("Complaint (no hold)")),
            ("dispute", _("Dispute: the debtor contests the debt or its handling (the case goes on hold)")),
        ],
        widget=forms.RadioSelect,
        initial="complaint",
    )
    channel = forms.ChoiceField(label=_("Received through"))
    raised_by = forms.ChoiceField(label=_("Raised by"))
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Your local time; empty means now."),
    )
    visit = forms.TypedChoiceField(label=_("Visit concerned"), required=False, coerce=int, empty_value=None)
    agent = forms.TypedChoiceField(label=_("Agent concerned"), required=False, coerce=int, empty_value=None)
    text = forms.CharField(
        label=_("What they said"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("Kept for the compliance officer; the audit trail holds only its digest."),
    )

    def __init__(
        self,
        *args: object,
        visits: list[tuple[int, str]] = (),  # type: ignore[assignment]
        agents: list[tuple[int, str]] = (),  # type: ignore[assignment]
        **kwargs: object,
    ) -> None:
        from compliance.models import Complaint

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        channels = [c for c in Complaint.Channel.choices if c[0] != Complaint.Channel.PUBLIC_PAGE]
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self.fields["raised_by"].choices = Complaint.RaisedBy.choices  # type: ignore[attr-defined]
        self.fields["visit"].choices = [("", "—"), *visits]  # type: ignore[attr-defined]
        self.fields["agent"].choices = [("", "—"), *agents]  # type: ignore[attr-defined]


class WorkspaceComplaintForm(ComplaintForm):
    """The same, from the compliance workspace: the case is named by its id (required for a dispute)."""

    case = forms.IntegerField(label=_("Case id"), required=False, min_value=1)
    field_order = ["case", "kind", "channel", "raised_by", "received_at", "agent", "text"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["visit"]

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("kind") == "dispute" and not data.get("case"):
            self.add_error("case", _("A dispute holds a case: name the case."))
        return data


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from compliance.models import Complaint

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["outcome"].choices = Complaint.Outcome.choices  # type: ignore[attr-defined]


class DossierForm(forms.Form):
    profile = forms.ChoiceField(label=_("Redaction profile"))

    LABELS = {
        "regulator": _("Regulator (everything)"),
        "creditor": _("Creditor (debtor's data masked)"),
        "debtor": _("Debtor: subject-access request (no agent's personal data)"),
    }

    def __init__(self, *args: object, profiles: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["profile"].choices = [(p, self.LABELS[p]) for p in profiles]  # type: ignore[attr-defined]
