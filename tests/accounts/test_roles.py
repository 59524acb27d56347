"""The four roles are groups with exactly the permissions of accounts.roles.ROLE_PERMISSIONS, nothing more."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role
from accounts.roles import ROLE_PERMISSIONS, has_role, is_service, roles_of
from accounts.services import system_user

pytestmark = pytest.mark.django_db


def permissions_of(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_the_four_role_groups_exist():
    assert set(Group.objects.filter(name__in=Role.values).values_list("name", flat=True)) == set(Role.values)
    assert set(ROLE_PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize("role", Role.values)
def test_role_holds_exactly_the_migrations_permissions(role):
    assert permissions_of(Group.objects.get(name=role)) == set(ROLE_PERMISSIONS[role])


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.FIELD_AGENT])
def test_supervisors_and_agents_have_no_global_view_case(role):
    """Which cases they see is held per case (guardian); a global view_case would show them every case."""
    perms = permissions_of(Group.objects.get(name=role))

    assert "cases.view_case" not in perms
    assert "cases.change_case" not in perms


def test_users_hold_their_roles_permissions(supervisor, agent, compliance_officer, administrator):
    assert not supervisor.has_perm("cases.view_case")
    assert not agent.has_perm("cases.view_case")
    assert supervisor.has_perm("cases.assign_case")
    assert not agent.has_perm("cases.assign_case")
    assert compliance_officer.has_perm("cases.view_case")
    assert not compliance_officer.has_perm("cases.change_case")
    assert compliance_officer.has_perm("compliance.view_auditevent")
    assert not supervisor.has_perm("compliance.view_auditevent")
    assert administrator.has_perm("accounts.change_user")
    assert not administrator.has_perm("cases.view_case")
    assert not administrator.has_perm("cases.view_debtor")


def test_only_administrators_are_staff(supervisor, agent, compliance_officer, administrator):
    assert [u.is_staff for u in (supervisor, agent, compliance_officer, administrator)] == [
        False,
        False,
        False,
        True,
    ]
    assert not any(u.is_superuser for u in (supervisor, agent, compliance_officer, administrator))


def test_no_role_may_write_audit_events():
    writes = {"compliance.add_auditevent", "compliance.change_auditevent", "compliance.delete_auditevent"}

    for role in Role.values:
        assert not permissions_of(Group.objects.get(name=role)) & writes


def test_roles_of(supervisor, agent, administrator):
    assert roles_of(supervisor) == {Role.SUPERVISOR}
    assert roles_of(agent) == {Role.FIELD_AGENT}
    assert has_role(administrator, Role.ADMINISTRATOR, Role.SUPERVISOR)
    assert not has_role(agent, Role.SUPERVISOR)


def test_team_group_is_not_a_role(supervisor, team):
    assert team.supervisors_group in supervisor.groups.all()
    assert roles_of(supervisor) == {Role.SUPERVISOR}


def test_inactive_user_holds_no_role(agent):
    agent.is_active = False

    assert roles_of(agent) == frozenset()


def test_anonymous_holds_no_role():
    from django.contrib.auth.models import AnonymousUser

    assert roles_of(AnonymousUser()) == frozenset()
    assert roles_of(None) == frozenset()


def test_service_account():
    user = system_user()

    assert is_service(user)
    assert system_user() == user  # one account, created once
    assert not user.has_usable_password()
    assert roles_of(user) == frozenset()
