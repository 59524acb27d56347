"""Checks on contacts other than visits (COMPLIANCE.md): the one contact gate's rules.

`check_contact` judges every outbound contact (notice, signing link, reminder, SMS, e-mail, letter,
lawyer's letter, call) before it is made or recorded: the hours in every zone linked to the debtor, the
pack's per-channel frequency caps (phone calls: per number and per day, as `check_phone_call`), cease
contact / represented / open dispute / vulnerability, SMS only to a verified number, and LIMITATION for
anything that threatens legal action. Every failure refuses (the gate records the refused decision).
The hours apply to the channels that reach the debtor at once (phone, SMS, e-mail, messaging); a
letter is judged on everything else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

SOURCE_PHONE = _(
    "CBA guideline (6 unanswered calls a day per number); GB/T 45251-2025 (3 conversations a day); Reg F 12 CFR 1006.14(b)"
)
SOURCE_HOURS = _("CBA guideline 2026, GB/T 45251-2025; Reg F 12 CFR 1006.6(b)(1)(i); FCA CONC 7.9")
SOURCE_FREQUENCY = _("Rule pack policy (contacts per channel); Reg F 12 CFR 1006.14(b)")
SOURCE_SMS = _("PIPL art. 6; Reg F 12 CFR 1006.6(d) (third-party disclosure): SMS only to a verified number")

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
    channel: str = "phone"


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


# --- the contact gate's checks ---------------------------------------------------------------------

LEGAL_THREAT_CHANNELS = frozenset({"lawyer_letter"})
# Channels that reach the debtor at the instant they are used (a letter is read when it arrives).
INSTANT_CHANNELS = frozenset({"phone", "sms", "email", "messaging"})
# Results that did not reach anyone and do not count toward a cap.
NOT_COUNTED = frozenset({"failed"})


@dataclass(frozen=True)
class ContactParams:
    """The pack parameters the gate reads."""

    code: str
    version: int
    window_start: dt.time
    window_end: dt.time
    phone: PhoneLimits
    channel_caps: dict[str, tuple[int, int]]  # channel -> (per debtor-local day, per 7 days)
    limitation_years: int
    overridable: frozenset[str] = frozenset()

    @classmethod
    def from_pack(cls, pack: Any) -> ContactParams:
        caps = {
            str(channel): (int(cap.get("per_day", 0)), int(cap.get("per_7_days", 0)))
            for channel, cap in (pack.channel_caps or {}).items()
            if isinstance(cap, dict)
        }
        return cls(
            code=pack.code,
            version=pack.version,
            window_start=pack.contact_window_start,
            window_end=pack.contact_window_end,
            phone=PhoneLimits(
                unanswered_per_day=pack.phone_unanswered_per_day,
                connected_per_day=pack.phone_connected_per_day,
                calls_per_7_days=pack.phone_calls_per_7_days,
                window_start=pack.contact_window_start,
                window_end=pack.contact_window_end,
            ),
            channel_caps=caps,
            limitation_years=pack.limitation_years,
            overridable=frozenset(pack.overridable or ()),
        )

    def as_trace(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "contact_window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "phone": [
                self.phone.unanswered_per_day,
                self.phone.connected_per_day,
                self.phone.calls_per_7_days,
            ],
            "channel_caps": {k: list(v) for k, v in sorted(self.channel_caps.items())},
            "limitation_years": self.limitation_years,
            "overridable": sorted(self.overridable),
        }


@dataclass(frozen=True)
class ContactFacts:
    """What the gate judges: one contact at `at`, the debtor's flags and zones, the earlier contacts."""

    channel: str
    purpose: str
    at: dt.datetime
    time_zones: tuple[str, ...]
    contact_ceased: bool
    represented: bool
    dispute_open: bool
    vulnerable: bool
    result: str = "sent"
    phone_digest: str = ""
    phone_verified: bool | None = None  # the number's status (None: no number involved)
    legal_threat: bool = False
    overdue_since: dt.date | None = None
    last_demand_on: dt.date | None = None
    earlier: tuple[PhoneAttempt, ...] = ()  # earlier contacts with the debtor (8 days), any channel

    @property
    def threatens_legal_action(self) -> bool:
        return self.legal_threat or self.channel in LEGAL_THREAT_CHANNELS

    def as_trace(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "purpose": self.purpose,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "time_zones": list(self.time_zones),
            "result": self.result,
            "phone_digest": self.phone_digest,
            "phone_verified": self.phone_verified,
            "legal_threat": self.threatens_legal_action,
            "flags": {
                "contact_ceased": self.contact_ceased,
                "represented": self.represented,
                "dispute_open": self.dispute_open,
                "vulnerable": self.vulnerable,
            },
            "overdue_since": self.overdue_since.isoformat() if self.overdue_since else None,
            "last_demand_on": self.last_demand_on.isoformat() if self.last_demand_on else None,
            "earlier": len(self.earlier),
        }


def _refuse(code: str, message: Any, source: Any, field: str, params: ContactParams) -> Failure:
    return Failure(code, message, source, field, overridable=code in params.overridable)


def _hours(facts: ContactFacts, params: ContactParams) -> list[Failure]:
    if facts.channel not in INSTANT_CHANNELS:
        return []
    hours = f"{params.window_start:%H:%M}–{params.window_end:%H:%M}"
    if not facts.time_zones:
        return [
            _refuse(
                "CONTACT_WINDOW",
                _("The debtor's time zone is unknown; the contact hours cannot be checked."),
                SOURCE_HOURS,
                "at",
                params,
            )
        ]
    failures = []
    for name in facts.time_zones:
        local = facts.at.astimezone(ZoneInfo(name))
        if not params.window_start <= local.time() < params.window_end:
            failures.append(
                _refuse(
                    "CONTACT_WINDOW",
                    _("It is %(time)s for the debtor (%(zone)s); contact is allowed only %(hours)s.")
                    % {"time": f"{local:%H:%M}", "zone": name, "hours": hours},
                    SOURCE_HOURS,
                    "at",
                    params,
                )
            )
    return failures


def _flags(facts: ContactFacts, params: ContactParams) -> list[Failure]:
    # The messages and sources of the visit checks: one wording per rule code.
    from .visits import SRC

    flags = (
        ("CEASE_CONTACT", facts.contact_ceased, _("The debtor asked in writing that contact cease.")),
        (
            "REPRESENTED",
            facts.represented,
            _("The debtor is represented by a lawyer for this debt: contact the lawyer."),
        ),
        (
            "DISPUTE_OPEN",
            facts.dispute_open,
            _("A dispute or complaint on this debt is open; wait until it is resolved."),
        ),
        ("VULNERABLE", facts.vulnerable, _("The debtor has a vulnerability flag under review.")),
    )
    return [_refuse(code, message, SRC[code], "", params) for code, on, message in flags if on]


def _limitation(facts: ContactFacts, params: ContactParams) -> list[Failure]:
    from .visits import SRC

    start = facts.last_demand_on or facts.overdue_since
    if not facts.threatens_legal_action or start is None:
        return []
    try:
        ends = start.replace(year=start.year + params.limitation_years)
    except ValueError:  # 29 February
        ends = start.replace(year=start.year + params.limitation_years, day=28)
    zone = ZoneInfo(facts.time_zones[0]) if facts.time_zones else dt.UTC
    if facts.at.astimezone(zone).date() <= ends:
        return []
    return [
        _refuse(
            "LIMITATION",
            _("The limitation period may have run (since %(d)s): no lawyer's letter or litigation threat.")
            % {"d": ends.isoformat()},
            SRC["LIMITATION"],
            "channel",
            params,
        )
    ]


def _verified_number(facts: ContactFacts, params: ContactParams) -> list[Failure]:
    if facts.channel != "sms" or facts.phone_verified:
        return []
    return [
        _refuse(
            "SMS_UNVERIFIED",
            _("An SMS goes only to a verified number of the debtor; verify the number first."),
            SOURCE_SMS,
            "phone_id",
            params,
        )
    ]


def _frequency(facts: ContactFacts, params: ContactParams) -> list[Failure]:
    if facts.channel == "phone":
        warnings = check_phone_call(
            at=facts.at,
            result=facts.result,
            phone_digest=facts.phone_digest,
            earlier=tuple(a for a in facts.earlier if a.channel == "phone"),
            time_zones=(),  # hours are judged once, by `_hours`
            limits=params.phone,
        )
        return [
            replace(w, level="refuse", overridable=w.code in params.overridable)
            for w in warnings
            if w.code == "PHONE_ATTEMPTS"
        ]
    per_day, per_week = params.channel_caps.get(facts.channel, (0, 0))
    zone = ZoneInfo(facts.time_zones[0]) if facts.time_zones else dt.UTC
    day = facts.at.astimezone(zone).date()
    same = [a for a in facts.earlier if a.channel == facts.channel and a.result not in NOT_COUNTED]
    failures = []
    today = 1 + sum(1 for a in same if a.at.astimezone(zone).date() == day)
    if per_day and today > per_day:
        failures.append(
            _refuse(
                "CONTACT_FREQUENCY",
                _("%(n)d contacts by %(channel)s with the debtor today; the cap is %(cap)d.")
                % {"n": today, "channel": facts.channel, "cap": per_day},
                SOURCE_FREQUENCY,
                "channel",
                params,
            )
        )
    week = 1 + sum(1 for a in same if facts.at - dt.timedelta(days=7) < a.at <= facts.at)
    if per_week and week > per_week:
        failures.append(
            _refuse(
                "CONTACT_FREQUENCY",
                _("%(n)d contacts by %(channel)s with the debtor in 7 days; the cap is %(cap)d.")
                % {"n": week, "channel": facts.channel, "cap": per_week},
                SOURCE_FREQUENCY,
                "channel",
                params,
            )
        )
    return failures


def check_contact(*, facts: ContactFacts, params: ContactParams) -> list[Failure]:
    """Every reason the contact may not be made (each a refusal), in a stable order."""
    return (
        _flags(facts, params)
        + _hours(facts, params)
        + _limitation(facts, params)
        + _verified_number(facts, params)
        + _frequency(facts, params)
    )
