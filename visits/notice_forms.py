"""Input forms for notices, answers, contacts and notice templates. Input only; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, ContactResult, NoticeAnswer

NOTICE_CHANNEL_CHOICES = [
    (c.value, c.label) for c in (Channel.PHONE, Channel.SMS, Channel.LETTER, Channel.EMAIL)
]
LANGUAGE_CHOICES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NoticeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=NOTICE_CHANNEL_CHOICES)
    given_at = forms.DateTimeField(
        label=_("Given at (your time zone)"),
        widget=DATETIME_WIDGET,
        help_text=_("For SMS and email: now; they are sent as soon as the notice is recorded."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    phone_id = forms.TypedChoiceField(
        label=_("Phone"), required=False, coerce=int, empty_value=None, help_text=_("For phone and SMS.")
    )
    email = forms.EmailField(label=_("Email address"), required=False, help_text=_("For email only."))
    text = forms.CharField(
        label=_("Text (leave empty to use the template)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never write the amount owed: a notice may be read by others."),
    )

    def __init__(self, *args: Any, phones: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phones = list(phones)
        verified = next((p for p in phones if p.status == "verified"), None)
        # Never call a phone verified that is not: the default names the number it stands for, and
        # says so when there is none (an SMS then is refused: SMS_UNVERIFIED).
        default = (
            _("The first verified phone: %(phone)s") % {"phone": verified.masked}
            if verified is not None
            else _("No verified phone: an SMS will be refused; a call gets the limited notice")
        )
        self.fields["phone_id"].choices = [("", default)] + [
            (p.pk, f"{p.masked} ({p.get_status_display()})") for p in phones
        ]


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("The debtor's answer"),
        choices=[(a.value, a.label) for a in NoticeAnswer if a != NoticeAnswer.PENDING],
    )
    note = forms.CharField(
        label=_("What the debtor said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    proposed_window_start = forms.DateTimeField(
        label=_("Proposed window starts"), required=False, widget=DATETIME_WIDGET
    )
    proposed_window_end = forms.DateTimeField(
        label=_("Proposed window ends"), required=False, widget=DATETIME_WIDGET
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[c for c in Channel.choices if c[0] != Channel.VISIT]
    )
    at = forms.DateTimeField(label=_("When (your time zone)"), widget=DATETIME_WIDGET)
    result = forms.ChoiceField(label=_("Result"), choices=ContactResult.choices)
    phone_id = forms.TypedChoiceField(label=_("Phone"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, phones: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone_id"].choices = [("", "—")] + [(p.pk, p.masked) for p in phones]


class ResumeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for resuming visits"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Email subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 8}))


class ComplaintForm(forms.Form):
    text = forms.CharField(
        label=_("What happened (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
