"""On-site forms: they take input only (the on-site services decide and write).

Every form that records something carries an idempotency key, made when the form is rendered: a double
tap or a resubmission after a timeout sends the same key and the service records once. Times typed by
the agents are the debtor's local time on the day of the visit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Level

from .models import (
    CONDUCT_ITEMS,
    DEBTOR_OUTCOMES,
    NOT_DEBTOR_OUTCOMES,
    DebtorState,
    Entry,
    EvidenceShown,
    Identification,
    Outcome,
    PositionStatus,
    Relation,
    Visit,
    VisitLog,
)

YES_NO_UNKNOWN = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


def new_key() -> str:
    return uuid.uuid4().hex


class WizardForm(forms.Form):
    """A form of the phone wizard: labels without the trailing colon (they sit above big targets)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class KeyedForm(WizardForm):
    """A submission with its idempotency key and the phone's clock when it was sent (set by onsite.js)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    client_time = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())

    def clean_client_time(self) -> dt.datetime | None:
        value = self.cleaned_data.get("client_time")
        if value is not None and value.tzinfo is None:
            return None  # a phone clock without its offset says nothing reliable
        return value


class CheckInForm(KeyedForm):
    position_status = forms.ChoiceField(
        choices=PositionStatus.choices, initial=PositionStatus.UNAVAILABLE, widget=forms.HiddenInput
    )
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    accuracy = forms.DecimalField(required=False, min_value=0, max_value=10_000_000, widget=forms.HiddenInput)

    def position(self) -> tuple[Any, str]:
        from .services import Position

        data = self.cleaned_data
        status = data.get("position_status") or PositionStatus.UNAVAILABLE
        if (
            status == PositionStatus.GIVEN
            and data.get("latitude") is not None
            and data.get("longitude") is not None
        ):
            accuracy = data.get("accuracy")
            return Position(
                data["latitude"], data["longitude"], int(accuracy) if accuracy is not None else None
            ), status
        if status == PositionStatus.GIVEN:
            status = PositionStatus.UNAVAILABLE
        return None, status


def _radio(choices: Any, label: Any, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect(attrs={"class": "choices"}), required=required
    )


class ChecksForm(WizardForm):
    """The ordered checklist before any word about the debt (CREDENTIALS_SHOWN, IDENTITY_BEFORE_DISCLOSURE,
    ENTRY_CONSENT)."""

    work_ids_shown = forms.TypedMultipleChoiceField(
        label=_("1. Each agent showed the work ID"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    authorization_shown = forms.BooleanField(
        label=_("2. The creditor's authorization letter was shown"), required=False
    )
    authorization_number = forms.CharField(label=_("Authorization number"), max_length=64, required=False)
    purpose_stated = forms.BooleanField(label=_("3. The purpose of the visit was stated"), required=False)
    relation = _radio(Relation.choices, _("4. Who was met"), required=True)
    identification = _radio(Identification.choices, _("How they were identified"))
    id_last4 = forms.CharField(
        label=_("Last 4 characters of the ID card sighted"),
        max_length=4,
        min_length=4,
        required=False,
        help_text=_("Compared with the debtor's document on file, never stored."),
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off", "size": 4}),
    )
    entry = _radio(Entry.choices, _("5. Where"))
    entry_consent = forms.BooleanField(
        label=_("The occupant explicitly invited us inside"),
        required=False,
        help_text=_("Required to go inside the home (ENTRY_CONSENT)."),
    )
    recording_consent = forms.ChoiceField(
        label=_("6. Consent to recording"),
        choices=YES_NO_UNKNOWN,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )

    def __init__(self, *args: Any, agents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_ids_shown"].choices = [
            (a.pk, f"{a.display_name} ({a.work_id_number or '—'})") for a in agents
        ]

    @classmethod
    def initial_from(cls, log: VisitLog) -> dict[str, Any]:
        consent = {True: "yes", False: "no"}.get(log.recording_consent, "")  # type: ignore[call-overload]
        return {
            "work_ids_shown": log.work_ids_shown,
            "authorization_shown": log.authorization_shown,
            "authorization_number": log.authorization_number,
            "purpose_stated": log.purpose_stated,
            "relation": log.relation,
            "identification": log.identification,
            "entry": log.entry,
            "entry_consent": log.entry_consent,
            "recording_consent": consent,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["recording_consent"] = {"yes": True, "no": False}.get(data.get("recording_consent") or "")
        return data


class ConversationForm(WizardForm):
    started = forms.TimeField(
        label=_("Started"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), required=False
    )
    ended = forms.TimeField(
        label=_("Ended"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), required=False
    )
    people_present = forms.CharField(label=_("People present"), max_length=500, required=False)
    evidence_shown = forms.MultipleChoiceField(
        label=_("Evidence of the debt shown"),
        choices=EvidenceShown.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    talking_points = forms.CharField(
        label=_("Talking points"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    default_reasons = forms.CharField(
        label=_("The debtor's reasons for default"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    willingness = forms.ChoiceField(
        label=_("Stated willingness to repay"), choices=[("", "—"), *Level.choices], required=False
    )
    capacity = forms.ChoiceField(
        label=_("Stated capacity to repay"), choices=[("", "—"), *Level.choices], required=False
    )
    debtor_state = _radio(DebtorState.choices, _("The debtor's state"))
    safety_incident = forms.BooleanField(label=_("Safety incident"), required=False)
    police_called = forms.BooleanField(label=_("Police called"), required=False)
    incident_note = forms.CharField(
        label=_("What happened"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    statement_shown = forms.BooleanField(label=_("The statement of the debt was shown"), required=False)

    def __init__(self, *args: Any, visit: Visit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visit = visit

    @classmethod
    def initial_from(cls, log: VisitLog, visit: Visit, now: dt.datetime) -> dict[str, Any]:
        zone = ZoneInfo(visit.time_zone)
        started = log.started_at or visit.on_site_at or now
        return {
            "started": started.astimezone(zone).time().replace(second=0, microsecond=0),
            "ended": (log.ended_at or now).astimezone(zone).time().replace(second=0, microsecond=0),
            **{
                name: getattr(log, name)
                for name in (
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
            },
        }

    def _at(self, value: dt.time | None) -> dt.datetime | None:
        if value is None:
            return None
        zone = ZoneInfo(self.visit.time_zone)
        day = (self.visit.on_site_at or self.visit.window_start).astimezone(zone).date()
        return dt.datetime.combine(day, value, tzinfo=zone)

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("started", "ended")}
        data["started_at"] = self._at(self.cleaned_data.get("started"))
        data["ended_at"] = self._at(self.cleaned_data.get("ended"))
        return data


class NotDebtorForm(WizardForm):
    nothing_about_debt_said = forms.BooleanField(
        label=_("Nothing about the debt was said to the person met"), required=False
    )
    third_party_note = forms.CharField(
        label=_("What was said (e.g. asked when the debtor is at home)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(WizardForm):
    outcome = _radio(Outcome.choices, _("Outcome"))
    promise_amount = forms.DecimalField(
        label=_("Promised amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    promise_date = forms.DateField(
        label=_("Promised by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
    )
    dispute_text = forms.CharField(
        label=_("What the debtor disputes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reschedule_note = forms.CharField(label=_("When to come back"), max_length=500, required=False)
    refuses_visits = forms.BooleanField(label=_("The debtor refuses further visits"), required=False)
    summary = forms.CharField(
        label=_("Summary"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, debtor_met: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the outcomes that apply are offered; any other is still accepted here, so that the
        # service refuses it with its rule's code (IDENTITY_BEFORE_DISCLOSURE).
        allowed = DEBTOR_OUTCOMES if debtor_met else NOT_DEBTOR_OUTCOMES
        self.fields["outcome"].widget.choices = [(o.value, o.label) for o in allowed]
        if not debtor_met:
            for name in (
                "promise_amount",
                "promise_date",
                "dispute_text",
                "reschedule_note",
                "refuses_visits",
            ):
                del self.fields[name]

    @classmethod
    def initial_from(cls, log: VisitLog) -> dict[str, Any]:
        return {
            name: getattr(log, name)
            for name in (
                "outcome",
                "promise_amount",
                "promise_date",
                "dispute_text",
                "reschedule_note",
                "refuses_visits",
                "summary",
            )
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); each is still its own evidence."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,audio/*,video/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class EvidenceForm(KeyedForm):
    files = MultipleFileField(label=_("Photos or recordings"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class AttestForm(KeyedForm):
    items = forms.MultipleChoiceField(
        label=_("I attest that on this visit"),
        choices=CONDUCT_ITEMS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class CompleteForm(KeyedForm):
    pass


class HandOverForm(KeyedForm):
    language = forms.ChoiceField(
        label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")], initial="zh-hans"
    )


class CommentForm(WizardForm):
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AbortForm(WizardForm):
    reason = forms.CharField(
        label=_("Why the visit ends without a log"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
