"""Helpers shared by the API services: the audited-refusal wrapper and the clock."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()
