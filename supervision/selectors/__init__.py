"""Reads of the supervisor's dashboard, its item lists and the KPIs, for one team.

Every figure is counted or summed in SQL (conditional `Count`/`Sum`, scalar subqueries), so a page
costs the same fixed number of queries at 100 cases and at 100k. Every read starts from
`policies.team_cases(user, team)`: the team's cases the user may see.

Dates and periods are in the deployment's time zone (settings.TIME_ZONE), like the team calendar;
the debtor's time zone matters for the contact rules, not for a team's statistics.
"""

from ._shared import (
    IN_FORCE_STATES,
    ITEMS_LIMIT,
    MADE_STATES,
    REACHED_RESULTS,
    RECENT_DAYS,
    local_midnight,
    team_choice,
    week_of,
)
from .dashboard import Dashboard, StageCount, VisitStateCount, dashboard
from .items import ITEM_KINDS, Item, ItemKind, items
from .kpis import KpiRow, KpiTable, Rate, kpis

__all__ = [
    "IN_FORCE_STATES",
    "ITEMS_LIMIT",
    "ITEM_KINDS",
    "MADE_STATES",
    "REACHED_RESULTS",
    "RECENT_DAYS",
    "Dashboard",
    "Item",
    "ItemKind",
    "KpiRow",
    "KpiTable",
    "Rate",
    "StageCount",
    "VisitStateCount",
    "dashboard",
    "items",
    "kpis",
    "local_midnight",
    "team_choice",
    "week_of",
]
