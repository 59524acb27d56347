"""The limitation period of a case, computed from the record: `limitation_facts(case=…)`.

The period (`RulePack.limitation_years`; CN 3 years, PRC Civil Code art. 188) runs from the debt's
overdue date and starts again from each recorded event the rule pack names in
`limitation_interrupted_by` (PRC Civil Code art. 195: the creditor's demand, the debtor's agreement to
perform; Limitation Act 1980 s.29(5)-30: a written acknowledgement or a payment). The kinds of event:

- `connected_contact`  a demand in a conversation: a call answered by the debtor, the debtor met on a visit;
- `delivered_notice`   a demand that reached the debtor in writing: a letter, e-mail, SMS or message
                        recorded as delivered, a visit notice with a delivery receipt;
- `lawyer_letter`      a lawyer's letter (sent as a contact, or issued as an escalation);
- `acknowledgement_written`, `acknowledgement_oral`  the debtor acknowledged the debt (recorded with its
                        evidence, agreements.services.acknowledgement_record);
- `payment`            a payment by the debtor;
- `agreement`          a repayment agreement the debtor signed.

Compliance is the floor of the dependency graph and never imports a stage app: each stage app registers
the events it records (`register_interruption_source`, in its `AppConfig.ready()`), and this module asks
every source for the case's latest event of the kinds the pack counts, all of them in one query.
Everything that reads the period (the visit checks, agreements, escalation, the case page, other
branches' gates) calls `limitation_facts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from common import bundle

from .models import RulePack

INTERRUPTIONS: dict[str, Any] = {
    "connected_contact": _("a conversation with the debtor (demand)"),
    "delivered_notice": _("a written demand delivered to the debtor"),
    "lawyer_letter": _("a lawyer's letter"),
    "acknowledgement_written": _("the debtor's written acknowledgement"),
    "acknowledgement_oral": _("the debtor's oral acknowledgement"),
    "payment": _("a payment by the debtor"),
    "agreement": _("a repayment agreement signed by the debtor"),
}


@dataclass(frozen=True)
class Interruption:
    """One recorded event that restarts the period: its kind, its debtor-local date, who recorded it."""

    kind: str
    on: dt.date
    by: str = ""  # the user who recorded it (display name), or "" for the system
    ref: str = ""  # what it is, e.g. "contact #12", "payment #3"

    @property
    def label(self) -> str:
        return str(INTERRUPTIONS.get(self.kind, self.kind))


@dataclass(frozen=True)
class InterruptionSource:
    """What a stage app records that may restart the period. `parts(case, kinds)` names the querysets
    (each ordered newest first, as `common.bundle.Part`s with `limit=1`) holding the latest event of the
    kinds counted; `read(case, rows)` turns the rows fetched into `Interruption`s. Every source's parts
    are read together in ONE query (`common.bundle.fetch`), whatever the number of sources."""

    parts: Callable[[Any, frozenset[str]], dict[str, bundle.Part]]
    read: Callable[[Any, dict[str, list[Any]]], Iterable[Interruption]]


_SOURCES: dict[str, InterruptionSource] = {}


def register_interruption_source(key: str, source: InterruptionSource) -> None:
    """Idempotent by key (an app's `ready()` may run twice in tests)."""
    _SOURCES[key] = source


@dataclass(frozen=True)
class LimitationFacts:
    """The period of one case today: its length, start, last interruption and last day."""

    years: int
    overdue_since: dt.date
    interrupted_by: tuple[str, ...]
    last: Interruption | None
    runs_until: dt.date

    @property
    def last_interruption_on(self) -> dt.date | None:
        return self.last.on if self.last else None

    def has_run(self, on: dt.date) -> bool:
        return on > self.runs_until

    def as_trace(self) -> dict[str, Any]:
        return {
            "years": self.years,
            "overdue_since": self.overdue_since.isoformat(),
            "interrupted_by": list(self.interrupted_by),
            "last_interruption": (
                {"kind": self.last.kind, "on": self.last.on.isoformat(), "ref": self.last.ref}
                if self.last
                else None
            ),
            "runs_until": self.runs_until.isoformat(),
        }


def debtor_date(case: Any, at: dt.datetime) -> dt.date:
    """The debtor-local date of an instant (the debtor's zone; Shanghai when none is recorded)."""
    return at.astimezone(ZoneInfo(case.debtor.time_zone or "Asia/Shanghai")).date()


def period_end(start: dt.date, years: int) -> dt.date:
    """The same date `years` later (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def _pack_of(case: Any) -> RulePack:
    code = case.creditor.rule_pack_code
    pack = RulePack.objects.filter(code=code).order_by("-version").first()
    return pack or RulePack.objects.filter(code="cn-default").order_by("-version").get()


def limitation_facts(*, case: Any, pack: RulePack | None = None) -> LimitationFacts:
    """The limitation period of `case` under `pack` (by default the current version of its creditor's
    pack). Only events on or after the overdue date count (nothing restarts a period not yet begun)."""
    pack = pack or _pack_of(case)
    kinds = frozenset(k for k in (pack.limitation_interrupted_by or ()) if k in INTERRUPTIONS)
    last: Interruption | None = None
    parts = {
        f"{key}:{name}": part
        for key, source in _SOURCES.items()
        for name, part in (source.parts(case, kinds) if kinds else {}).items()
    }
    rows = bundle.fetch(parts) if parts else {}
    for key, source in _SOURCES.items():
        prefix = f"{key}:"
        mine = {name[len(prefix) :]: found for name, found in rows.items() if name.startswith(prefix)}
        for event in source.read(case, mine) if mine else ():
            if (
                event.kind in kinds
                and event.on >= case.overdue_since
                and (last is None or event.on > last.on)
            ):
                last = event
    start = last.on if last else case.overdue_since
    return LimitationFacts(
        years=pack.limitation_years,
        overdue_since=case.overdue_since,
        interrupted_by=tuple(k for k in INTERRUPTIONS if k in kinds),
        last=last,
        runs_until=period_end(start, pack.limitation_years),
    )
