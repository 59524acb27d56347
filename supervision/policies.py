"""Who may see a team's dashboard and KPIs, and which cases they cover.

A supervisor sees the teams whose supervisors group they belong to (accounts.Team.supervisors_group),
and within a team the cases `cases.visibility` gives them (all of a team they supervise). An administrator may
pick any team and sees its figures (counts and amounts, no personal data); administrators see no
cases, so the figures are not links for them. Field agents and compliance officers see no team
dashboard: 404, as every page of another role's workspace (compliance/policies.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role, Team
from accounts.roles import has_role
from cases.models import Case
from cases.visibility import team_visible_to


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def is_team_administrator(user: Any) -> bool:
    return _active(user) and has_role(user, Role.ADMINISTRATOR)


def is_team_supervisor(user: Any) -> bool:
    return _active(user) and has_role(user, Role.SUPERVISOR)


def can_view_dashboard(user: Any) -> bool:
    """Supervisors and administrators; never field agents or compliance officers (their own pages)."""
    return is_team_supervisor(user) or is_team_administrator(user)


def teams_visible_to(user: Any) -> QuerySet[Team]:
    if is_team_administrator(user):
        return Team.objects.all()
    if is_team_supervisor(user):
        return Team.objects.filter(supervisors_group__user=user)
    return Team.objects.none()


def team_cases(user: Any, team: Team) -> QuerySet[Case]:
    """The team's cases the user's figures cover: a supervisor's visible ones, all for an administrator."""
    if is_team_supervisor(user):
        return team_visible_to(user, team)
    if is_team_administrator(user):
        return Case.objects.filter(team=team)
    return Case.objects.none()


def can_open_items(user: Any) -> bool:
    """The figures link to the pages listing their items (cases, visits, follow-ups): supervisors only,
    since administrators see no case."""
    return is_team_supervisor(user)
