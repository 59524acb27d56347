"""Assignment helpers (reads): each agent's workload, the area of an address, a suggested agent by area.

Agents have no area of their own in the model, so an agent's areas are derived from the cases they
work now: the home addresses (not marked invalid) of the debtors of their open (not closed) cases.
A case's area is the area of the address a visit is planned at, else of the debtor's home address.
The suggested agent for a case is the one with the most open cases in that area; ties go to the one
with fewer open cases, then fewer visits this week, then by name. The rule is shown on the pages.

An address is free text; its area is read from its start:
- Chinese: up to the district or county (区, 县, 旗) when one appears in the first 15 characters,
  else up to the city (市), e.g. 北京市朝阳区建国路1号 → 北京市朝阳区;
- other scripts: everything after the first comma-separated part (the street and number), in lower
  case, e.g. "12 Baker Street, Westminster, London" → "westminster, london".
Areas are compared only with each other and never shown in full beyond that district or city level.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User

from .models import Case, CaseAssignment, DebtorAddress, Stage, VerificationStatus

CJK = re.compile(r"[\u4e00-\u9fff]")
DISTRICT = re.compile(r"^(.{1,14}?(?:区|县|旗))")
CITY = re.compile(r"^(.{1,14}?市)")
# Visits that take an agent's time this week: every state but those that never happen.
VISIT_STATES_NOT_COUNTED = ("cancelled", "expired", "refused", "returned")
# A visit is planned (not yet done) in these states: its address is the case's area.
VISIT_STATES_PLANNED = ("planned", "approved", "notified")


def address_area(text: str) -> str:
    """The district/city part of an address (see the module docstring); "" when none can be read."""
    text = (text or "").strip()
    if not text:
        return ""
    if CJK.search(text[:20]):
        compact = re.sub(r"\s+", "", text)
        match = DISTRICT.match(compact) or CITY.match(compact)
        return match.group(1) if match else ""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return ", ".join(parts[1:]).lower() if len(parts) > 1 else ""


@dataclass
class AgentLoad:
    agent: User
    open_cases: int
    visits_this_week: int
    areas: Counter[str] = field(default_factory=Counter)  # open cases per area

    @property
    def name(self) -> str:
        return self.agent.display_name

    @property
    def top_areas(self) -> list[tuple[str, int]]:
        return self.areas.most_common(3)


def week_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to next Monday 00:00, in the agency's time zone (settings.TIME_ZONE)."""
    monday = today - dt.timedelta(days=today.weekday())
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=7)


def _count(qs: QuerySet[Any], by: str) -> Subquery:
    return Coalesce(
        Subquery(
            qs.order_by().values(by).annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
        ),
        Value(0),
    )


def team_agents(*, team_id: int | None) -> QuerySet[User]:
    """Active field agents of the team (every active field agent when the case has no team)."""
    qs = User.objects.filter(is_active=True, groups__name=Role.FIELD_AGENT)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return qs.order_by("full_name", "username")


def agent_loads(*, agents: QuerySet[User], today: dt.date | None = None) -> list[AgentLoad]:
    """Each agent with open cases, visits this week and open cases per area: two queries in all."""
    today = today or timezone.localdate()
    start, end = week_bounds(today)
    visit_agents = User._meta.get_field("visit_assignments").related_model._default_manager
    open_assignments = CaseAssignment.objects.exclude(case__stage=Stage.CLOSED)
    rows = list(
        agents.annotate(
            open_cases=_count(open_assignments.filter(agent_id=OuterRef("pk")), "agent_id"),
            visits_this_week=_count(
                visit_agents.filter(
                    agent_id=OuterRef("pk"), visit__window_start__gte=start, visit__window_start__lt=end
                ).exclude(visit__state__in=VISIT_STATES_NOT_COUNTED),
                "agent_id",
            ),
        )
    )
    loads = [AgentLoad(agent=a, open_cases=a.open_cases, visits_this_week=a.visits_this_week) for a in rows]
    by_id = {load.agent.pk: load for load in loads}
    if by_id:
        seen: set[tuple[int, int, str]] = set()
        homes = open_assignments.filter(
            agent_id__in=list(by_id),
            case__debtor__addresses__kind="home",
            case__debtor__addresses__status__in=[VerificationStatus.VERIFIED, VerificationStatus.UNVERIFIED],
        ).values_list("agent_id", "case_id", "case__debtor__addresses__text")
        for agent_id, case_id, text in homes.iterator(chunk_size=2000):
            area = address_area(text)
            if area and (agent_id, case_id, area) not in seen:
                seen.add((agent_id, case_id, area))
                by_id[agent_id].areas[area] += 1
    return loads


def case_areas(cases: Sequence[Case]) -> dict[int, str]:
    """The area of each case: its planned visit's address, else the debtor's home address (verified
    first), else "" (two queries for any number of cases)."""
    visits = Case._meta.get_field("visits").related_model._default_manager
    planned: dict[int, str] = {}
    for case_id, text in (
        visits.filter(case_id__in=[c.pk for c in cases], state__in=VISIT_STATES_PLANNED)
        .order_by("case_id", "-window_start", "-pk")
        .values_list("case_id", "address__text")
    ):
        planned.setdefault(case_id, text)
    homes: dict[int, list[DebtorAddress]] = defaultdict(list)
    for address in DebtorAddress.objects.filter(
        debtor_id__in={c.debtor_id for c in cases}, kind="home"
    ).exclude(status=VerificationStatus.INVALID):
        homes[address.debtor_id].append(address)
    result = {}
    for case in cases:
        text = planned.get(case.pk)
        if text is None:
            ranked = sorted(homes.get(case.debtor_id, []), key=lambda a: (a.status != "verified", a.pk))
            text = ranked[0].text if ranked else ""
        result[case.pk] = address_area(text)
    return result


def suggest(loads: Iterable[AgentLoad], area: str) -> AgentLoad | None:
    """The agent with the most open cases in `area` (ties: fewer open cases, fewer visits, name)."""
    if not area:
        return None
    candidates = [load for load in loads if load.areas.get(area)]
    if not candidates:
        return None
    return min(candidates, key=lambda x: (-x.areas[area], x.open_cases, x.visits_this_week, x.name))


def least_loaded(loads: Iterable[AgentLoad]) -> AgentLoad | None:
    """When nobody works the area yet: the agent with the fewest open cases (then visits, name)."""
    loads = list(loads)
    return min(loads, key=lambda x: (x.open_cases, x.visits_this_week, x.name)) if loads else None
