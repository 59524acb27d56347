"""Who may see and do what on a case: the role-by-action matrix of cases.policies."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.services import system_user
from cases import policies
from cases.models import Case
from common.errors import PermissionRefused
from tests.factories import CaseFactory

ACTIONS = (
    "can_view",
    "can_work_on",
    "can_verify",
    "can_assign",
    "can_view_full_pii",
    "can_import",
    "visible",
)

# role: (view, work, verify, assign, full pii, import, in cases_visible_to)
MATRIX = {
    "supervisor": (True, True, True, True, True, True, True),
    "agent": (True, True, True, False, True, False, True),
    "other_agent": (False, False, False, False, False, False, False),
    "other_supervisor": (False, False, False, False, False, True, False),  # import is a role-wide permission
    "other_team_agent": (False, False, False, False, False, False, False),
    "compliance_officer": (True, False, False, False, True, False, True),
    "administrator": (False, False, False, False, False, False, False),
}


def answer(action: str, user, case: Case) -> bool:  # type: ignore[no-untyped-def]
    if action == "can_import":
        return policies.can_import(user)
    if action == "visible":
        return policies.cases_visible_to(user).filter(pk=case.pk).exists()
    return getattr(policies, action)(user, case)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("action", ACTIONS)
def test_role_action_matrix(request, case, role, action):
    user = request.getfixturevalue(role)
    expected = MATRIX[role][ACTIONS.index(action)]

    assert answer(action, user, case) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_visible_set_matches_can_view(request, case, role):
    """The yes/no and the queryset never disagree (lists and details show the same cases)."""
    user = request.getfixturevalue(role)
    CaseFactory(creditor=case.creditor, mandate=case.mandate)  # a case of no team: nobody's but compliance's

    visible = set(policies.cases_visible_to(user).values_list("pk", flat=True))

    assert visible == {c.pk for c in Case.objects.all() if policies.can_view(user, c)}


@pytest.mark.django_db
def test_supervisor_sees_the_teams_cases_only(case, supervisor, other_team, creditor, mandate):
    own_unassigned = CaseFactory(creditor=creditor, mandate=mandate, team=case.team)
    other_teams = CaseFactory(creditor=creditor, mandate=mandate, team=other_team)

    visible = set(policies.cases_visible_to(supervisor))

    assert visible == {case, own_unassigned}
    assert other_teams not in visible


@pytest.mark.django_db
def test_agent_sees_assigned_cases_only(case, agent, creditor, mandate):
    CaseFactory(creditor=creditor, mandate=mandate, team=case.team)  # same team, not assigned

    assert list(policies.cases_visible_to(agent)) == [case]


@pytest.mark.django_db
def test_compliance_officer_sees_every_case(case, compliance_officer, other_team, creditor, mandate):
    other = CaseFactory(creditor=creditor, mandate=mandate, team=other_team)
    teamless = CaseFactory(creditor=creditor, mandate=mandate)

    assert set(policies.cases_visible_to(compliance_officer)) == {case, other, teamless}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_inactive_user_sees_and_does_nothing(request, case, role):
    user = request.getfixturevalue(role)
    user.is_active = False
    user.save()

    assert [answer(action, user, case) for action in ACTIONS] == [False] * len(ACTIONS)


@pytest.mark.django_db
def test_anonymous_user_sees_and_does_nothing(case):
    user = AnonymousUser()

    assert [answer(action, user, case) for action in ACTIONS] == [False] * len(ACTIONS)
    assert not policies.sees_all_cases(user)


@pytest.mark.django_db
def test_service_account_acts_on_every_case_but_never_sees_full_personal_data(case):
    user = system_user()
    expected = {action: action != "can_view_full_pii" for action in ACTIONS}

    assert {action: answer(action, user, case) for action in ACTIONS} == expected


@pytest.mark.django_db
def test_object_permission_alone_is_not_enough(case, administrator):
    """A role without the global permission gains nothing from an object grant (e.g. a stray grant)."""
    from guardian.shortcuts import assign_perm

    assign_perm("change_case", administrator, case)
    assign_perm("view_case", administrator, case)

    assert policies.can_view(administrator, case)  # the grant makes it visible ...
    assert not policies.can_work_on(administrator, case)  # ... but the role does not allow the work
    assert not policies.can_verify(administrator, case)
    assert not policies.can_assign(administrator, case)
    assert not policies.can_view_full_pii(administrator, case)


def test_require_raises_permission_refused():
    policies.require(True)
    with pytest.raises(PermissionRefused) as error:
        policies.require(False)

    assert error.value.codes == ["PERMISSION_DENIED"]
