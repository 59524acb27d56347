"""View helpers shared by the apps: refusals and form errors as messages naming the field and the rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from .errors import DomainError


def report_refusal(request: HttpRequest, error: DomainError) -> None:
    """Each failure as an error message: `field: message [CODE]`."""
    for failure in error.failures:
        field = f"{failure.field}: " if failure.field else ""
        messages.error(request, f"{field}{failure.message} [{failure.code}]")


def report_form_errors(request: HttpRequest, form: Any) -> None:
    """Each form error as a message that starts with the field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else field
        for error in errors:
            messages.error(request, f"{label}: {error}")
