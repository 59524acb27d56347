"""View helpers shared by the apps: refusals and form errors as messages naming the field and the rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from .errors import DomainError


def report_refusal(request: HttpRequest, error: DomainError, form: Any = None) -> None:
    """Each failure as an error message: `Label: message [CODE]` when the failure's field is a field of
    `form` (the label the user sees on the page), else `message [CODE]` — never a raw field name such as
    `window:` in front of a translated message (the message itself says what it is about)."""
    fields = getattr(form, "fields", {}) if form is not None else {}
    for failure in error.failures:
        label = fields[failure.field].label if failure.field in fields else ""
        prefix = f"{label}: " if label else ""
        messages.error(request, f"{prefix}{failure.message} [{failure.code}]")


def report_form_errors(request: HttpRequest, form: Any) -> None:
    """Each form error as a message that starts with the field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else field
        for error in errors:
            messages.error(request, f"{label}: {error}")
