"""Visit checks of COMPLIANCE.md, evaluated at planning, approval, notice and check-in.

Pure: every input is a plain value (`now` included); hours are judged in each of the debtor's time
zones (Reg F 12 CFR 1006.6(b)(1)(i): every zone linked to the debtor), so DST is handled by zoneinfo.
Whether a failure may be overridden by a supervisor is the rule pack's decision (`overridable`).

Boundaries (each has a test at and just across it, tests/compliance/test_rules_visits.py):
- CONTACT_WINDOW, planned window: starts at or after the opening time and ends at or before the closing
  time, on one local day, in every zone. An instant (`facts.at`: notice, check-in): opening <= t < closing.
  Judged in local wall-clock time, so a DST change moves the UTC hours, never the local ones.
- Dates (work ID, training, mandate, limitation) are the visit's local date in the first zone (the
  visit address's); a work ID or training is valid through its last day.
- NOTICE_LEAD_TIME: notice at exactly the lead time before the window start is in time.
- VISIT_FREQUENCY: counted by debtor-local calendar dates; a rolling window of N days is N consecutive
  dates, so a visit exactly N days before (or after) the new one falls outside every window with it.
  Visits planned later than the new one count too (every window holding the new visit is judged).
- LIMITATION: the period ends on the same date `limitation_years` later; the warning starts the day after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

from .stage1 import CaseFacts, MandateFacts, check_mandate_valid

SRC = {
    "AGENT_QUALIFIED": _("CBA consumer-loan collection guideline; FieldLedger training policy"),
    "MIN_AGENTS": _("CBA consumer-loan collection guideline art. 22 / rule pack policy"),
    "CONTACT_WINDOW": _("CBA guideline 2026, GB/T 45251-2025; Reg F 12 CFR 1006.6(b)(1)(i); FCA CONC 7.9"),
    "NOTICE_LEAD_TIME": _("FCA CONC 7.9.12R; CBA guideline; rule pack policy"),
    "VISIT_FREQUENCY": _("Rule pack policy; 209 CMR 18.17 (example state rule)"),
    "VISIT_REFUSED": _("FieldLedger procedure: respect a refusal of visits"),
    "CEASE_CONTACT": _("Reg F 12 CFR 1006.6(c)"),
    "REPRESENTED": _("Reg F 12 CFR 1006.6(b)(2)"),
    "DISPUTE_OPEN": _("Reg F 12 CFR 1006.38; FCA CONC 7.14"),
    "VULNERABLE": _("FCA CONC 7.2.1R, 7.10"),
    "PLACE_ALLOWED": _("Reg F 12 CFR 1006.6(b)(1)(ii), (b)(3)"),
    "ADDRESS_UNVERIFIED": _("FieldLedger procedure, stage 1: nothing is planned on an unverified address"),
    "LIMITATION": _("PRC Civil Code art. 188, 195; Reg F 12 CFR 1006.26(b)"),
    "VISIT_WINDOW": _("FCA CONC 7.9.12R (notice of the date and likely time); FieldLedger visit procedure"),
    "GENTLER_FIRST": _(
        "Rule pack policy: a visit comes after gentler channels failed (优先考虑其他更温和的办法; "
        "若多次无果，则考虑采用上门); FCA CONC 7.9"
    ),
}
# How early before the notified window the agents may check in.
CHECK_IN_EARLY = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class PackParams:
    """The parameters of one rule-pack version, as plain values."""

    code: str
    version: int
    jurisdiction: str
    contact_window_start: dt.time
    contact_window_end: dt.time
    min_agents: int
    notice_required: bool
    notice_lead_hours: int
    visit_cap: int
    visit_cap_window_days: int
    limitation_years: int
    overridable: frozenset[str] = frozenset()
    gentler_attempts: int = 0  # GENTLER_FIRST: 0 switches the check off
    gentler_window_days: int = 14

    @classmethod
    def from_pack(cls, pack: Any) -> PackParams:
        return cls(
            code=pack.code,
            version=pack.version,
            jurisdiction=pack.jurisdiction,
            contact_window_start=pack.contact_window_start,
            contact_window_end=pack.contact_window_end,
            min_agents=pack.min_agents,
            notice_required=pack.notice_required,
            notice_lead_hours=pack.notice_lead_hours,
            visit_cap=pack.visit_cap,
            visit_cap_window_days=pack.visit_cap_window_days,
            limitation_years=pack.limitation_years,
            overridable=frozenset(pack.overridable or ()),
            gentler_attempts=pack.gentler_attempts,
            gentler_window_days=pack.gentler_window_days,
        )

    def as_trace(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "jurisdiction": self.jurisdiction,
            "contact_window": [self.contact_window_start.isoformat(), self.contact_window_end.isoformat()],
            "min_agents": self.min_agents,
            "notice_required": self.notice_required,
            "notice_lead_hours": self.notice_lead_hours,
            "visit_cap": [self.visit_cap, self.visit_cap_window_days],
            "limitation_years": self.limitation_years,
            "gentler_first": [self.gentler_attempts, self.gentler_window_days],
            "overridable": sorted(self.overridable),
        }


@dataclass(frozen=True)
class AgentFacts:
    agent_id: int
    name: str
    work_id_number: str
    work_id_expires_on: dt.date | None
    training_completed_on: dt.date | None
    training_valid_until: dt.date | None


@dataclass(frozen=True)
class VisitFacts:
    """Everything the visit checks read. Times are aware datetimes; `time_zones` are the debtor's."""

    window_start: dt.datetime
    window_end: dt.datetime
    time_zones: tuple[str, ...]
    agents: tuple[AgentFacts, ...]
    address_kind: str
    address_verified: bool
    case: CaseFacts
    mandate: MandateFacts | None
    overdue_since: dt.date
    place_consent: bool = False  # the debtor consented to a place other than home
    place_inconvenient: bool = False  # the debtor marked this place inconvenient
    hours_consent: bool = False  # a recorded debtor consent covers a time outside the window
    visits_refused: bool = False
    contact_ceased: bool = False
    represented: bool = False
    dispute_open: bool = False
    vulnerable: bool = False
    counted_visits: tuple[dt.datetime, ...] = ()  # earlier visits on this debt where someone was met
    notice_given_at: dt.datetime | None = None
    last_demand_on: dt.date | None = None
    checked_in_agents: tuple[int, ...] | None = None  # at check-in: who is on site
    at: dt.datetime | None = field(default=None)  # the instant judged at notice/check-in
    gentler_contacts: tuple[dt.datetime, ...] = ()  # attempts by other channels (GENTLER_FIRST)

    def as_trace(self) -> dict[str, Any]:
        """The inputs as recorded in a decision: every value a check read, so that the outcome can be
        explained later, but references only: no debtor name, ID number, phone or address text."""
        return {
            "window": [_iso(self.window_start), _iso(self.window_end)],
            "time_zones": list(self.time_zones),
            "agents": [a.agent_id for a in self.agents],
            "agent_qualifications": [
                {
                    "agent": a.agent_id,
                    "work_id": bool(a.work_id_number),
                    "work_id_expires_on": _day(a.work_id_expires_on),
                    "training": [_day(a.training_completed_on), _day(a.training_valid_until)],
                }
                for a in self.agents
            ],
            "checked_in_agents": list(self.checked_in_agents) if self.checked_in_agents is not None else None,
            "address_kind": self.address_kind,
            "address_verified": self.address_verified,
            "place_inconvenient": self.place_inconvenient,
            "case": {"creditor": self.case.creditor_id, "product": self.case.product},
            "mandate": self.mandate.number if self.mandate else None,
            "mandate_valid": (
                [self.mandate.valid_from.isoformat(), self.mandate.valid_until.isoformat()]
                if self.mandate
                else None
            ),
            "flags": {
                "visits_refused": self.visits_refused,
                "contact_ceased": self.contact_ceased,
                "represented": self.represented,
                "dispute_open": self.dispute_open,
                "vulnerable": self.vulnerable,
            },
            "consents": {"place": self.place_consent, "hours": self.hours_consent},
            "counted_visits": [_iso(v) for v in self.counted_visits],
            "notice_given_at": _iso(self.notice_given_at) if self.notice_given_at else None,
            "overdue_since": self.overdue_since.isoformat(),
            "last_demand_on": _day(self.last_demand_on),
            "gentler_contacts": [_iso(c) for c in self.gentler_contacts],
            "at": _iso(self.at) if self.at else None,
        }


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _fail(code: str, message: Any, field_name: str = "", level: str = "refuse") -> Failure:
    return Failure(code, message, SRC.get(code, ""), field_name, level=level)


def _zone(facts: VisitFacts) -> ZoneInfo | None:
    """The visit address's zone (first); with none known, the window's own offset is used for dates."""
    return ZoneInfo(facts.time_zones[0]) if facts.time_zones else None


def _local_date(facts: VisitFacts, value: dt.datetime | None = None) -> dt.date:
    value = value or facts.window_start
    zone = _zone(facts)
    return (value.astimezone(zone) if zone else value).date()


# --- the checks ----------------------------------------------------------------------------------


def check_agent_qualified(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    day = _local_date(facts)
    failures = []
    for agent in facts.agents:
        if not agent.work_id_number or agent.work_id_expires_on is None or agent.work_id_expires_on < day:
            failures.append(
                _fail(
                    "AGENT_QUALIFIED",
                    _("%(name)s has no work ID valid on %(day)s.")
                    % {"name": agent.name, "day": day.isoformat()},
                    "agents",
                )
            )
        if (
            agent.training_completed_on is None
            or agent.training_valid_until is None
            or not agent.training_completed_on <= day <= agent.training_valid_until
        ):
            failures.append(
                _fail(
                    "AGENT_QUALIFIED",
                    _("%(name)s has no current training on the procedure and the law on %(day)s.")
                    % {"name": agent.name, "day": day.isoformat()},
                    "agents",
                )
            )
    return failures


def check_min_agents(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    # Distinct people: an agent named twice is one agent; at check-in only assigned agents who are on
    # site count (someone checked in but not on the plan is not one of "the agents of this visit").
    assigned = {a.agent_id for a in facts.agents}
    present = (
        len(assigned & set(facts.checked_in_agents)) if facts.checked_in_agents is not None else len(assigned)
    )
    if present < pack.min_agents:
        return [
            _fail(
                "MIN_AGENTS",
                _("At least %(min)d agents must go on this visit (%(n)d named).")
                % {"min": pack.min_agents, "n": present},
                "agents",
            )
        ]
    return []


def _inside(local: dt.time, pack: PackParams, *, is_end: bool = False) -> bool:
    if is_end:  # a window may end exactly at the closing time
        return pack.contact_window_start < local <= pack.contact_window_end
    return pack.contact_window_start <= local < pack.contact_window_end


def check_contact_window(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """Planned windows must lie inside the hours in every zone; an instant (notice, check-in) too."""
    if facts.hours_consent:
        return []
    hours = f"{pack.contact_window_start:%H:%M}–{pack.contact_window_end:%H:%M}"
    if not facts.time_zones:  # nothing to judge the hours in: never a silent pass
        return [
            _fail(
                "CONTACT_WINDOW",
                _("The debtor's time zone is unknown; the contact hours cannot be checked."),
                "window",
            )
        ]
    failures = []
    for name in facts.time_zones:
        zone = ZoneInfo(name)
        if facts.at is not None:
            local = facts.at.astimezone(zone)
            if not _inside(local.time(), pack):
                failures.append(
                    _fail(
                        "CONTACT_WINDOW",
                        _("It is %(time)s for the debtor (%(zone)s); contact is allowed only %(hours)s.")
                        % {"time": f"{local:%H:%M}", "zone": name, "hours": hours},
                        "window",
                    )
                )
            continue
        start, end = facts.window_start.astimezone(zone), facts.window_end.astimezone(zone)
        same_day = start.date() == end.date() or (
            end.time() == dt.time(0) and pack.contact_window_end == dt.time(0)
        )
        if not (_inside(start.time(), pack) and _inside(end.time(), pack, is_end=True) and same_day):
            failures.append(
                _fail(
                    "CONTACT_WINDOW",
                    _("The window %(start)s–%(end)s (%(zone)s) is outside the allowed hours %(hours)s.")
                    % {
                        "start": f"{start:%Y-%m-%d %H:%M}",
                        "end": f"{end:%H:%M}",
                        "zone": name,
                        "hours": hours,
                    },
                    "window",
                )
            )
    return failures


def check_notice_lead_time(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """A notice at least `notice_lead_hours` before the window start (exactly the lead time is in time).

    Without a notice: refused at check-in, and before it only once the lead time can no longer be met
    (`now` later than window start minus the lead time); while it can still be met, there is nothing to
    refuse yet.
    """
    if not pack.notice_required:
        return []
    lead = dt.timedelta(hours=pack.notice_lead_hours)
    if facts.notice_given_at is None:
        if facts.checked_in_agents is not None:
            return [
                _fail(
                    "NOTICE_LEAD_TIME",
                    _("No notice was given at least %(h)d hours before the visit.")
                    % {"h": pack.notice_lead_hours},
                    "notice",
                )
            ]
        if facts.window_start - now < lead:
            return [
                _fail(
                    "NOTICE_LEAD_TIME",
                    _("No notice has been given and the visit starts in less than %(h)d hours.")
                    % {"h": pack.notice_lead_hours},
                    "notice",
                )
            ]
        return []
    if facts.window_start - facts.notice_given_at < lead:
        return [
            _fail(
                "NOTICE_LEAD_TIME",
                _("The notice was given less than %(h)d hours before the visit.")
                % {"h": pack.notice_lead_hours},
                "notice",
            )
        ]
    return []


def check_visit_frequency(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """At most `visit_cap` visits in any `visit_cap_window_days` consecutive debtor-local dates.

    Every rolling window that holds the new visit is judged, also those reaching forward to visits
    already planned after it (planning an earlier visit in front of a planned one must not slip
    through). Two visits exactly N days apart never share a window of N days.
    """
    days = pack.visit_cap_window_days
    new = _local_date(facts)
    others = sorted(_local_date(facts, v) for v in facts.counted_visits)
    near = [d for d in others if abs((d - new).days) < days]
    # The windows holding `new` end on `new` or on a later visit less than N days after it.
    ends = [new, *(d for d in near if d > new)]
    worst = max(sum(1 for d in near if (end - d).days < days and d <= end) for end in ends)
    if worst >= pack.visit_cap:
        return [
            _fail(
                "VISIT_FREQUENCY",
                _(
                    "%(n)d other visit(s) on this debt fall within %(days)d days of this one; "
                    "the cap is %(cap)d per %(days)d days."
                )
                % {"n": worst, "days": days, "cap": pack.visit_cap},
                "window",
            )
        ]
    return []


def _flag(
    code: str, value: str, message: Any
) -> Callable[[VisitFacts, PackParams, dt.datetime], list[Failure]]:
    def check(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
        return [_fail(code, message)] if getattr(facts, value) else []

    check.__name__ = f"check_{code.lower()}"
    return check


check_visit_refused = _flag(
    "VISIT_REFUSED",
    "visits_refused",
    _("The debtor refused visits; use letter, email or phone instead."),
)
check_cease_contact = _flag(
    "CEASE_CONTACT",
    "contact_ceased",
    _("The debtor asked in writing that contact cease."),
)
check_represented = _flag(
    "REPRESENTED",
    "represented",
    _("The debtor is represented by a lawyer for this debt: contact the lawyer."),
)
check_dispute_open = _flag(
    "DISPUTE_OPEN",
    "dispute_open",
    _("A dispute or complaint on this debt is open; wait until it is resolved."),
)
check_vulnerable = _flag(
    "VULNERABLE",
    "vulnerable",
    _("The debtor has a vulnerability flag under review."),
)


def check_place_allowed(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    failures = []
    if not facts.address_verified:
        failures.append(_fail("ADDRESS_UNVERIFIED", _("The address is not verified."), "address"))
    if facts.place_inconvenient:
        failures.append(_fail("PLACE_ALLOWED", _("The debtor marked this place as inconvenient."), "address"))
    elif facts.address_kind != "home" and not facts.place_consent:
        failures.append(
            _fail(
                "PLACE_ALLOWED",
                _("Visits go to the home address unless the debtor consented to another place."),
                "address",
            )
        )
    return failures


def check_limitation(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """Warn (never block) when the limitation period may have run; no legal threats then."""
    start = facts.last_demand_on or facts.overdue_since
    try:
        ends = start.replace(year=start.year + pack.limitation_years)
    except ValueError:  # 29 February
        ends = start.replace(year=start.year + pack.limitation_years, day=28)
    if _local_date(facts) > ends:
        return [
            _fail(
                "LIMITATION",
                _("The limitation period may have run (since %(d)s): no threat of legal action.")
                % {"d": ends.isoformat()},
                level="warn",
            )
        ]
    return []


def check_gentler_first(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """At least `gentler_attempts` contact attempts by other channels (phone, SMS, letter, e-mail,
    message) in the `gentler_window_days` up to now (an attempt exactly that many days ago counts)."""
    if pack.gentler_attempts <= 0:
        return []
    since = now - dt.timedelta(days=pack.gentler_window_days)
    tried = sum(1 for at in facts.gentler_contacts if since <= at <= now)
    if tried >= pack.gentler_attempts:
        return []
    return [
        _fail(
            "GENTLER_FIRST",
            _(
                "A visit comes after gentler channels: record at least %(n)d contact attempts by phone, "
                "SMS, letter or e-mail within %(days)d days first (%(tried)d recorded)."
            )
            % {"n": pack.gentler_attempts, "days": pack.gentler_window_days, "tried": tried},
        )
    ]


def check_mandate(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """The mandate covers the visit's local date(s): a window at 23:30 UTC is already the next day in
    Shanghai; a window that runs past midnight (hours consent) must be covered on its last day too."""
    failures = check_mandate_valid(mandate=facts.mandate, case=facts.case, on=_local_date(facts))
    last_day = _local_date(facts, facts.window_end)
    if last_day != _local_date(facts):
        seen = {(f.code, str(f.message)) for f in failures}
        for failure in check_mandate_valid(mandate=facts.mandate, case=facts.case, on=last_day):
            if (failure.code, str(failure.message)) not in seen:
                failures.append(failure)
    return failures


def check_visit_window(facts: VisitFacts, pack: PackParams, now: dt.datetime) -> list[Failure]:
    """At check-in: the agents arrive within the window the debtor was told of (from 30 minutes before
    its start until its end); outside it the debtor does not expect them. Judged on the instant of the
    check-in (`facts.at`); a planned window is its own window, so without an instant it passes."""
    at = facts.at
    if at is None or facts.window_start - CHECK_IN_EARLY <= at <= facts.window_end:
        return []
    zone = _zone(facts)
    local = at.astimezone(zone) if zone else at
    start = facts.window_start.astimezone(zone) if zone else facts.window_start
    end = facts.window_end.astimezone(zone) if zone else facts.window_end
    return [
        _fail(
            "VISIT_WINDOW",
            _("It is %(time)s; the debtor was told to expect the visit %(start)s–%(end)s.")
            % {"time": f"{local:%Y-%m-%d %H:%M}", "start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%H:%M}"},
            "window",
        )
    ]


CHECKS: dict[str, Callable[[VisitFacts, PackParams, dt.datetime], list[Failure]]] = {
    "MANDATE_VALID": check_mandate,
    "AGENT_QUALIFIED": check_agent_qualified,
    "MIN_AGENTS": check_min_agents,
    "CONTACT_WINDOW": check_contact_window,
    "NOTICE_LEAD_TIME": check_notice_lead_time,
    "VISIT_FREQUENCY": check_visit_frequency,
    "VISIT_REFUSED": check_visit_refused,
    "CEASE_CONTACT": check_cease_contact,
    "REPRESENTED": check_represented,
    "DISPUTE_OPEN": check_dispute_open,
    "VULNERABLE": check_vulnerable,
    "PLACE_ALLOWED": check_place_allowed,
    "LIMITATION": check_limitation,
    "VISIT_WINDOW": check_visit_window,
    "GENTLER_FIRST": check_gentler_first,
}

_PLAN = (
    "MANDATE_VALID",
    "AGENT_QUALIFIED",
    "MIN_AGENTS",
    "CONTACT_WINDOW",
    "VISIT_FREQUENCY",
    "VISIT_REFUSED",
    "CEASE_CONTACT",
    "REPRESENTED",
    "DISPUTE_OPEN",
    "VULNERABLE",
    "PLACE_ALLOWED",
    "LIMITATION",
)
CHECKS_BY_MOMENT: dict[str, tuple[str, ...]] = {
    "plan": (*_PLAN, "GENTLER_FIRST"),  # at planning only: approval judges the plan, not the channels
    "approve": (*_PLAN, "NOTICE_LEAD_TIME"),
    "notice": ("CONTACT_WINDOW", "CEASE_CONTACT", "REPRESENTED", "DISPUTE_OPEN", "VISIT_REFUSED"),
    "check_in": (
        "MANDATE_VALID",
        "AGENT_QUALIFIED",
        "MIN_AGENTS",
        "CONTACT_WINDOW",
        "VISIT_WINDOW",
        "NOTICE_LEAD_TIME",
        "VISIT_REFUSED",
        "CEASE_CONTACT",
        "REPRESENTED",
        "DISPUTE_OPEN",
        "VULNERABLE",
    ),
}
# One agent's own check-in: everything of "check_in" but the number of agents on site, which is judged
# when the visit starts (once enough of them have checked in).
CHECKS_BY_MOMENT["check_in_agent"] = tuple(c for c in CHECKS_BY_MOMENT["check_in"] if c != "MIN_AGENTS")


def check_visit(
    *, moment: str, facts: VisitFacts, pack: PackParams, now: dt.datetime, only: Iterable[str] | None = None
) -> list[Failure]:
    """Every failure of the checks due at `moment`, each marked overridable as the pack says."""
    codes = tuple(only) if only is not None else CHECKS_BY_MOMENT[moment]
    failures: list[Failure] = []
    for code in codes:
        for failure in CHECKS[code](facts, pack, now):
            overridable = failure.code in pack.overridable and failure.level == "refuse"
            failures.append(replace(failure, overridable=overridable))
    return failures
