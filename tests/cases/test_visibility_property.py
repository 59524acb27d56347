"""Property test of the visibility policy (cases/visibility.py, issue 19): on generated teams, users of
every role, cases, assignments and explicit shares (all written through the services), for every user
`visible_to` (the queryset), `can_view` (one case) and an independent model of the rules agree, and so do
`holding`/`holds` for `change_case`. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Role, User
from accounts.services import system_user
from cases import services, visibility
from cases.models import Case
from tests.factories import CaseFactory, CreditorFactory, MandateFactory, TeamFactory, UserFactory

ROLES = (Role.SUPERVISOR, Role.FIELD_AGENT, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Share:
    case: int
    user: int | None  # a user's index, or
    team: int | None  # a team's index (its supervisors)
    change: bool


@st.composite
def worlds(draw):  # type: ignore[no-untyped-def]
    teams = draw(st.integers(min_value=1, max_value=3))
    team_or_none = st.one_of(st.none(), st.integers(min_value=0, max_value=teams - 1))
    users = draw(
        st.lists(st.tuples(st.sampled_from(ROLES), team_or_none, st.booleans()), min_size=1, max_size=6)
    )
    cases = draw(st.lists(team_or_none, min_size=1, max_size=6))
    assignments = draw(
        st.lists(
            st.tuples(st.integers(0, len(cases) - 1), st.integers(0, len(users) - 1)), max_size=8, unique=True
        )
    )
    shares = draw(
        st.lists(
            st.builds(
                Share,
                case=st.integers(0, len(cases) - 1),
                user=st.one_of(st.none(), st.integers(0, len(users) - 1)),
                team=st.integers(0, teams - 1),
                change=st.booleans(),
            ),
            max_size=5,
        )
    )
    return teams, users, cases, assignments, shares


def _fresh(user: User) -> User:
    # A new object: nothing cached from the writes (scopes, roles, access).
    return User.objects.get(pk=user.pk)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_visible_to_and_can_view_agree_with_the_rules(world) -> None:  # type: ignore[no-untyped-def]
    teams_n, user_specs, case_specs, assignment_specs, share_specs = world
    with transaction.atomic():
        actor = system_user()
        teams = [TeamFactory() for _ in range(teams_n)]
        users = [
            UserFactory(roles=[role], team=teams[t] if t is not None else None) for role, t, _a in user_specs
        ]
        creditor = CreditorFactory()
        mandate = MandateFactory(creditor=creditor)
        cases = [
            CaseFactory(creditor=creditor, mandate=mandate, team=teams[t] if t is not None else None)
            for t in case_specs
        ]
        # Assignments through the service: only what it accepts (active field agents of the case's team).
        assigned: dict[int, set[int]] = {}
        for c, u in assignment_specs:
            role, team, _active = user_specs[u]
            if role != Role.FIELD_AGENT or (case_specs[c] is not None and team != case_specs[c]):
                continue
            assigned.setdefault(c, set()).add(u)
        for c, agents in assigned.items():
            services.case_assign_agents(case=cases[c], agents=[users[u] for u in agents], actor=actor)
        shared_view: set[tuple[int, int]] = set()  # (case, user) pairs a share gives
        shared_change: set[tuple[int, int]] = set()
        for share in share_specs:
            if share.user is not None:
                services.case_share(
                    case=cases[share.case], actor=actor, user=users[share.user], change=share.change
                )
                targets = [share.user]
            else:
                services.case_share(
                    case=cases[share.case], actor=actor, team=teams[share.team], change=share.change
                )
                targets = [
                    i
                    for i, (role, t, _a) in enumerate(user_specs)
                    if role == Role.SUPERVISOR and t == share.team
                ]
            for i in targets:
                shared_view.add((share.case, i))
                if share.change:
                    shared_change.add((share.case, i))

        for user, (_r, _t, active) in zip(users, user_specs, strict=True):
            if not active:  # deactivated afterwards, as the admin does
                user.is_active = False
                user.save(update_fields=["is_active"])
                account_services.user_after_admin_save(user=user, actor=actor, created=False)

        for i, (role, team, active) in enumerate(user_specs):
            # The model of the rules, written independently of the policy.
            def sees(c: int, codename: str, i=i, role=role, team=team, active=active) -> bool:  # type: ignore[no-untyped-def]
                if not active:
                    return False
                if role == Role.COMPLIANCE_OFFICER and codename == "view_case":
                    return True
                if role == Role.SUPERVISOR and team is not None and case_specs[c] == team:
                    return True
                if i in assigned.get(c, set()):
                    return True
                return (c, i) in (shared_view if codename == "view_case" else shared_change)

            expected = {cases[c].pk for c in range(len(cases)) if sees(c, "view_case")}
            listed = set(visibility.visible_to(_fresh(users[i])).values_list("pk", flat=True))
            reader = _fresh(users[i])
            one_by_one = {case.pk for case in Case.objects.all() if visibility.can_view(reader, case)}
            assert listed == expected, (role, team, active)
            assert one_by_one == expected, (role, team, active)

            if role != Role.COMPLIANCE_OFFICER:
                changeable = {cases[c].pk for c in range(len(cases)) if sees(c, "change_case")}
                held = set(visibility.holding(_fresh(users[i]), "change_case").values_list("pk", flat=True))
                reader = _fresh(users[i])
                held_one = {c.pk for c in Case.objects.all() if visibility.holds(reader, "change_case", c)}
                assert held == changeable == held_one, (role, team, active)
        transaction.set_rollback(True)
