"""Visit policies: role × action matrix, and who sees which visits."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from visits import policies

pytestmark = pytest.mark.django_db

ROLES = [
    "supervisor",
    "agent",
    "other_agent",
    "other_supervisor",
    "other_team_agent",
    "compliance_officer",
    "administrator",
]

# The visit is planned by `agent` (assigned to the case) with `other_agent` (same team, not assigned).
MATRIX = {
    #                    see    plan   approve override cancel resubmit
    "supervisor": (True, True, True, True, True, False),
    "agent": (True, True, False, False, True, True),
    "other_agent": (True, False, False, False, False, False),
    "other_supervisor": (False, False, False, False, False, False),
    "other_team_agent": (False, False, False, False, False, False),
    "compliance_officer": (True, False, False, False, False, False),
    "administrator": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_role_by_action_matrix(planned, all_roles, role):
    user = all_roles[role]
    case = planned.case
    got = (
        policies.visits_visible_to(user).filter(pk=planned.pk).exists(),
        policies.can_plan(user, case),
        policies.can_approve(user, planned),
        policies.can_override(user, planned),
        policies.can_cancel(user, planned),
        policies.can_resubmit(user, planned),
    )
    assert got == MATRIX[role]
    assert policies.can_send_back(user, planned) == MATRIX[role][2]


def test_a_supervisor_who_planned_may_not_approve_or_override(plan, supervisor):
    from visits import services

    visit = services.visit_plan(**{**plan, "actor": supervisor})
    assert not policies.can_approve(supervisor, visit)
    assert not policies.can_override(supervisor, visit)
    second = UserFactory(username="sup-b", team=supervisor.team, roles=["supervisor"])
    assert policies.can_approve(second, visit)


def test_override_of_a_plan_needs_a_supervisor_not_going(verified_case, supervisor, agent):
    assert policies.can_override(supervisor, verified_case, agents=[agent])
    assert not policies.can_override(supervisor, verified_case, agents=[supervisor])
    assert not policies.can_override(agent, verified_case, agents=[])


def test_inactive_users_see_nothing(planned, supervisor):
    supervisor.is_active = False
    supervisor.save()
    assert not policies.visits_visible_to(supervisor).exists()
    assert not policies.can_plan(supervisor, planned.case)


def test_anonymous_sees_nothing(planned):
    from django.contrib.auth.models import AnonymousUser

    assert not policies.visits_visible_to(AnonymousUser()).exists()
