"""Field types shared by the API serializers: UTC timestamps out, aware timestamps in, ids in range."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..pagination import MAX_KEY

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


class UtcDateTimeField(serializers.DateTimeField):
    """Every timestamp the API returns is UTC, ISO 8601 with a Z."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """A timestamp the client sends must say its offset (`2026-11-26T10:00:00+08:00` or `…Z`)."""

    default_error_messages = {
        "invalid": _("Give an ISO 8601 time with its UTC offset, e.g. 2026-11-26T10:00:00+08:00."),
        "naive": _("Give the time with its UTC offset, e.g. 2026-11-26T10:00:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            self.fail("invalid")
        if timezone.is_naive(parsed):
            self.fail("naive")
        try:
            result = parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            self.fail("invalid")
        if not (EARLIEST <= result <= LATEST):
            self.fail("invalid")
        return result


def IdField(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_KEY, **kwargs)


def local_iso(value: dt.datetime | None, zone: str) -> str | None:
    """The instant in `zone`, ISO 8601 with its offset (the debtor's wall-clock time)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).isoformat()


class PersonRefSerializer(serializers.Serializer):
    """A colleague as the user pages show them (users only; creditors get ids)."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")
