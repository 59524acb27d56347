"""The server's clock is the record: a time someone types (a notice given, a contact made) is checked
against the moment it is recorded.

- it may not lie in the future (more than 5 minutes of clock drift) nor before the approval it depends on
  (GIVEN_IN_FUTURE, GIVEN_BEFORE_APPROVAL: refused);
- it may precede its recording by the pack's grace (`typed_time_grace_minutes`); earlier is a late
  recording: kept (the record says what happened) but counted from the recording time less the grace,
  and listed in the compliance exceptions report (`visits.late_recording`, from the event's
  `late_minutes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

from ._shared import SOURCE_PROCEDURE

CLOCK_DRIFT = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class TypedTime:
    """A typed time judged against the recording: the failures, where it counts from, how late."""

    failures: list[Failure]
    counts_from: dt.datetime
    late_minutes: int  # 0 when recorded within the grace


def typed_time(
    *,
    typed: dt.datetime,
    now: dt.datetime,
    pack: Any,
    field: str,
    approved_at: dt.datetime | None = None,
) -> TypedTime:
    grace = dt.timedelta(minutes=pack.typed_time_grace_minutes)
    failures = []
    if typed > now + CLOCK_DRIFT:
        failures.append(
            Failure("GIVEN_IN_FUTURE", _("The time given lies in the future."), SOURCE_PROCEDURE, field)
        )
    if approved_at is not None and typed < approved_at:
        failures.append(
            Failure(
                "GIVEN_BEFORE_APPROVAL",
                _("A notice cannot have been given before the visit was approved."),
                SOURCE_PROCEDURE,
                field,
            )
        )
    earliest = now - grace
    late = max(0, int((earliest - typed).total_seconds() // 60))
    return TypedTime(failures=failures, counts_from=max(typed, earliest), late_minutes=late)
