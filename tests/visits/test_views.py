"""Visit pages: the plan form (debtor-local times, refusals naming field and rule, supervisors' override),
the visit page (both time zones, masked address, decision trace, actions), the agenda and the team
calendar with bounded queries, 404 for other teams, and CSRF on a POST."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Stage
from compliance.models import RuleDecision
from tests.debtor_fact_helpers import put_facts
from tests.factories import CaseFactory, audit_actions_since, audit_head
from tests.visits.conftest import CHECKLIST
from tests.visits.factories import VisitFactory, local, verified_home
from visits import services
from visits.models import Visit, VisitState

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def future_day(days: int = 3) -> dt.date:
    """The views run on the real clock: plan a few days ahead of today, on a weekday-independent date."""
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def _mandate_valid_around_today(mandate):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    mandate.valid_from = today - dt.timedelta(days=100)
    mandate.valid_until = today + dt.timedelta(days=265)
    mandate.save()


def form_data(home, agents, **changes):  # type: ignore[no-untyped-def]
    data = {
        "address": home.pk,
        "purpose": "negotiate",
        "date": future_day().isoformat(),
        "start_time": "10:00",
        "end_time": "12:00",
        "agents": [a.pk for a in agents],
        "checklist": list(CHECKLIST),
        "note": "",
    }
    data.update(changes)
    return data


def plan_url(case: Case) -> str:
    return reverse("visits:visit-plan", args=[case.pk])


def detail_url(visit: Visit) -> str:
    return reverse("visits:visit-detail", args=[visit.pk])


# --- the plan form --------------------------------------------------------------------------------


def test_case_page_shows_visits_and_the_plan_link(verified_case, agent, compliance_officer):
    page = signed_in(agent).get(reverse("cases:case-detail", args=[verified_case.pk])).content.decode()
    assert plan_url(verified_case) in page
    assert 'id="visits"' in page
    officer_page = signed_in(compliance_officer).get(reverse("cases:case-detail", args=[verified_case.pk]))
    assert plan_url(verified_case) not in officer_page.content.decode()


def test_plan_form_shows_the_debtors_zone_and_preselects(verified_case, home, agent):
    response = signed_in(agent).get(plan_url(verified_case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Asia/Shanghai" in page
    form = response.context["form"]
    assert "override_reason" not in form.fields  # agents do not override
    assert set(form["checklist"].initial) >= {"authorization_letter", "work_ids"}
    assert form["agents"].initial == [agent.pk]
    assert home.masked in page  # the address is masked
    assert home.text not in page


def test_agent_plans_a_visit_in_debtor_local_time(verified_case, home, agent, other_agent):
    client = signed_in(agent)
    seq = audit_head()
    response = client.post(plan_url(verified_case), form_data(home, [agent, other_agent]))
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(visit)
    assert visit.window_start == dt.datetime.combine(
        future_day(), dt.time(10), tzinfo=local(2026, 1, 1, 0).tzinfo
    )
    assert Case.objects.get(pk=verified_case.pk).stage == Stage.VISIT_PLANNED
    assert audit_actions_since(seq) == ["rules.allowed", "visit.planned"]


def test_a_window_at_0730_is_refused_on_the_form_naming_field_and_rule(
    verified_case, home, agent, other_agent
):
    client = signed_in(agent)
    seq = audit_head()
    response = client.post(
        plan_url(verified_case), form_data(home, [agent, other_agent], start_time="07:30", end_time="09:00")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any("[CONTACT_WINDOW]" in e for e in errors["date"])
    assert "CONTACT_WINDOW" in response.content.decode()
    assert Visit.objects.count() == 0
    assert audit_actions_since(seq) == ["rules.refused"]  # the refused decision is kept


def test_form_errors_name_the_field(verified_case, home, agent, other_agent):
    response = signed_in(agent).post(
        plan_url(verified_case), form_data(home, [agent, other_agent], checklist=["loan_contract"])
    )
    errors = response.context["form"].errors
    assert any("CHECKLIST_INCOMPLETE" in e for e in errors["checklist"])
    assert "Documents to carry: " in response.content.decode()
    response = signed_in(agent).post(plan_url(verified_case), form_data(home, [agent], end_time="09:00"))
    assert "end_time" in response.context["form"].errors


def test_supervisor_overrides_from_the_plan_form(verified_case, home, supervisor, agent, other_agent):
    put_facts(verified_case, vulnerable=True)
    client = signed_in(supervisor)
    response = client.post(plan_url(verified_case), form_data(home, [agent, other_agent]))
    assert response.status_code == 200
    assert "override_reason" in response.context["form"].fields
    assert response.context["refusal"].overridable
    seq = audit_head()
    response = client.post(
        plan_url(verified_case),
        form_data(
            home, [agent, other_agent], override_reason="Review closed by phone with the family doctor."
        ),
    )
    assert response.status_code == 302
    assert audit_actions_since(seq) == ["rules.refused", "rules.overridden", "visit.planned"]
    page = client.get(response["Location"]).content.decode()
    assert "Review closed by phone" in page
    assert "VULNERABLE" in page


def test_compliance_officer_cannot_plan(verified_case, compliance_officer):
    response = signed_in(compliance_officer).get(plan_url(verified_case))
    assert response.status_code == 302


# --- the visit page ---------------------------------------------------------------------------------


@pytest.fixture
def visit(verified_case, home, agent, other_agent):  # type: ignore[no-untyped-def]
    day = future_day()
    return services.visit_plan(
        case=verified_case,
        actor=agent,
        address_id=home.pk,
        purpose="negotiate",
        window_start=local(day.year, day.month, day.day, 10),
        window_end=local(day.year, day.month, day.day, 12),
        agents=[agent, other_agent],
        checklist=CHECKLIST,
    )


def test_visit_page_shows_both_zones_masked_address_and_the_trace(visit, supervisor, settings, home):
    settings.TIME_ZONE = "Europe/London"
    response = signed_in(supervisor).get(detail_url(visit))
    assert response.status_code == 200
    page = response.content.decode()
    assert "10:00–12:00" in page  # Shanghai, the debtor's
    assert "02:00–04:00" in page  # London, the user's (UTC in winter)
    assert "Europe/London" in page
    assert home.text not in page
    assert "cn-default" in page
    assert reverse("visits:visit-approve", args=[visit.pk]) in page
    assert response.context["decisions"][0].pk == visit.plan_decision_id


def test_the_planner_sees_no_approve_button(visit, agent):
    response = signed_in(agent).get(detail_url(visit))
    assert response.context["can_approve"] is False
    assert response.context["can_cancel"] is True
    assert reverse("visits:visit-approve", args=[visit.pk]) not in response.content.decode()


def test_approve_send_back_resubmit_and_cancel_from_the_page(visit, supervisor, agent, other_agent, home):
    sup = signed_in(supervisor)
    response = sup.post(
        reverse("visits:visit-send-back", args=[visit.pk]), {"reason": "Afternoon please."}, follow=True
    )
    assert "The plan is sent back to its planner." in messages_of(response)
    planner = signed_in(agent)
    assert planner.get(reverse("visits:visit-resubmit", args=[visit.pk])).status_code == 200
    response = planner.post(
        reverse("visits:visit-resubmit", args=[visit.pk]),
        form_data(home, [agent, other_agent], start_time="14:00", end_time="16:00"),
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED
    response = sup.post(reverse("visits:visit-approve", args=[visit.pk]), follow=True)
    assert "The visit is approved." in messages_of(response)
    response = sup.post(
        reverse("visits:visit-cancel", args=[visit.pk]), {"reason": "Debtor paid."}, follow=True
    )
    assert "The visit is cancelled." in messages_of(response)
    assert Case.objects.get(pk=visit.case_id).stage == Stage.VERIFIED


def _slot_within_a_day() -> dt.datetime:
    """The next of 10:00, 15:00, 20:00 Shanghai at least an hour away: inside the hours, < 24 h ahead."""
    soon = timezone.now() + dt.timedelta(hours=1)
    day = timezone.localdate()
    slots = [
        local(d.year, d.month, d.day, h) for d in (day, day + dt.timedelta(days=1)) for h in (10, 15, 20)
    ]
    return next(s for s in slots if s >= soon)


def test_refused_approval_is_reported_and_overridable_on_the_page(visit, supervisor, settings):
    # Approving less than 24 h before the window without a notice: NOTICE_LEAD_TIME (overridable).
    start = _slot_within_a_day()
    Visit.objects.filter(pk=visit.pk).update(window_start=start, window_end=start + dt.timedelta(hours=1))
    sup = signed_in(supervisor)
    response = sup.post(reverse("visits:visit-approve", args=[visit.pk]), follow=True)
    assert any("NOTICE_LEAD_TIME" in m for m in messages_of(response))
    assert response.context["offer_override"] is True
    refused = RuleDecision.objects.get(action="visit.approve", outcome="refused")
    response = sup.post(
        reverse("visits:visit-override", args=[visit.pk]),
        {"decision": refused.pk, "reason": "Debtor confirmed the time by phone."},
        follow=True,
    )
    assert "The refusal is overridden and the visit approved." in messages_of(response)


def test_csrf_is_enforced_on_approve(visit, supervisor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    assert client.post(reverse("visits:visit-approve", args=[visit.pk])).status_code == 403
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


@pytest.mark.parametrize("role", ["other_supervisor", "other_team_agent", "administrator"])
def test_other_teams_get_404_everywhere(visit, all_roles, role):
    client = signed_in(all_roles[role])
    assert client.get(detail_url(visit)).status_code == 404
    assert client.get(plan_url(visit.case)).status_code == 404
    for name in ("visit-approve", "visit-send-back", "visit-cancel", "visit-override"):
        assert (
            client.post(
                reverse(f"visits:{name}", args=[visit.pk]), {"reason": "x", "decision": 1}
            ).status_code
            == 404
        )
    assert client.get(reverse("visits:visit-resubmit", args=[visit.pk])).status_code == 404
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


def test_compliance_officer_reads_but_cannot_act(visit, compliance_officer):
    client = signed_in(compliance_officer)
    response = client.get(detail_url(visit))
    assert response.status_code == 200
    assert not any(
        response.context[k] for k in ("can_approve", "can_cancel", "can_send_back", "can_resubmit")
    )
    client.post(reverse("visits:visit-approve", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


# --- agenda and calendar: bounded queries ----------------------------------------------------------


def _more_visits(team, supervisor, agent, other_agent, mandate, n):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    for i in range(n):
        case = CaseFactory(
            creditor=mandate.creditor, mandate=mandate, team=team, supervisor=supervisor, agents=[agent]
        )
        day = today + dt.timedelta(days=(i % 2))
        VisitFactory(
            case=case,
            address=verified_home(case),
            planned_by=agent,
            window_start=local(day.year, day.month, day.day, 10 + i),
            window_end=local(day.year, day.month, day.day, 11 + i),
            agents=[agent, other_agent],
        )


def _count(client, url):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_agenda_lists_today_and_the_week_in_bounded_queries(
    team, supervisor, agent, other_agent, mandate, django_assert_max_num_queries
):
    client = signed_in(agent)
    _more_visits(team, supervisor, agent, other_agent, mandate, 1)
    # 11 at most: session, user, user and group permissions (nav), a content type (guardian, for the
    # visible cases), the visits with case, debtor, creditor, address and planner joined, their agents
    # prefetched, the user's role groups, and the session save (savepoint, update, release).
    with django_assert_max_num_queries(11):
        one, response = _count(client, reverse("visits:agenda"))
    assert len(response.context["agenda"].week_visits) == 1
    _more_visits(team, supervisor, agent, other_agent, mandate, 4)
    with django_assert_max_num_queries(11):
        five, response = _count(client, reverse("visits:agenda"))
    assert one == five
    agenda = response.context["agenda"]
    assert len(agenda.week_visits) >= 3  # some days ahead may fall in next week
    assert all(
        v.window_start.astimezone(local(2026, 1, 1, 0).tzinfo).date() == timezone.localdate()
        for v in agenda.today_visits
    )


def test_team_calendar_groups_by_day_in_bounded_queries(
    team, supervisor, agent, other_agent, mandate, other_supervisor, django_assert_max_num_queries
):
    client = signed_in(supervisor)
    _more_visits(team, supervisor, agent, other_agent, mandate, 1)
    # 11 at most: as the agenda (session, user, permissions, guardian's content type, the visits with
    # their joins, their agents, role groups, session save).
    with django_assert_max_num_queries(11):
        one, response = _count(client, reverse("visits:calendar"))
    _more_visits(team, supervisor, agent, other_agent, mandate, 4)
    with django_assert_max_num_queries(11):
        five, response = _count(client, reverse("visits:calendar"))
    assert one == five
    days = response.context["days"]
    assert len(days) == 7
    assert days[0].day.weekday() == 0
    today = timezone.localdate()
    assert sum(len(d.visits) for d in days if d.day == today) == 3
    # The other team's supervisor sees none of them.
    other = signed_in(other_supervisor).get(reverse("visits:calendar"))
    assert sum(len(d.visits) for d in other.context["days"]) == 0
    # Previous and next week links.
    page = response.content.decode()
    monday = today - dt.timedelta(days=today.weekday())
    assert f"?week={(monday - dt.timedelta(days=7)).isoformat()}" in page
    nxt = client.get(reverse("visits:calendar"), {"week": (monday + dt.timedelta(days=7)).isoformat()})
    assert nxt.context["week_start"] == monday + dt.timedelta(days=7)


def test_visit_detail_queries_do_not_grow_with_decisions_or_agents(
    visit, supervisor, django_assert_max_num_queries
):
    client = signed_in(supervisor)
    # 24 at most: session, user, groups and permissions, guardian's checks on the case (content type,
    # object permissions for approve/cancel/override), the visit with its joins, its agents, the
    # decisions with pack/actor joined, and the notice section's own reads when it is installed.
    with django_assert_max_num_queries(24):
        one, _ = _count(client, detail_url(visit))
    for _ in range(4):
        services.visit_send_back(visit=visit, actor=supervisor, reason="Again.")
        visit.refresh_from_db()
        services.visit_resubmit(
            visit=visit,
            actor=visit.planned_by,
            window_start=visit.window_start,
            window_end=visit.window_end,
            agents=[va.agent for va in visit.visit_agents.all()],
            checklist=CHECKLIST,
        )
    with django_assert_max_num_queries(24):
        five, response = _count(client, detail_url(visit))
    assert one == five
    assert len(response.context["decisions"]) == 4  # the four resubmissions' decisions, on the visit


def test_nav_links_by_role(supervisor, agent):
    assert (
        reverse("visits:calendar") in signed_in(supervisor).get(reverse("cases:case-list")).content.decode()
    )
    page = signed_in(agent).get(reverse("cases:case-list")).content.decode()
    assert reverse("visits:agenda") in page
    assert reverse("visits:calendar") not in page


def test_masked_pattern_is_used(visit, supervisor):
    page = signed_in(supervisor).get(detail_url(visit)).content.decode()
    assert re.search(r'class="masked"', page)
