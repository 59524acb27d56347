"""Jurisdiction floors: the least strict value any rule pack of a jurisdiction may hold.

No version, copy or approval may go below its jurisdiction's floor: a value below it is refused with
`PACK_BELOW_FLOOR` naming the field, whoever asks and however many officers agree. Above the floor, a
loosening relative to the version in force waits for a second compliance officer (`compliance.packs`).
The values and their sources are those of /work/shared/COMPLIANCE.md ("Rule-pack parameters"); where a
source gives no number the parameter has no floor (a house policy).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.errors import Failure

# The checks a supervisor may ever override (COMPLIANCE.md: "refuse; override"). Every other check
# (CEASE_CONTACT, REPRESENTED, DISPUTE_OPEN, CONTACT_WINDOW, MIN_AGENTS, ...) stays non-overridable.
OVERRIDABLE_AT_MOST = frozenset(
    {"NOTICE_LEAD_TIME", "VISIT_FREQUENCY", "VISIT_REFUSED", "VULNERABLE", "GENTLER_FIRST"}
)


@dataclass(frozen=True)
class Floor:
    """Bounds per parameter: ("min", value) the value may not fall below, ("max", value) not rise
    above, ("true", True) may not be switched off, ("subset", codes) no code outside `codes`."""

    jurisdiction: str
    bounds: dict[str, tuple[str, Any]]
    sources: dict[str, str]


FLOORS: dict[str, Floor] = {
    "CN": Floor(
        "CN",
        {
            "contact_window_start": ("min", dt.time(8, 0)),
            "contact_window_end": ("max", dt.time(22, 0)),
            "min_agents": ("min", 2),
            "notice_required": ("true", True),
            "phone_unanswered_per_day": ("max", 6),
            "phone_connected_per_day": ("max", 3),
            "retention_years": ("min", 2),
            "limitation_years": ("max", 3),
            "overridable": ("subset", OVERRIDABLE_AT_MOST),
        },
        {
            "contact_window_start": "CBA consumer-loan collection guideline 2026; GB/T 45251-2025",
            "contact_window_end": "CBA consumer-loan collection guideline 2026; GB/T 45251-2025",
            "min_agents": "CBA guideline art. 22",
            "notice_required": "CBA guideline (prior notice required)",
            "phone_unanswered_per_day": "CBA guideline (≤ 6 unanswered per day per number)",
            "phone_connected_per_day": "GB/T 45251-2025 (≤ 3 connected conversations per day)",
            "retention_years": "Card rules art. 68 (at least 2 years)",
            "limitation_years": "Civil Code art. 188 (3 years)",
            "overridable": "COMPLIANCE.md checks table: only 'refuse; override' checks",
        },
    ),
    "US": Floor(
        "US",
        {
            "contact_window_start": ("min", dt.time(8, 0)),
            "contact_window_end": ("max", dt.time(21, 0)),
            "min_agents": ("min", 1),
            "phone_calls_per_7_days": ("max", 7),
            "retention_years": ("min", 3),
            "overridable": ("subset", OVERRIDABLE_AT_MOST),
        },
        {
            "contact_window_start": "12 CFR 1006.6(b)(1)(i)",
            "contact_window_end": "12 CFR 1006.6(b)(1)(i)",
            "min_agents": "policy (at least one agent)",
            "phone_calls_per_7_days": "12 CFR 1006.14(b) (more than 7 calls in 7 days loses the safe harbour)",
            "retention_years": "12 CFR 1006.100 (3 years)",
            "overridable": "COMPLIANCE.md checks table: only 'refuse; override' checks",
        },
    ),
    "UK": Floor(
        "UK",
        {
            "contact_window_start": ("min", dt.time(8, 0)),
            "contact_window_end": ("max", dt.time(21, 0)),
            "min_agents": ("min", 1),
            "notice_required": ("true", True),
            "overridable": ("subset", OVERRIDABLE_AT_MOST),
        },
        {
            "contact_window_start": "FCA MCOB 13.5.4G by analogy; CONC 7.9 unreasonable times",
            "contact_window_end": "FCA MCOB 13.5.4G by analogy; CONC 7.9 unreasonable times",
            "min_agents": "policy (at least one agent)",
            "notice_required": "FCA CONC 7.9.12R (adequate notice of date and likely time)",
            "overridable": "COMPLIANCE.md checks table: only 'refuse; override' checks",
        },
    ),
}

SOURCE_FLOORS = _("FieldLedger jurisdiction floors (docs/compliance.md): no version may go below them")


def floor_for(jurisdiction: str) -> Floor | None:
    return FLOORS.get(jurisdiction)


def _show(value: Any) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(value))
    return str(value)


def below_floor(*, jurisdiction: str, values: dict[str, Any], labels: dict[str, str]) -> list[Failure]:
    """One `PACK_BELOW_FLOOR` failure per parameter of `values` beyond its jurisdiction's floor."""
    floor = floor_for(jurisdiction)
    if floor is None:
        return []
    failures: list[Failure] = []
    for name, (kind, bound) in floor.bounds.items():
        if name not in values or values[name] is None:
            continue
        value = values[name]
        params = {
            "field": labels.get(name, name),
            "jurisdiction": jurisdiction,
            "floor": _show(bound),
            "value": _show(value),
            "source": floor.sources.get(name, ""),
        }
        if kind == "min" and value < bound:
            message = _(
                "%(field)s: %(value)s is below the %(jurisdiction)s floor of %(floor)s (%(source)s); "
                "no version may go below it."
            )
        elif kind == "max" and value > bound:
            message = _(
                "%(field)s: %(value)s is beyond the %(jurisdiction)s floor of %(floor)s (%(source)s); "
                "no version may go beyond it."
            )
        elif kind == "true" and not value:
            message = _("%(field)s cannot be switched off in a %(jurisdiction)s pack (%(source)s).")
        elif kind == "subset" and set(value) - set(bound):
            params["value"] = _show(set(value) - set(bound))
            message = _(
                "%(field)s: %(value)s may never be overridden in a %(jurisdiction)s pack (%(source)s)."
            )
        else:
            continue
        failures.append(Failure("PACK_BELOW_FLOOR", message % params, SOURCE_FLOORS, name))
    return failures


def floor_rows(jurisdiction: str, labels: dict[str, str]) -> list[dict[str, str]]:
    """The floor of a jurisdiction for the pack page: field, bound and source."""
    floor = floor_for(jurisdiction)
    if floor is None:
        return []
    words = {"min": _("at least"), "max": _("at most"), "true": _("must stay on"), "subset": _("only")}
    return [
        {
            "name": name,
            "label": labels.get(name, name),
            "bound": f"{words[kind]} {_show(bound)}" if kind != "true" else str(words[kind]),
            "source": floor.sources.get(name, ""),
        }
        for name, (kind, bound) in floor.bounds.items()
    ]
