"""Forms of the agreements stage: they take input only; the services decide and write."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Level

from .models import (
    AcknowledgementForm,
    AgreementKind,
    ClosureReason,
    EscalationKind,
    Frequency,
    NextAction,
    PaymentMethod,
)

# An <input type=date> takes only an ISO value: never the localized format (2026/12/24 in zh-hans).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class KeyedForm(Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class AgreementForm(Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=AgreementKind.choices, widget=forms.RadioSelect(attrs={"class": "choices"})
    )
    total = forms.DecimalField(
        label=_("Total to pay"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    first_due_date = forms.DateField(label=_("First due date"), widget=DATE)
    instalment_count = forms.IntegerField(
        label=_("Number of instalments"), min_value=1, max_value=120, initial=6
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices, initial=Frequency.MONTHLY)
    method = forms.ChoiceField(label=_("How the debtor pays"), choices=PaymentMethod.choices)
    method_note = forms.CharField(
        label=_("Payment details (account, reference to quote)"), max_length=300, required=False
    )
    conditions = forms.CharField(
        label=_("Conditions"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stated_income = forms.DecimalField(
        label=_("The debtor's stated monthly income"), max_digits=14, decimal_places=2, min_value=0
    )
    stated_expenses = forms.DecimalField(
        label=_("The debtor's stated monthly expenses"), max_digits=14, decimal_places=2, min_value=0
    )
    debtor_requested_terms = forms.BooleanField(
        label=_("The debtor asked for these instalments"),
        required=False,
        help_text=_(
            "Only if an instalment is above the rule pack's share of disposable income: no pressure to pay in too few, too large instalments."
        ),
    )
    schedule = forms.CharField(
        label=_("Schedule by hand (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-15 1000.00\n2027-01-15 1000.00"}),
        help_text=_(
            "One instalment per line: date (YYYY-MM-DD) and amount. Empty: equal instalments to the cent."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the agreement"), choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    def clean_schedule(self) -> list[tuple[dt.date, Decimal]] | None:
        text = (self.cleaned_data.get("schedule") or "").strip()
        if not text:
            return None
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            parts = raw.replace(",", " ").split()
            if not parts:
                continue
            try:
                day, amount = dt.date.fromisoformat(parts[0]), Decimal(parts[1])
            except (ValueError, IndexError, ArithmeticError) as error:
                raise forms.ValidationError(
                    _("Line %(n)d: write a date and an amount, e.g. 2026-12-15 1000.00.") % {"n": number}
                ) from error
            lines.append((day, amount))
        return lines

    @classmethod
    def initial_from(cls, agreement: Any) -> dict[str, Any]:
        """A draft's terms as the form's initial values (the edit page)."""
        lines = list(agreement.instalments.all())
        return {
            "kind": agreement.kind,
            "total": agreement.total,
            "first_due_date": agreement.first_due_date,
            "instalment_count": agreement.instalment_count,
            "frequency": agreement.frequency,
            "method": agreement.method,
            "method_note": agreement.method_note,
            "conditions": agreement.conditions,
            "stated_income": agreement.stated_income,
            "stated_expenses": agreement.stated_expenses,
            "debtor_requested_terms": agreement.debtor_requested_terms,
            "schedule": "\n".join(f"{i.due_date.isoformat()} {i.amount}" for i in lines)
            if agreement.schedule_edited
            else "",
            "language": agreement.language,
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "total": data["total"],
            "first_due_date": data["first_due_date"],
            "instalment_count": data["instalment_count"],
            "frequency": data["frequency"],
            "method": data["method"],
            "method_note": data.get("method_note", ""),
            "conditions": data.get("conditions", ""),
            "stated_income": data["stated_income"],
            "stated_expenses": data["stated_expenses"],
            "debtor_requested_terms": data.get("debtor_requested_terms", False),
            "schedule_lines": data.get("schedule"),
            "language": data["language"],
        }


class SignForm(KeyedForm):
    """The three signatures drawn on the phone (PNG data URLs filled by signature.js)."""

    debtor_signature = forms.CharField(widget=forms.HiddenInput, required=False)
    agent_signature = forms.CharField(widget=forms.HiddenInput, required=False)
    witness_signature = forms.CharField(widget=forms.HiddenInput, required=False)
    witness_name = forms.CharField(label=_("Witness's name"), max_length=200, required=False)
    debtor_understood = forms.BooleanField(
        label=_("The debtor read (or was read) the terms, understood them and agrees"), required=False
    )


class RemoteSignForm(Form):
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    understood = forms.BooleanField(
        label=_("I have read this agreement, I understand it and I agree"), required=False
    )


class IdentifyForm(Form):
    id_last4 = forms.CharField(
        label=_("The last 4 characters of your ID document number"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class SigningLinkForm(Form):
    channel = forms.ChoiceField(label=_("Send by"), choices=[("sms", _("SMS")), ("email", _("E-mail"))])
    email = forms.EmailField(label=_("E-mail address"), required=False)


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ApprovalForm(Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("send_back", _("Send back"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Creditor's payment reference"), max_length=64)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PaymentImportForm(Form):
    creditor = forms.ModelChoiceField(label=_("Creditor"), queryset=None)  # type: ignore[arg-type]
    file = forms.FileField(label=_("Payment file (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Check only (write nothing)"), required=False)

    def __init__(self, *args: Any, creditors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = creditors  # type: ignore[attr-defined]


class FollowUpForm(Form):
    capacity = forms.ChoiceField(
        label=_("Repayment capacity"), choices=[("", "—"), *Level.choices], required=False
    )
    willingness = forms.ChoiceField(
        label=_("Willingness to repay"), choices=[("", "—"), *Level.choices], required=False
    )
    assessment_note = forms.CharField(
        label=_("Reassessment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    short_goal = forms.CharField(label=_("Short-term goal"), max_length=300, required=False)
    short_goal_amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, required=False)
    short_goal_date = forms.DateField(label=_("By"), widget=DATE, required=False)
    long_goal = forms.CharField(label=_("Long-term goal"), max_length=300, required=False)
    long_goal_date = forms.DateField(label=_("By"), widget=DATE, required=False)
    next_action = forms.ChoiceField(label=_("Next action"), choices=NextAction.choices)
    next_action_note = forms.CharField(label=_("Details"), max_length=300, required=False)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)  # type: ignore[arg-type]
    review_every_days = forms.IntegerField(
        label=_("Review every (days)"), min_value=1, max_value=365, initial=30
    )

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]


class DoneForm(Form):
    note = forms.CharField(label=_("What was done"), max_length=300, required=False)


class EscalationForm(Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=EscalationKind.choices, widget=forms.RadioSelect(attrs={"class": "choices"})
    )
    law_firm = forms.CharField(label=_("Law firm"), max_length=200)
    lawyer = forms.CharField(label=_("Lawyer"), max_length=200, required=False)
    pay_by = forms.DateField(label=_("Pay by (lawyer's letter)"), widget=DATE, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    language = forms.ChoiceField(label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")])


class CloseForm(Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ClosureReason.choices)
    detail = forms.CharField(
        label=_("Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    creditor_reference = forms.CharField(label=_("Creditor's reference"), max_length=64, required=False)
    documents_returned = forms.CharField(
        label=_("Credit documents returned to the debtor (what)"), max_length=300, required=False
    )
    documents_returned_on = forms.DateField(label=_("Returned on"), widget=DATE, required=False)
    documents_returned_how = forms.CharField(label=_("Returned how"), max_length=200, required=False)
    creditor_informed_on = forms.DateField(label=_("Creditor informed on"), widget=DATE, required=False)
    creditor_informed_how = forms.CharField(label=_("Creditor informed how"), max_length=200, required=False)


class AcknowledgementRecordForm(Form):
    """The debtor's acknowledgement of the debt (agreements.services.acknowledgement_record)."""

    form = forms.ChoiceField(
        label=_("How the debtor acknowledged the debt"),
        choices=AcknowledgementForm.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    acknowledged_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    statement = forms.CharField(
        label=_("What the debtor said or wrote"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        help_text=_("The signed letter, the message (PDF or photo), or the call recording."),
    )
