"""Refusals as messages: a field is named by the label on the page, never by its raw name (issue 18)."""

from __future__ import annotations

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage

from common.errors import DomainError, Failure
from common.views import report_refusal


class WindowForm(forms.Form):
    window = forms.CharField(label="Visit window")


def reported(rf, error: DomainError, form=None) -> list[str]:  # type: ignore[no-untyped-def]
    request = rf.get("/")
    request._messages = CookieStorage(request)
    report_refusal(request, error, form)
    return [str(m) for m in get_messages(request)]


def test_a_refusal_names_the_field_by_its_label_or_not_at_all(rf):
    error = DomainError([Failure("CONTACT_WINDOW", "Outside the hours.", "", "window")])

    assert reported(rf, error, WindowForm()) == ["Visit window: Outside the hours. [CONTACT_WINDOW]"]
    assert reported(rf, error) == ["Outside the hours. [CONTACT_WINDOW]"]
