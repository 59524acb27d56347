"""Who sees which case: the ONE visibility policy, as indexed scopes (issue 19).

A case is visible to
- everyone who sees every case: compliance officers (global `cases.view_case`), the service account,
  superusers;
- the supervisors of its team: members of `Team.supervisors_group` (`case.team_id IN (their teams)`,
  served by `case_team_stage_idx`);
- its assigned agents (a `CaseAssignment` row: indexed on `agent_id` and unique on (case, agent));
- a creditor's API keys, for that creditor's cases (`visible_to_key`, `case.creditor_id`);
- whoever holds an EXPLICIT share: a django-guardian object permission granted to the user or to one of
  their groups (cover for an absent agent, an investigation), read by the indexed (user|group, permission,
  object) pair. Team and assignment access are never stored as grants (cases/migrations/0008 removed
  the ones older code wrote).

The same scopes imply `change_case` for the team's supervisors and the assigned agents (what a role may
then *do* is its global permission, cases/policies.py); an explicit share carries the codenames granted.

`visible_to` (queryset) and `can_view` (one case) are proven to agree by
tests/cases/test_visibility_property.py. The user's groups and supervised teams are read once and kept on
the user object for the request (like accounts.roles); services that change them call `forget`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Value

from accounts.roles import group_rows, is_service

from .models import Case, CaseAssignment, CaseGroupObjectPermission, CaseUserObjectPermission

# What the team and assignment scopes imply on their cases (the codenames older code granted).
IMPLIED_CODENAMES = frozenset({"view_case", "change_case"})
_ASSIGNED = "@assigned"  # a token no codename can be


@dataclass(frozen=True)
class Scopes:
    """What a user's visibility is built from, read once per request."""

    user_id: int | None
    everything: bool
    group_ids: frozenset[int]
    team_ids: frozenset[int]  # the teams whose supervisors group the user belongs to


NOBODY = Scopes(user_id=None, everything=False, group_ids=frozenset(), team_ids=frozenset())


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_active", False))


def sees_everything(user: Any) -> bool:
    return _active(user) and (is_service(user) or bool(user.is_superuser) or user.has_perm("cases.view_case"))


def scopes_of(user: Any) -> Scopes:
    """The user's scopes: one small query (their groups, with the team each supervises), then cached."""
    if not _active(user):
        return NOBODY
    cached = getattr(user, "_fieldledger_scopes", None)
    if cached is not None:
        return cached
    if sees_everything(user):
        scopes = Scopes(user_id=user.pk, everything=True, group_ids=frozenset(), team_ids=frozenset())
    else:
        # The same rows as accounts.roles.roles_of (one query per request for both).
        rows = group_rows(user)
        scopes = Scopes(
            user_id=user.pk,
            everything=False,
            group_ids=frozenset(g for g, _n, _t in rows),
            team_ids=frozenset(t for _g, _n, t in rows if t is not None),
        )
    user._fieldledger_scopes = scopes
    return scopes


CACHES = ("_fieldledger_scopes", "_fieldledger_case_access", "_fieldledger_roles", "_fieldledger_groups")


def forget(*users: Any) -> None:
    """Drop what was read about these users' scopes and case access (after assigning, sharing, or a
    change of team or role)."""
    for user in users:
        if user is None:
            continue
        for name in CACHES:
            user.__dict__.pop(name, None)


def _shared_ids(scopes: Scopes, codename: str = "view_case") -> QuerySet[Any]:
    """The ids of the cases explicitly shared with the user or their groups: the user's own grants
    (index on user, permission, object) plus their groups' (index on group, permission, object)."""
    own = CaseUserObjectPermission.objects.filter(
        user_id=scopes.user_id, permission__codename=codename
    ).values_list("content_object_id", flat=True)
    if not scopes.group_ids:
        return own
    groups = CaseGroupObjectPermission.objects.filter(
        group_id__in=sorted(scopes.group_ids), permission__codename=codename
    ).values_list("content_object_id", flat=True)
    return own.union(groups, all=True)


def visible_q(scopes: Scopes, codename: str = "view_case") -> Q:
    """The predicate on `Case`: the cases on which the scopes hold `codename` (an implied one)."""
    assigned = CaseAssignment.objects.filter(agent_id=scopes.user_id).values_list("case_id", flat=True)
    ids = assigned.union(_shared_ids(scopes, codename), all=True)
    # One semi-join on the union (the user's assignments and shares, each read by its index): for an
    # agent PostgreSQL walks their few rows into the case's primary key, never the whole table.
    q = Q(pk__in=ids)
    if scopes.team_ids:
        q |= Q(team_id__in=sorted(scopes.team_ids))
    return q


def visible_to(user: Any) -> QuerySet[Case]:
    """The cases `user` may see (every case for those who see everything; none when signed out)."""
    scopes = scopes_of(user)
    if scopes.everything:
        return Case.objects.all()
    if scopes.user_id is None:
        return Case.objects.none()
    return Case.objects.filter(visible_q(scopes))


def team_visible_to(user: Any, team: Any) -> QuerySet[Case]:
    """The cases of `team` the user sees: the whole team (its index alone) for its supervisors."""
    scopes = scopes_of(user)
    if scopes.everything or team.pk in scopes.team_ids:
        return Case.objects.filter(team_id=team.pk)
    return visible_to(user).filter(team_id=team.pk)


def holding(user: Any, codename: str) -> QuerySet[Case]:
    """The cases on which `user` holds `codename` (`view_case` or `change_case`; `holds` for one case)."""
    if codename not in IMPLIED_CODENAMES:
        raise ValueError(codename)
    scopes = scopes_of(user)
    if scopes.user_id is None:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    return Case.objects.filter(visible_q(scopes, codename))


def visible_to_key(creditor_id: int) -> QuerySet[Case]:
    """What a creditor's API key sees: that creditor's cases (the creditor foreign key's index)."""
    return Case.objects.filter(creditor_id=creditor_id)


def can_key_view(creditor_id: int, case: Case) -> bool:
    return case.creditor_id == creditor_id


# --- one case -------------------------------------------------------------------------------------


def remember(user: Any, case: Case, *, explicit: set[str], assigned: bool) -> None:
    """What a selector read with the page about this user on this case (their explicit codenames, their
    groups' included, and whether they are assigned): later checks in this request need no query."""
    if not hasattr(user, "_fieldledger_case_access"):
        user._fieldledger_case_access = {}
    user._fieldledger_case_access[case.pk] = (frozenset(explicit), bool(assigned))


def _access(user: Any, case: Case) -> tuple[frozenset[str], bool]:
    known = getattr(user, "_fieldledger_case_access", {}).get(case.pk)
    if known is not None:
        return known
    scopes = scopes_of(user)
    # One statement: the user's and their groups' codenames on this case by the indexed pairs, and a
    # token if an assignment row (case, agent) exists.
    own = CaseUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=case.pk).values_list(
        "permission__codename", flat=True
    )
    assigned = (
        CaseAssignment.objects.filter(case_id=case.pk, agent_id=user.pk)
        .annotate(token=Value(_ASSIGNED))
        .values_list("token", flat=True)
    )
    parts = [own, assigned]
    if scopes.group_ids:
        parts.append(
            CaseGroupObjectPermission.objects.filter(
                group_id__in=sorted(scopes.group_ids), content_object_id=case.pk
            ).values_list("permission__codename", flat=True)
        )
    tokens = set(parts[0].union(*parts[1:], all=True))
    result = (frozenset(tokens - {_ASSIGNED}), _ASSIGNED in tokens)
    remember(user, case, explicit=set(result[0]), assigned=result[1])
    return result


def holds(user: Any, codename: str, case: Case) -> bool:
    """Whether `user` holds the object permission `codename` (`view_case`, `change_case`) on `case`:
    implied by the team or the assignment, or explicitly shared. Inactive users hold nothing; superusers
    everything (as guardian answered)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    scopes = scopes_of(user)
    if codename in IMPLIED_CODENAMES and case.team_id is not None and case.team_id in scopes.team_ids:
        return True
    explicit, assigned = _access(user, case)
    return (assigned and codename in IMPLIED_CODENAMES) or codename in explicit


def can_view(user: Any, case: Case) -> bool:
    """The one-case twin of `visible_to`: True exactly when `visible_to(user)` holds `case`."""
    scopes = scopes_of(user)
    if scopes.everything:
        return True
    if scopes.user_id is None:
        return False
    return holds(user, "view_case", case)
