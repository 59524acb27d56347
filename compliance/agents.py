"""The agent-level view: per field agent and month, visits (by state, from the visits app's source),
refusals, overrides and complaints. Columns come from `registry.AgentMetricSource`s; compliance's own
(refusals, overrides, complaints) are here, each one aggregate query for all agents of the page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import registry
from .models import AuditEvent, Complaint, RuleDecision
from .registry import AgentMetricSource, AgentQuery

FIELD_AGENT_ROLE = "field_agent"  # accounts.models.Role.FIELD_AGENT (a group name)


def _merge(*parts: dict[int, int], keys: tuple[str, ...]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for key, part in zip(keys, parts, strict=True):
        for agent_id, n in part.items():
            out[agent_id][key] = n
    return dict(out)


def _count_by(qs: Any, field: str) -> dict[int, int]:
    return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("pk")) if row[field]}


def refusal_counts(q: AgentQuery) -> dict[int, dict[str, int]]:
    """Refusals of the agent's own actions: by policy or input (audit) and by the rules (decisions)."""
    audit = AuditEvent.objects.filter(
        action__endswith=".refused", at__gte=q.start, at__lt=q.end, actor_user_id__in=q.agent_ids
    ).exclude(action__startswith="rules.")
    rules = RuleDecision.objects.filter(
        outcome=RuleDecision.Outcome.REFUSED, at__gte=q.start, at__lt=q.end, actor_id__in=q.agent_ids
    )
    overridden = RuleDecision.objects.filter(
        outcome=RuleDecision.Outcome.OVERRIDDEN,
        at__gte=q.start,
        at__lt=q.end,
        override_of__actor_id__in=q.agent_ids,
    )
    return _merge(
        _count_by(audit, "actor_user_id"),
        _count_by(rules, "actor_id"),
        _count_by(overridden, "override_of__actor_id"),
        keys=("refused_actions", "rule_refusals", "overridden"),
    )


def complaint_counts(q: AgentQuery) -> dict[int, dict[str, int]]:
    qs = Complaint.objects.filter(received_at__gte=q.start, received_at__lt=q.end, agent_id__in=q.agent_ids)
    return _merge(
        _count_by(qs.filter(kind=Complaint.Kind.COMPLAINT), "agent_id"),
        _count_by(qs.filter(kind=Complaint.Kind.DISPUTE), "agent_id"),
        keys=("complaints", "disputes"),
    )


BUILT_IN = (
    AgentMetricSource(
        "refusals",
        (
            ("refused_actions", _("Refused actions")),
            ("rule_refusals", _("Refused by the rules")),
            ("overridden", _("Refusals overridden")),
        ),
        refusal_counts,
        order=500,
    ),
    AgentMetricSource(
        "complaints",
        (("complaints", _("Complaints")), ("disputes", _("Disputes"))),
        complaint_counts,
        order=600,
    ),
)


@dataclass(frozen=True)
class AgentRow:
    agent: Any
    values: list[int]


@dataclass(frozen=True)
class AgentTable:
    month: dt.date
    columns: list[tuple[str, Any]]
    rows: list[AgentRow]


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month in the deployment's time zone (where agents work), as aware datetimes."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=zone)
    return start, nxt


def agent_table(*, month: dt.date, team_id: int | None = None) -> AgentTable:
    users = get_user_model().objects.filter(groups__name=FIELD_AGENT_ROLE).select_related("team")
    if team_id:
        users = users.filter(team_id=team_id)
    agents = list(users.order_by("full_name", "username"))
    start, end = month_bounds(month)
    q = AgentQuery(start=start, end=end, agent_ids=tuple(a.pk for a in agents))
    columns: list[tuple[str, Any]] = []
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for source in registry.agent_metric_sources():
        columns += list(source.columns)
        if q.agent_ids:
            for agent_id, values in source.counts(q).items():
                counts[agent_id].update(values)
    rows = [AgentRow(a, [counts.get(a.pk, {}).get(key, 0) for key, _label in columns]) for a in agents]
    return AgentTable(month, columns, rows)
