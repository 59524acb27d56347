"""Visibility by scopes (cases/visibility.py): explicit shares through the services, the data migration
that drops the grants the scopes imply, and the query shapes (no scan of every grant)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from cases import policies, services, visibility
from cases.models import CaseGroupObjectPermission, CaseUserObjectPermission
from common.errors import PermissionRefused
from compliance.models import AuditEvent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cases.migrations.0008_visibility_scopes_drop_implied_grants")


def fresh(user):  # type: ignore[no-untyped-def]
    return type(user).objects.get(pk=user.pk)


def test_assignment_and_team_write_no_grant_yet_give_access(case, supervisor, agent, other_agent):
    assert CaseUserObjectPermission.objects.count() == CaseGroupObjectPermission.objects.count() == 0
    assert policies.can_view(fresh(agent), case)
    assert policies.can_work_on(fresh(agent), case)
    assert policies.can_assign(fresh(supervisor), case)
    assert not policies.can_view(fresh(other_agent), case)

    services.case_assign_agents(case=case, agents=[other_agent], actor=supervisor)

    assert CaseUserObjectPermission.objects.count() == 0
    assert policies.can_view(fresh(other_agent), case)
    assert not policies.can_view(fresh(agent), case)
    assert list(policies.cases_visible_to(agent)) == []  # the service forgot what it had read


def test_a_share_with_a_named_user_is_read_only_unless_it_says_so(case, supervisor, other_team_agent):
    services.case_share(case=case, actor=supervisor, user=other_team_agent)

    reader = fresh(other_team_agent)
    assert policies.can_view(reader, case)
    assert list(policies.cases_visible_to(reader)) == [case]
    assert not policies.can_work_on(reader, case)
    event = AuditEvent.objects.filter(action="case.shared").get()
    assert event.case_id == case.pk
    assert event.data == {"case": case.pk, "user": other_team_agent.pk, "team": None, "perms": ["view_case"]}

    services.case_share(case=case, actor=supervisor, user=other_team_agent, change=True)
    assert policies.can_work_on(fresh(other_team_agent), case)

    services.case_unshare(case=case, actor=supervisor, user=other_team_agent)
    assert not policies.can_view(fresh(other_team_agent), case)
    assert list(policies.cases_visible_to(fresh(other_team_agent))) == []
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="case.").order_by("seq")][-3:] == [
        "case.shared",
        "case.shared",
        "case.unshared",
    ]


def test_a_share_with_a_team_reaches_its_supervisors(case, supervisor, other_team, other_supervisor):
    assert not policies.can_view(fresh(other_supervisor), case)

    services.case_share(case=case, actor=supervisor, team=other_team)

    assert policies.can_view(fresh(other_supervisor), case)
    assert list(policies.cases_visible_to(fresh(other_supervisor))) == [case]
    assert not policies.can_assign(fresh(other_supervisor), case)  # read-only share


def test_only_who_may_assign_may_share_and_the_refusal_is_recorded(case, agent, other_team_agent):
    with pytest.raises(PermissionRefused):
        services.case_share(case=case, actor=agent, user=other_team_agent)

    assert CaseUserObjectPermission.objects.count() == 0
    assert AuditEvent.objects.filter(action="case.shared.refused").count() == 1
    assert not policies.can_view(fresh(other_team_agent), case)


def test_a_share_names_one_user_or_one_team(case, supervisor, other_team_agent, other_team):
    from common.errors import DomainError

    for kwargs in ({}, {"user": other_team_agent, "team": other_team}):
        with pytest.raises(DomainError) as refused:
            services.case_share(case=case, actor=supervisor, **kwargs)
        assert refused.value.codes == ["SHARE_TARGET"]


def test_the_migration_drops_implied_grants_keeps_explicit_ones_and_reverses(
    case, team, supervisor, agent, other_team_agent, other_team
):
    # What older code wrote: the team's group and the assigned agent held view/change on the case.
    for codename in ("view_case", "change_case"):
        assign_perm(codename, team.supervisors_group, case)
        assign_perm(codename, agent, case)
    # Explicit shares, which the scopes do not imply.
    assign_perm("view_case", other_team_agent, case)
    assign_perm("view_case", other_team.supervisors_group, case)

    migration.drop_implied(django_apps, None)

    assert {(p.user_id, p.permission.codename) for p in CaseUserObjectPermission.objects.all()} == {
        (other_team_agent.pk, "view_case")
    }
    assert {(p.group_id, p.permission.codename) for p in CaseGroupObjectPermission.objects.all()} == {
        (other_team.supervisors_group_id, "view_case")
    }
    assert policies.can_view(fresh(agent), case)
    assert policies.can_view(fresh(supervisor), case)
    assert policies.can_view(fresh(other_team_agent), case)

    migration.restore_implied(django_apps, None)

    assert CaseUserObjectPermission.objects.count() == 3
    assert CaseGroupObjectPermission.objects.count() == 3


def test_the_list_predicate_reads_the_users_own_rows_not_every_grant(supervisor, agent, team):
    CaseFactory(team=team, supervisor=supervisor, agents=[agent])
    with CaptureQueriesContext(connection) as captured:
        list(policies.cases_visible_to(fresh(agent)))
    sql = captured.captured_queries[-1]["sql"]
    # The assignments and shares are filtered by the user (and their groups) inside the subquery (their
    # indexes); no OR on the team for someone who supervises none.
    assert sql.count(f'"user_id" = {agent.pk}') == 1
    assert sql.count(f'"agent_id" = {agent.pk}') == 1
    assert '"group_id" IN' in sql
    assert '"team_id" IN' not in sql
    scopes = visibility.scopes_of(supervisor)
    assert scopes.team_ids == frozenset({team.pk})
