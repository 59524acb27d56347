"""Input forms for case work. They take input only; services do the writing."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from common.money import Currency
from common.pii import normalize_phone, phone_digest

from .models import AddressKind, Debtor, DocumentKind, FactSource, Level, Stage, TimeZoneSource
from .selectors import SORTS

MAX_BULK_CASES = 500

TIME_ZONES = sorted(zoneinfo.available_timezones())


PHONE_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# The list's query keys, in the order the canonical query string gives them.
FILTER_KEYS = (
    "q",
    "pd",
    "stage",
    "agent",
    "creditor",
    "team",
    "supervisor",
    "overdue",
    "next_action",
    "flags",
    "currency",
    "amount_min",
    "amount_max",
    "sort",
)
SORT_CHOICES = [
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("overdue", _("Longest overdue")),
    ("outstanding", _("Largest outstanding")),
    ("debtor", _("Debtor name")),
    ("stage", _("Stage")),
]


class CaseFilterForm(forms.Form):
    """The case list's filters, combined. A phone number is never carried in a URL: the form is posted,
    the number is turned into its digest (`pd`) and the list redirects to a URL holding only that."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Debtor name, contract no. or reference")}),
    )
    phone = forms.CharField(
        label=_("Phone (exact)"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Matched on its digest; the number is not kept in the address bar."),
    )
    pd = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)
    creditor = forms.ChoiceField(label=_("Creditor"), required=False)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    supervisor = forms.TypedChoiceField(label=_("Supervisor"), required=False, coerce=int, empty_value=None)
    overdue = forms.ChoiceField(
        label=_("Days past due"),
        required=False,
        choices=[
            ("", _("Any")),
            ("0-30", _("0–30 days")),
            ("31-90", _("31–90 days")),
            ("91-180", _("91–180 days")),
            ("181-365", _("181–365 days")),
            ("365+", _("More than 365 days")),
        ],
    )
    next_action = forms.ChoiceField(
        label=_("Next action"),
        required=False,
        choices=[
            ("", _("Any")),
            ("overdue", _("Overdue")),
            ("this_week", _("Due this week")),
            ("none", _("No follow-up planned")),
        ],
    )
    flags = forms.MultipleChoiceField(
        label=_("Debtor flags (all of)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            *((name, Debtor._meta.get_field(name).verbose_name) for name in Debtor.FLAG_FIELDS),
            # Not a debtor field: an open dispute or complaint on the case (its one source of truth).
            ("disputed", _("Open dispute or complaint")),
        ],
    )
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, choices=[("", _("Any")), *Currency.choices]
    )
    amount_min = forms.DecimalField(
        label=_("Outstanding from"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    amount_max = forms.DecimalField(
        label=_("Outstanding up to"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(  # type: ignore[no-untyped-def]
        self, *args, agents=(), creditors=(), teams=(), supervisors=(), **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("All agents"))] + [(a.pk, a.display_name) for a in agents]
        self.fields["creditor"].choices = [("", _("All creditors"))] + [(c.code, c.name) for c in creditors]
        self.fields["team"].choices = [("", _("All teams"))] + [(t.pk, t.name) for t in teams]
        self.fields["supervisor"].choices = [("", _("All supervisors"))] + [
            (u.pk, u.display_name) for u in supervisors
        ]
        if len(teams) < 2:  # one team (a supervisor's, an agent's): nothing to choose
            del self.fields["team"]

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") if self.cleaned_data.get("sort") in SORTS else "newest"

    def clean_phone(self) -> str:
        raw = (self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return ""
        number = normalize_phone(raw)
        if not re.fullmatch(r"\+?\d{5,15}", number):
            raise forms.ValidationError(
                _("Enter a phone number of 5 to 15 digits (spaces and dashes allowed).")
            )
        return number

    def clean_pd(self) -> str:
        value = (self.cleaned_data.get("pd") or "").strip()
        if value and not PHONE_DIGEST.match(value):
            raise forms.ValidationError(_("This phone search is not valid; search by the number again."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "amount_max", _("The upper bound must not be below the lower bound (%(low)s).") % {"low": low}
            )
        if data.get("phone"):
            data["pd"] = phone_digest(data["phone"])
        return data

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of `selectors.case_list` (the form must be valid)."""
        data = self.cleaned_data
        return {
            "q": data["q"],
            "phone_digest": data["pd"],
            "stage": data["stage"],
            "agent_id": data["agent"],
            "creditor_code": data["creditor"],
            "team_id": data.get("team"),
            "supervisor_id": data["supervisor"],
            "overdue": data["overdue"],
            "next_action": data["next_action"],
            "flags": tuple(data["flags"]),
            "currency": data["currency"],
            "amount_min": data["amount_min"],
            "amount_max": data["amount_max"],
            "sort": data["sort"] or "newest",
        }

    def canonical_query(self) -> str:
        """The filter as a query string: only what is set, in a fixed order, the phone as its digest."""
        data = self.cleaned_data
        query = QueryDict(mutable=True)
        for key in FILTER_KEYS:
            value = data.get(key)
            if key == "sort" and value == "newest":
                continue
            if key == "flags":
                query.setlist(key, list(value or []))
            elif value not in (None, ""):
                query[key] = str(value)
        return query.urlencode()


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name of this filter"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class BulkSelectForm(forms.Form):
    """The cases ticked on the list (or every case of the page) and what to do with them."""

    ACTIONS = [
        ("assign", _("Assign or reassign agents")),
        ("supervisor", _("Change supervisor")),
        ("export", _("Export as CSV")),
    ]
    action = forms.ChoiceField(label=_("With the selected cases"), choices=ACTIONS)
    case = forms.TypedMultipleChoiceField(required=False, coerce=int)
    page_ids = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    all_on_page = forms.BooleanField(label=_("Select all on this page"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service keeps only the user's visible cases and names the rest.
        self.fields["case"].valid_value = lambda value: True  # type: ignore[attr-defined]

    def clean_page_ids(self) -> list[int]:
        raw = self.cleaned_data.get("page_ids") or ""
        if not re.fullmatch(r"[\d,]*", raw):
            raise forms.ValidationError(_("The list of cases on the page is not valid."))
        return [int(p) for p in raw.split(",") if p]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ids = list(data.get("case") or [])
        if data.get("all_on_page"):
            ids += data.get("page_ids") or []
        ids = sorted(set(ids))
        if not ids:
            self.add_error("case", _("Select at least one case."))
        elif len(ids) > MAX_BULK_CASES:
            self.add_error("case", _("Select at most %(n)d cases at a time.") % {"n": MAX_BULK_CASES})
        data["case_ids"] = ids
        return data


class BulkAssignForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How"),
        choices=[
            ("replace", _("Reassign: the chosen agents replace the current ones")),
            ("add", _("Add the chosen agents to the current ones")),
        ],
        widget=forms.RadioSelect,
        initial="replace",
    )
    agents = forms.ModelMultipleChoiceField(
        label=_("Field agents"), queryset=None, required=True, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agents_qs=None, loads=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agents_qs
        self.fields["agents"].label_from_instance = agent_label(loads or {})
        self.fields["agents"].error_messages["required"] = _("Choose at least one field agent.")


class BulkSupervisorForm(forms.Form):
    supervisor = forms.ModelChoiceField(label=_("New supervisor"), queryset=None)

    def __init__(self, *args, supervisors_qs=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors_qs
        self.fields["supervisor"].label_from_instance = lambda u: u.display_name


class BulkExportForm(forms.Form):
    full_pii = forms.BooleanField(
        label=_("Include full ID numbers and phones (recorded in the audit trail)"), required=False
    )


def agent_label(loads: dict[int, Any]):  # type: ignore[no-untyped-def]
    """An agent's choice label, with their workload when it is known."""

    def label(user: Any) -> str:
        load = loads.get(user.pk)
        if load is None:
            return user.display_name
        return _("%(name)s — %(open)d open cases, %(visits)d visits this week") % {
            "name": user.display_name,
            "open": load.open_cases,
            "visits": load.visits_this_week,
        }

    return label


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

    def __init__(self, *args, agents_qs=None, agents=None, loads=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if agents is not None:  # already read (the case page's bundle): offer them without a query
            self.fields["agents"].iterator = functools.partial(ListedChoiceIterator, objects=agents)
        self.fields["agents"].queryset = agents_qs
        self.fields["agents"].label_from_instance = agent_label(loads or {})


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
        label=_("Time zone"),
        choices=[("", _("Derive it from the coordinates")), *((z, z) for z in TIME_ZONES)],
        initial="Asia/Shanghai",
        required=False,
        help_text=_("Every check judges the hours in each address's zone."),
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


class AddressTimeZoneForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Time zone from"),
        choices=[
            (TimeZoneSource.AGENT, _("The zone chosen here")),
            (TimeZoneSource.COORDINATES, _("The coordinates")),
        ],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False, choices=[("", "—"), *((z, z) for z in TIME_ZONES)]
    )


class AddressVerifyForm(forms.Form):
    source = forms.ChoiceField(label=_("Verified from"), choices=FactSource.choices)


class PhoneAddForm(forms.Form):
    number = forms.CharField(label=_("Phone number"), max_length=32)
    source = forms.ChoiceField(label=_("Source"), choices=FactSource.choices)


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
