"""Writes on users and teams: roles, the team supervisors group that carries case access, audit events."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts import services
from accounts.models import Role, Team, User
from accounts.roles import roles_of
from cases import policies
from compliance import audit
from tests.factories import audit_events_since, audit_head

pytestmark = pytest.mark.django_db


def team_groups(user: User) -> set[str]:
    return set(user.groups.filter(team__isnull=False).values_list("name", flat=True))


def test_team_create_makes_its_supervisors_group(supervisor):
    since = audit_head()

    team = services.team_create(code="east", name="East", actor=supervisor)

    assert team.supervisors_group.name == "team:east:supervisors"
    events = audit_events_since(since)
    assert [e.action for e in events] == ["team.created"]
    assert events[0].data == {"code": "east"}
    assert team.history.get().history_user == supervisor


def test_user_create(administrator, team):
    since = audit_head()

    user = services.user_create(
        username="wu_liu_9",
        password="a-long-enough-pass-1",
        roles=[Role.FIELD_AGENT],
        actor=administrator,
        full_name="吴六",
        team=team,
        phone="13900000000",
    )

    assert user.check_password("a-long-enough-pass-1")
    assert roles_of(user) == {Role.FIELD_AGENT}
    assert not user.is_staff
    events = audit_events_since(since)
    assert [e.action for e in events] == ["user.created"]
    assert events[0].data == {"roles": ["field_agent"], "team": "north"}
    line = audit.export_line(events[0])
    for personal in ("吴六", "13900000000", "wu_liu_9"):
        assert personal not in line
    assert user.history.earliest("history_date").history_user == administrator


def test_user_without_password_cannot_sign_in(administrator):
    user = services.user_create(username="nopass", password=None, roles=[], actor=administrator)

    assert not user.has_usable_password()


def test_administrator_role_makes_staff(administrator):
    user = services.user_create(
        username="adm2", password=None, roles=[Role.ADMINISTRATOR], actor=administrator
    )

    assert user.is_staff
    assert not user.is_superuser


def test_unknown_role_is_refused(agent):
    with pytest.raises(ValueError, match="unknown roles"):
        services.user_set_roles(user=agent, roles=["janitor"], actor=None)

    assert roles_of(User.objects.get(pk=agent.pk)) == {Role.FIELD_AGENT}


def test_set_roles_replaces_roles_and_is_audited(agent, administrator):
    since = audit_head()

    services.user_set_roles(user=agent, roles=[Role.COMPLIANCE_OFFICER], actor=administrator)

    assert roles_of(User.objects.get(pk=agent.pk)) == {Role.COMPLIANCE_OFFICER}
    events = audit_events_since(since)
    assert [e.action for e in events] == ["user.roles_changed"]
    assert events[0].data == {"roles": ["compliance_officer"]}
    assert events[0].actor == f"user:{administrator.pk}"


# --- supervisors and their team's group ------------------------------------------------------------


def test_supervisor_joins_the_teams_supervisors_group(supervisor, team):
    assert team_groups(supervisor) == {team.supervisors_group.name}


def test_agents_do_not_join_the_supervisors_group(agent):
    assert team_groups(agent) == set()


def test_supervisor_without_team_joins_no_team_group(administrator):
    user = services.user_create(username="lone", password=None, roles=[Role.SUPERVISOR], actor=administrator)

    assert team_groups(user) == set()


def test_new_supervisor_sees_the_teams_cases(case, team, administrator):
    newcomer = services.user_create(
        username="sup9", password=None, roles=[Role.SUPERVISOR], actor=administrator, team=team
    )

    assert policies.cases_visible_to(newcomer).filter(pk=case.pk).exists()
    assert policies.can_assign(newcomer, case)


def test_changing_team_moves_the_supervisor(case, supervisor, team, other_team, administrator):
    supervisor.team = other_team
    supervisor.save()
    since = audit_head()

    services.user_after_admin_save(user=supervisor, actor=administrator, created=False)

    assert team_groups(supervisor) == {other_team.supervisors_group.name}
    fresh = User.objects.get(pk=supervisor.pk)
    assert not policies.cases_visible_to(fresh).filter(pk=case.pk).exists()
    events = audit_events_since(since)
    assert [e.action for e in events] == ["user.changed"]
    assert events[0].data == {"roles": ["supervisor"], "team": "south", "active": True}


def test_removing_the_supervisor_role_removes_team_access(case, supervisor, team, administrator):
    services.user_set_roles(user=supervisor, roles=[Role.FIELD_AGENT], actor=administrator)

    assert team_groups(supervisor) == set()
    assert not policies.cases_visible_to(User.objects.get(pk=supervisor.pk)).exists()


def test_granting_the_supervisor_role_adds_team_access(case, agent, team, administrator):
    services.user_set_roles(user=agent, roles=[Role.FIELD_AGENT, Role.SUPERVISOR], actor=administrator)

    assert team_groups(agent) == {team.supervisors_group.name}


def test_leaving_a_team_removes_team_access(supervisor, administrator):
    supervisor.team = None
    supervisor.save()

    services.user_after_admin_save(user=supervisor, actor=administrator, created=False)

    assert team_groups(supervisor) == set()


def test_admin_added_team_group_by_hand_is_corrected(agent, other_team, administrator):
    """Team groups follow role and team only; a group ticked by hand in the admin is taken away."""
    agent.groups.add(other_team.supervisors_group)

    services.user_after_admin_save(user=agent, actor=administrator, created=False)

    assert team_groups(agent) == set()


def test_other_groups_are_left_alone(supervisor, administrator):
    extra = Group.objects.create(name="newsletter")
    supervisor.groups.add(extra)

    services.user_set_roles(user=supervisor, roles=[Role.SUPERVISOR], actor=administrator)

    assert extra in supervisor.groups.all()


# --- the service account and sign-in records -------------------------------------------------------


def test_system_user_is_created_once_without_a_password():
    first = services.system_user()
    second = services.system_user()

    assert first.pk == second.pk
    assert first.is_service_account
    assert not first.has_usable_password()
    assert User.objects.filter(is_service_account=True).count() == 1


def test_team_group_is_one_to_one(team):
    assert Team.objects.get(pk=team.pk).supervisors_group.team == team


def test_login_failed_recorded_keeps_digests_only():
    since = audit_head()

    services.login_failed_recorded(username="  Wang.Wei ", ip="10.1.2.3")

    (event,) = audit_events_since(since)
    line = audit.export_line(event)
    assert "wang" not in line.lower()
    assert "10.1.2.3" not in line
    assert event.data["username_digest"] != event.data["ip_digest"]
