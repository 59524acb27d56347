"""Checks on contacts other than visits: phone-attempt caps and contact hours (COMPLIANCE.md).

A contact is recorded after it happened, so these checks never refuse the record (the record must
say what happened): they return warnings (`level="warn"`) that the service stores with the contact,
puts in its audit event, and shows to the agent — the material of the exceptions report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

SOURCE_PHONE = _(
    "CBA guideline (6 unanswered calls a day per number); GB/T 45251-2025 (3 conversations a day); Reg F 12 CFR 1006.14(b)"
)
SOURCE_HOURS = _("CBA guideline 2026, GB/T 45251-2025; Reg F 12 CFR 1006.6(b)(1)(i); FCA CONC 7.9")

UNANSWERED = frozenset({"no_answer", "left_message"})
CONNECTED = "connected"


@dataclass(frozen=True)
class PhoneLimits:
    unanswered_per_day: int
    connected_per_day: int
    calls_per_7_days: int
    window_start: dt.time
    window_end: dt.time


@dataclass(frozen=True)
class PhoneAttempt:
    at: dt.datetime
    result: str
    phone_digest: str


def check_phone_call(
    *,
    at: dt.datetime,
    result: str,
    phone_digest: str,
    earlier: tuple[PhoneAttempt, ...],
    time_zones: tuple[str, ...],
    limits: PhoneLimits,
) -> list[Failure]:
    """Warnings for a phone call at `at`: outside the hours in any of the debtor's zones, or over a cap
    counting this call (per number and debtor-local day for unanswered calls; per day for conversations;
    any 7 days for all calls)."""
    warnings: list[Failure] = []
    for name in time_zones:
        local = at.astimezone(ZoneInfo(name))
        if not limits.window_start <= local.time() < limits.window_end:
            warnings.append(
                Failure(
                    "CONTACT_WINDOW",
                    _("The call was at %(time)s for the debtor (%(zone)s), outside %(hours)s.")
                    % {
                        "time": f"{local:%H:%M}",
                        "zone": name,
                        "hours": f"{limits.window_start:%H:%M}–{limits.window_end:%H:%M}",
                    },
                    SOURCE_HOURS,
                    "at",
                    level="warn",
                )
            )
    zone = ZoneInfo(time_zones[0]) if time_zones else dt.UTC
    day = at.astimezone(zone).date()
    same_day = [a for a in earlier if a.at.astimezone(zone).date() == day]
    if result in UNANSWERED:
        unanswered = 1 + sum(1 for a in same_day if a.result in UNANSWERED and a.phone_digest == phone_digest)
        if unanswered > limits.unanswered_per_day:
            warnings.append(
                Failure(
                    "PHONE_ATTEMPTS",
                    _("%(n)d unanswered calls to this number today; the cap is %(cap)d.")
                    % {"n": unanswered, "cap": limits.unanswered_per_day},
                    SOURCE_PHONE,
                    "result",
                    level="warn",
                )
            )
    if result == CONNECTED:
        connected = 1 + sum(1 for a in same_day if a.result == CONNECTED)
        if connected > limits.connected_per_day:
            warnings.append(
                Failure(
                    "PHONE_ATTEMPTS",
                    _("%(n)d conversations with the debtor today; the cap is %(cap)d.")
                    % {"n": connected, "cap": limits.connected_per_day},
                    SOURCE_PHONE,
                    "result",
                    level="warn",
                )
            )
    week = 1 + sum(1 for a in earlier if at - dt.timedelta(days=7) < a.at <= at)
    if week > limits.calls_per_7_days:
        warnings.append(
            Failure(
                "PHONE_ATTEMPTS",
                _("%(n)d calls in 7 days; the cap is %(cap)d.") % {"n": week, "cap": limits.calls_per_7_days},
                SOURCE_PHONE,
                "at",
                level="warn",
            )
        )
    return warnings
