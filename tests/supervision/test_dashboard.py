"""The supervisor's dashboard: each figure, its link, its scope (the team's cases only), who may see it,
and a fixed number of queries whatever the number of cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from cases.models import Stage
from supervision import selectors
from tests.factories import CaseFactory, UserFactory
from tests.supervision.conftest import populate_unit

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("supervision:dashboard")


def get(client, user, url=DASHBOARD, **params):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(url, params)


def test_every_figure_counts_the_team_records(client, supervisor, populate):
    populate(2)

    response = get(client, supervisor)

    assert response.status_code == 200
    board = response.context["board"]
    assert {s.stage: s.count for s in board.stages if s.count} == {
        Stage.NOTICE_GIVEN: 2,
        Stage.VISIT_PLANNED: 2,
        Stage.FOLLOW_UP: 2,
        Stage.VISITS_REFUSED: 2,
        Stage.AGREEMENT_SIGNED: 2,
        Stage.ON_HOLD: 2,
    }
    assert board.cases_total == 12
    # Today: the notified visit; this week: that one, the approved one and the refused one.
    assert {v.state: (v.today, v.week) for v in board.visits} == {
        "notified": (2, 2),
        "approved": (0, 2),
        "refused": (0, 2),
    }
    assert (board.visits_today, board.visits_week) == (2, 6)
    assert board.plans_awaiting_approval == 2
    assert board.logs_awaiting_review == 2
    assert board.refusals_recent == 2
    assert board.rule_refusals_recent == 2
    assert (board.disputes_open, board.complaints_open, board.complaints_raised_recent) == (2, 0, 2)
    assert board.promises_broken_recent == 2
    assert board.instalments_overdue == 2
    assert board.agreements_broken_recent == 0
    assert board.follow_ups_overdue == 2
    assert board.alerts_open == 2


def test_another_teams_records_are_not_counted(
    client, supervisor, other_supervisor, other_team, other_team_agent, creditor, mandate, populate
):
    populate(1)
    populate_unit(
        team=other_team,
        supervisor=other_supervisor,
        agent=other_team_agent,
        other_agent=UserFactory(username="agent4", team=other_team, roles=[Role.FIELD_AGENT]),
        creditor=creditor,
        mandate=mandate,
        i=9,
    )

    mine = get(client, supervisor).context["board"]
    theirs = get(client, other_supervisor).context["board"]

    for board in (mine, theirs):
        assert board.cases_total == 6
        assert (board.plans_awaiting_approval, board.alerts_open, board.instalments_overdue) == (1, 1, 1)
    assert mine.team.code == "north"
    assert theirs.team.code == "south"


def test_figures_link_to_the_pages_listing_their_items(client, supervisor, populate):
    populate(1)

    html = get(client, supervisor).content.decode()

    assert f'href="{reverse("cases:case-list")}?stage=visit_planned"' in html
    assert f'href="{reverse("visits:calendar")}?week=2026-11-23"' in html
    assert f'href="{reverse("agreements:follow-up-list")}"' in html
    items = reverse("supervision:items")
    for kind in selectors.ITEM_KINDS:
        assert f'href="{items}?team=north&amp;kind={kind}"' in html
    assert f'href="{reverse("supervision:kpis")}?team=north"' in html
    assert "<svg" in html
    assert "style=" not in html


def test_query_count_does_not_grow_with_the_cases(
    client, supervisor, populate, django_assert_max_num_queries
):
    populate(1)
    client.force_login(supervisor)
    client.get(DASHBOARD)  # warm the per-process caches (content types, permissions of the session)
    with CaptureQueriesContext(connection) as few:
        client.get(DASHBOARD)
    populate(4)
    with CaptureQueriesContext(connection) as more:
        response = client.get(DASHBOARD)
    assert response.context["board"].cases_total == 30

    # session, user, roles, the user's teams, two permission reads for the menu, the visits by state,
    # one query of every other figure (scalar subqueries), and the session's idle-time update (3).
    assert len(few.captured_queries) == len(more.captured_queries)
    with django_assert_max_num_queries(12):
        client.get(DASHBOARD)


@pytest.mark.parametrize("role", ["agent", "other_agent", "compliance_officer"])
def test_field_agents_and_compliance_officers_see_no_team_dashboard(client, all_roles, role):
    for url in (
        DASHBOARD,
        reverse("supervision:kpis"),
        reverse("supervision:kpis-csv"),
        reverse("supervision:items"),
    ):
        assert get(client, all_roles[role], url, kind="plans").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_supervisor_cannot_pick_another_team(client, supervisor, other_team):
    assert get(client, supervisor, team="south").status_code == 404
    assert get(client, supervisor, reverse("supervision:kpis"), team="south").status_code == 404
    assert get(client, supervisor, team="no-such-team").status_code == 404


def test_an_administrator_picks_a_team_and_sees_figures_without_links(
    client, administrator, supervisor, other_team, populate
):
    populate(1)

    response = get(client, administrator, team="north")

    assert response.status_code == 200
    assert response.context["board"].cases_total == 6
    html = response.content.decode()
    assert 'name="team"' in html  # the team picker: North and South
    assert reverse("supervision:items") not in html
    assert f"{reverse('cases:case-list')}?stage=" not in html
    # The lists behind the figures name cases: administrators see no case.
    assert (
        get(client, administrator, reverse("supervision:items"), team="north", kind="plans").status_code
        == 404
    )
    assert get(client, administrator, team="south").context["board"].cases_total == 0


def test_a_supervisor_of_no_team_is_told_so(client, db):
    lone = UserFactory(username="lone", roles=[Role.SUPERVISOR])
    response = get(client, lone)
    assert response.status_code == 200
    assert response.context["board"] is None
    assert "You supervise no team yet" in response.content.decode()


def test_home_and_sign_in_take_supervisors_to_the_dashboard(client, supervisor, agent):
    assert get(client, supervisor, reverse("home"))["Location"] == DASHBOARD
    assert get(client, agent, reverse("home"))["Location"] == reverse("visits:agenda")
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": "sup", "password": "correct-horse-battery"}
    )
    assert response["Location"] == DASHBOARD


def test_the_menu_links_the_dashboard_for_supervisors_and_administrators(
    client, supervisor, agent, administrator
):
    link = f'href="{DASHBOARD}"'
    assert link in get(client, supervisor, reverse("cases:case-list")).content.decode()
    assert link in get(client, administrator, reverse("cases:case-list")).content.decode()
    assert link not in get(client, agent, reverse("cases:case-list")).content.decode()


def test_cases_the_supervisor_cannot_see_do_not_count(
    client, supervisor, team, other_team, creditor, mandate
):
    """The team scope decides (cases.visibility): a case of another team is not counted."""
    from cases.models import Case

    CaseFactory(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor)
    CaseFactory(creditor=creditor, mandate=mandate, team=other_team)
    assert Case.objects.count() == 2

    assert get(client, supervisor).context["board"].cases_total == 1
