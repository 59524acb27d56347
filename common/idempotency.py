"""Submission keys: every form that records something carries one, made when the form is rendered, so
that a double tap or a retry after a timeout on a weak network records once (the services look the key
up on the rows they write)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from .errors import DomainError, Failure

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def checked_key(value: str) -> str:
    """The key, trimmed; refused (IDEMPOTENCY_KEY) when missing or malformed."""
    value = (value or "").strip()
    if not KEY_PATTERN.match(value):
        raise DomainError(
            [
                Failure(
                    "IDEMPOTENCY_KEY",
                    _("The form is missing its submission key; reload the page and submit again."),
                    "",
                    "idempotency_key",
                )
            ]
        )
    return value
