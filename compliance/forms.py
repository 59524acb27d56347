"""Forms of the compliance workspace: input only (services decide, views redirect)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .models import AuditExport, Complaint
from .search import AuditFilter

DEBTOR_REF = RegexValidator(
    r"^(\d{1,18}|[0-9a-f]{64})$", _("A debtor id, or the 64-character digest of a document number.")
)
ACTION = RegexValidator(r"^[a-z0-9_.]*$", _("Letters, digits, dots and underscores only, e.g. case."))
RULE_CODE = RegexValidator(r"^[A-Z][A-Z0-9_]*$", _("A rule code in capitals, e.g. MIN_AGENTS."))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateRangeMixin:
    """`date_from` <= `date_to`, both optional UTC days."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))  # type: ignore[attr-defined]
        return data


class AuditSearchForm(DateRangeMixin, forms.Form):
    case = forms.CharField(
        label=_("Case"),
        required=False,
        max_length=120,
        help_text=_(
            "The case reference as shown on its page (CREDITOR/REFERENCE, or the reference alone), or its id."
        ),
    )
    debtor = forms.CharField(
        label=_("Debtor reference"),
        required=False,
        max_length=64,
        validators=[DEBTOR_REF],
        help_text=_("The debtor's id or document-number digest; never a name or number in plain text."),
    )
    actor = forms.CharField(
        label=_("Actor"),
        required=False,
        max_length=150,
        help_text=_("A username, user:<id>, system or anonymous."),
    )
    action = forms.CharField(
        label=_("Action starts with"), required=False, max_length=64, validators=[ACTION]
    )
    code = forms.CharField(label=_("Rule code"), required=False, max_length=40, validators=[RULE_CODE])
    date_from = forms.DateField(label=_("From (UTC day)"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To (UTC day)"), required=False, widget=DateInput())

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean_case(self) -> int | None:
        """A case reference (what people read on the case page) or the internal id → the case id."""
        from django.apps import apps

        value = (self.cleaned_data.get("case") or "").strip()
        if not value:
            return None
        if value.isdigit():
            return int(value)
        creditor, _slash, ref = value.rpartition("/")
        cases = apps.get_model("cases", "Case").objects.filter(external_ref=ref)
        if creditor:
            cases = cases.filter(creditor__code=creditor)
        found = list(cases.values_list("pk", flat=True)[:2])
        if not found:
            raise forms.ValidationError(_("No case %(ref)s.") % {"ref": value})
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several creditors use the reference %(ref)s: write CREDITOR/%(ref)s.") % {"ref": ref}
            )
        return found[0]

    def clean_actor(self) -> str:
        value = (self.cleaned_data.get("actor") or "").strip()
        if value in ("", "system", "anonymous"):
            return value
        match = re.fullmatch(r"(?:user:)?(\d+)", value)
        users = get_user_model().objects
        user = users.filter(pk=int(match[1])).first() if match else users.filter(username=value).first()
        if user is None:
            raise forms.ValidationError(_("No user %(name)s.") % {"name": value})
        return f"user:{user.pk}"

    def filter(self) -> AuditFilter:
        """The filter of the fields that are valid (an invalid field is shown with its error, not used)."""
        if not self.is_bound:
            return AuditFilter()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return AuditFilter(
            case_id=data.get("case"),
            debtor=data.get("debtor") or "",
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            code=data.get("code") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class DebtorLookupForm(forms.Form):
    """Find a debtor's reference from their document number, posted (never put in a URL)."""

    id_number = forms.CharField(label=_("Document number"), max_length=64)


class ExportForm(AuditSearchForm):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=AuditExport.Format.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["jsonl"],
    )


class AlertAcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("closed", _("Resolved")), ("all", _("All"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Complaint.Kind.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Complaint.Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    case = forms.IntegerField(label=_("Case id"), required=False, min_value=1)


class ReportFilterForm(DateRangeMixin, forms.Form):
    """The exceptions report's filter (team and creditor choices come from the case directory)."""

    date_from = forms.DateField(label=_("From (UTC day)"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To (UTC day)"), required=False, widget=DateInput())
    code = forms.CharField(label=_("Rule code"), required=False, max_length=40, validators=[RULE_CODE])
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    creditor = forms.TypedChoiceField(label=_("Creditor"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: Any, teams: list[tuple[int, str]], creditors: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All")), *teams]  # type: ignore[attr-defined]
        self.fields["creditor"].choices = [("", _("All")), *creditors]  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean_actor(self) -> int | None:
        value = (self.cleaned_data.get("actor") or "").strip()
        if not value:
            return None
        match = re.fullmatch(r"(?:user:)?(\d+)", value)
        users = get_user_model().objects
        user = users.filter(pk=int(match[1])).first() if match else users.filter(username=value).first()
        if user is None:
            raise forms.ValidationError(_("No user %(name)s.") % {"name": value})
        return int(user.pk)


class MonthForm(forms.Form):
    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, max_length=7)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All")), *teams]  # type: ignore[attr-defined]

    def month_start(self, today: dt.date) -> dt.date:
        value = self.cleaned_data.get("month") if self.is_valid() else None
        if value:
            year, month = value.split("-")
            return dt.date(int(year), int(month), 1)
        return today.replace(day=1)


class AccessLogForm(DateRangeMixin, forms.Form):
    case = forms.IntegerField(label=_("Case id"), required=False, min_value=1)
    actor = AuditSearchForm.base_fields["actor"]
    date_from = forms.DateField(label=_("From (UTC day)"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To (UTC day)"), required=False, widget=DateInput())
    clean_actor = AuditSearchForm.clean_actor


class DecisionFilterForm(DateRangeMixin, forms.Form):
    pack = forms.ChoiceField(label=_("Rule pack"), required=False)
    version = forms.IntegerField(label=_("Version"), required=False, min_value=1)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    action = forms.CharField(
        label=_("Action starts with"), required=False, max_length=64, validators=[ACTION]
    )
    case = forms.IntegerField(label=_("Case id"), required=False, min_value=1)
    date_from = forms.DateField(label=_("From (UTC day)"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To (UTC day)"), required=False, widget=DateInput())

    def __init__(
        self, *args: Any, pack_codes: list[str], outcomes: list[tuple[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pack"].choices = [("", _("All")), *[(c, c) for c in pack_codes]]  # type: ignore[attr-defined]
        self.fields["outcome"].choices = [("", _("All")), *outcomes]  # type: ignore[attr-defined]


class LegalHoldForm(forms.Form):
    case = forms.IntegerField(label=_("Case id"), min_value=1)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class LegalHoldLiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for lifting"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
