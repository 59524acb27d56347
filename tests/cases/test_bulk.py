"""Bulk actions from the case list: one transaction, one audit event per case, every refusal named;
and the assignment helpers (workload per agent, suggested agent by area)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import services, workload
from cases.models import Case, CaseAssignment
from common.errors import DomainError
from compliance.models import AuditEvent
from tests.factories import (
    AddressFactory,
    CaseFactory,
    DebtorFactory,
    PhoneFactory,
    UserFactory,
    audit_actions_since,
    audit_head,
    close_case,
)
from tests.visits.conftest import home, plan, planned, verified_case  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def agents_of(case: Case) -> set[int]:
    return set(CaseAssignment.objects.filter(case=case).values_list("agent_id", flat=True))


@pytest.fixture
def three(creditor, mandate, team, supervisor, agent):  # type: ignore[no-untyped-def]
    return [
        CaseFactory(
            creditor=creditor,
            mandate=mandate,
            team=team,
            supervisor=supervisor,
            agents=[agent],
            external_ref=f"BULK-{i}",
            debtor=DebtorFactory(name=f'=HYPERLINK("x")债务人{i}'),
        )
        for i in range(3)
    ]


# --- services ----------------------------------------------------------------------------------------


def test_bulk_reassign_writes_one_event_per_case(three, supervisor, agent, other_agent):
    since = audit_head()

    count = services.cases_bulk_assign_agents(
        case_ids=[c.pk for c in three], agents=[other_agent], mode="replace", actor=supervisor
    )

    assert count == 3
    assert all(agents_of(c) == {other_agent.pk} for c in three)
    assert audit_actions_since(since) == ["case.agents_assigned"] * 3
    events = AuditEvent.objects.filter(seq__gt=since).order_by("seq")
    assert [e.case_id for e in events] == sorted(c.pk for c in three)


def test_bulk_add_keeps_the_current_agents(three, supervisor, agent, other_agent):
    services.cases_bulk_assign_agents(
        case_ids=[three[0].pk], agents=[other_agent], mode="add", actor=supervisor
    )

    assert agents_of(three[0]) == {agent.pk, other_agent.pk}


def test_one_refused_case_writes_nothing(three, supervisor, agent, other_agent, other_team):
    """The supervisor may assign on a case of another team (granted), but not with this team's agent:
    the cases before it were assigned inside the transaction and are rolled back."""
    foreign = CaseFactory(team=other_team, external_ref="SOUTH-1")
    for perm in ("view_case", "change_case"):
        assign_perm(perm, supervisor, foreign)
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        services.cases_bulk_assign_agents(
            case_ids=[*(c.pk for c in three), foreign.pk],
            agents=[other_agent],
            mode="replace",
            actor=supervisor,
        )

    assert refused.value.codes == ["AGENT_OTHER_TEAM"]
    assert "SOUTH-1" in str(refused.value.failures[0].message)
    assert all(agents_of(c) == {agent.pk} for c in three)
    assert audit_actions_since(since) == ["case.bulk_agents_assigned.refused"]
    event = AuditEvent.objects.get(seq=since + 1)
    assert event.case_id == foreign.pk
    assert event.data["codes"] == ["AGENT_OTHER_TEAM"]


def test_a_case_the_user_may_not_see_is_not_found(three, supervisor, other_agent, other_team):
    hidden = CaseFactory(team=other_team)
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        services.cases_bulk_assign_agents(
            case_ids=[three[0].pk, hidden.pk], agents=[other_agent], mode="replace", actor=supervisor
        )

    assert refused.value.codes == ["NOT_FOUND"]
    assert agents_of(three[0]) != {other_agent.pk}
    assert audit_actions_since(since) == ["case.bulk_agents_assigned.refused"]


def test_a_closed_case_is_refused_by_name(three, supervisor, other_agent):
    close_case(three[1], at=timezone.now())

    with pytest.raises(DomainError) as refused:
        services.cases_bulk_assign_agents(
            case_ids=[c.pk for c in three], agents=[other_agent], mode="replace", actor=supervisor
        )

    assert refused.value.codes == ["CASE_CLOSED"]
    assert "BULK-1" in str(refused.value.failures[0].message)
    assert agents_of(three[0]) != {other_agent.pk}


def test_a_role_without_assignment_is_refused_per_case(three, compliance_officer, other_agent):
    with pytest.raises(DomainError) as refused:
        services.cases_bulk_assign_agents(
            case_ids=[three[0].pk], agents=[other_agent], mode="replace", actor=compliance_officer
        )

    assert refused.value.codes == ["PERMISSION_DENIED"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"mode": "swap"}, "INVALID_INPUT"),
        ({"agents": []}, "FIELD_REQUIRED"),
        ({"case_ids": []}, "INVALID_INPUT"),
    ],
)
def test_bad_bulk_input_is_refused(three, supervisor, other_agent, kwargs, code):
    call = {
        "case_ids": [three[0].pk],
        "agents": [other_agent],
        "mode": "replace",
        "actor": supervisor,
    } | kwargs

    with pytest.raises(DomainError) as refused:
        services.cases_bulk_assign_agents(**call)

    assert refused.value.codes == [code]


def test_bulk_supervisor_change(three, team, supervisor):
    deputy = UserFactory(username="deputy", team=team, roles=["supervisor"])
    since = audit_head()

    assert (
        services.cases_bulk_change_supervisor(
            case_ids=[c.pk for c in three], supervisor=deputy, actor=supervisor
        )
        == 3
    )

    assert set(Case.objects.filter(pk__in=[c.pk for c in three]).values_list("supervisor", flat=True)) == {
        deputy.pk
    }
    assert audit_actions_since(since) == ["case.supervisor_changed"] * 3
    assert AuditEvent.objects.get(seq=since + 1).data["to"] == deputy.pk


@pytest.mark.parametrize("who", ["other_supervisor", "agent"])
def test_supervisor_of_another_team_or_not_a_supervisor_is_refused(request, three, supervisor, who):
    target = request.getfixturevalue(who)

    with pytest.raises(DomainError) as refused:
        services.cases_bulk_change_supervisor(
            case_ids=[c.pk for c in three], supervisor=target, actor=supervisor
        )

    assert refused.value.codes == [
        "SUPERVISOR_OTHER_TEAM" if who == "other_supervisor" else "NOT_A_SUPERVISOR"
    ]
    assert set(Case.objects.filter(pk__in=[c.pk for c in three]).values_list("supervisor", flat=True)) == {
        supervisor.pk
    }


def test_export_masks_and_is_spreadsheet_safe(three, agent):
    PhoneFactory(debtor=three[0].debtor, number="13912345678")
    stream = io.BytesIO()
    since = audit_head()

    rows = services.cases_export_csv(case_ids=[c.pk for c in three], actor=agent, stream=stream)

    cells = list(csv.reader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))
    assert rows == 3
    assert cells[0][0] == "case_id"
    first = dict(zip(cells[0], cells[1], strict=True))
    assert first["phones"] == "139****5678"
    assert first["id_number"] == three[0].debtor.id_number_masked
    assert first["debtor"].startswith("'=")  # formula neutralised
    assert audit_actions_since(since) == ["case.exported"] * 3
    assert all(e.data["full_pii"] is False for e in AuditEvent.objects.filter(seq__gt=since))


def test_full_personal_data_only_for_a_role_with_the_need(three, supervisor, administrator):
    PhoneFactory(debtor=three[0].debtor, number="13912345678")
    stream = io.BytesIO()

    services.cases_export_csv(case_ids=[three[0].pk], actor=supervisor, stream=stream, full_pii=True)

    assert "13912345678" in stream.getvalue().decode("utf-8-sig")
    with pytest.raises(DomainError) as refused:  # an administrator sees no case at all
        services.cases_export_csv(
            case_ids=[three[0].pk], actor=administrator, stream=io.BytesIO(), full_pii=True
        )
    assert refused.value.codes == ["NOT_FOUND"]


# --- pages -------------------------------------------------------------------------------------------


def test_the_list_leads_to_a_confirmation_that_writes_nothing(three, supervisor, agent):
    client = signed_in(supervisor)
    since = audit_head()
    response = client.post(
        reverse("cases:case-bulk"),
        {
            "action": "assign",
            "case": [three[0].pk],
            "page_ids": ",".join(str(c.pk) for c in three),
            "all_on_page": "on",
        },
    )

    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == sorted(c.pk for c in three)  # every case of the page
    assert "open cases" in response.content.decode()  # the workload next to each agent
    assert audit_head() == since
    assert all(agents_of(c) == {agent.pk} for c in three)


def test_confirming_assigns_and_returns_to_the_list(three, supervisor, other_agent):
    back = reverse("cases:case-list") + "?stage=new"
    response = signed_in(supervisor).post(
        reverse("cases:case-bulk-apply"),
        {
            "action": "assign",
            "cases": ",".join(str(c.pk) for c in three),
            "agents": [other_agent.pk],
            "mode": "replace",
            "back": back,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == back
    assert all(agents_of(c) == {other_agent.pk} for c in three)


def test_a_refusal_is_shown_on_the_confirmation_page(three, supervisor, other_agent):
    close_case(three[2], at=timezone.now())

    response = signed_in(supervisor).post(
        reverse("cases:case-bulk-apply"),
        {
            "action": "assign",
            "cases": ",".join(str(c.pk) for c in three),
            "agents": [other_agent.pk],
            "mode": "replace",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was changed" in html
    assert "BULK-2" in html
    assert "CASE_CLOSED" in html


def test_nothing_selected_is_named(three, supervisor):
    response = signed_in(supervisor).post(reverse("cases:case-bulk"), {"action": "assign"}, follow=True)

    assert "Select at least one case." in " ".join(str(m) for m in response.context["messages"])


def test_an_agent_may_export_but_not_bulk_assign(three, agent):
    client = signed_in(agent)

    refused = client.post(
        reverse("cases:case-bulk"), {"action": "assign", "case": [three[0].pk]}, follow=True
    )
    exported = client.post(reverse("cases:case-bulk-apply"), {"action": "export", "cases": str(three[0].pk)})

    assert "[PERMISSION_DENIED]" in " ".join(str(m) for m in refused.context["messages"])
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    assert b"BULK-0" in b"".join(exported.streaming_content)


def test_the_back_link_stays_on_the_list(three, supervisor):
    response = signed_in(supervisor).post(
        reverse("cases:case-bulk"), {"action": "assign", "back": "https://evil.example/"}
    )

    assert response["Location"] == reverse("cases:case-list")


# --- workload and suggestion -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("北京市朝阳区建国路1号", "北京市朝阳区"),
        ("浙江省杭州市西湖区文三路 90 号", "浙江省杭州市西湖区"),
        ("上海市徐汇区漕溪北路88号", "上海市徐汇区"),
        ("苏州市姑苏路12号", "苏州市"),
        ("12 Baker Street, Westminster, London", "westminster, london"),
        ("Nowhere", ""),
        ("", ""),
    ],
)
def test_address_area(text, area):
    assert workload.address_area(text) == area


def test_workload_and_suggestion(creditor, mandate, team, supervisor, agent, other_agent):
    for i in range(2):
        case = CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[agent])
        AddressFactory(debtor=case.debtor, text=f"北京市朝阳区建国路{i}号")
    for i in range(3):
        case = CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[other_agent])
        AddressFactory(debtor=case.debtor, text=f"上海市徐汇区路{i}号")
    done = CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[agent])
    close_case(done, at=timezone.now())
    new = CaseFactory(creditor=creditor, mandate=mandate, team=team)
    AddressFactory(debtor=new.debtor, text="北京市朝阳区光华路5号")

    loads = {x.agent.pk: x for x in workload.agent_loads(agents=workload.team_agents(team_id=team.pk))}
    area = workload.case_areas([new])[new.pk]

    assert (loads[agent.pk].open_cases, loads[other_agent.pk].open_cases) == (
        2,
        3,
    )  # the closed one not counted
    assert area == "北京市朝阳区"
    assert workload.suggest(loads.values(), area).agent == agent
    assert workload.suggest(loads.values(), "广州市天河区") is None
    assert workload.least_loaded(loads.values()).agent == agent


def test_visits_this_week_are_counted(planned, agent):  # noqa: F811
    visit = planned  # planned for this week by `agent`, who goes with `other_agent`
    today = timezone.localtime(visit.window_start).date()

    loads = workload.agent_loads(agents=workload.team_agents(team_id=visit.case.team_id), today=today)

    assert {x.agent.pk: x.visits_this_week for x in loads}[agent.pk] == 1
    later = workload.agent_loads(
        agents=workload.team_agents(team_id=visit.case.team_id), today=today + dt.timedelta(days=14)
    )
    assert {x.agent.pk: x.visits_this_week for x in later}[agent.pk] == 0


def test_the_assign_helper_page(case, supervisor, agent, other_agent):
    AddressFactory(debtor=case.debtor, text="北京市朝阳区建国路9号")
    response = signed_in(supervisor).get(reverse("cases:case-assign", args=[case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Agent Li" in html
    assert "visits this week" in html
    assert "How the agent is suggested" in html
    assert response.context["area"] == "北京市朝阳区"


def test_the_assign_helper_refuses_a_role_that_cannot_assign(case, compliance_officer):
    response = signed_in(compliance_officer).get(reverse("cases:case-assign", args=[case.pk]), follow=True)

    assert "[PERMISSION_DENIED]" in " ".join(str(m) for m in response.context["messages"])


def _confirm_queries(client: Client, ids: list[int], assert_max) -> int:  # type: ignore[no-untyped-def]
    data = {"action": "assign", "case": ids}
    assert client.post(reverse("cases:case-bulk"), data).status_code == 200  # warm (content types)
    with assert_max(16) as queries:
        assert client.post(reverse("cases:case-bulk"), data).status_code == 200
    return len(queries)


def test_the_confirmation_page_takes_as_many_queries_for_5_or_50_cases(
    creditor, mandate, team, supervisor, agent, django_assert_max_num_queries
):
    # Session, user, permissions, roles, the selected cases with their joins and the assignments
    # prefetch, the agents with their workload (one query) and their cases' home addresses (areas),
    # the cases' planned visits and home addresses (their areas), the agents offered, the session
    # renewal: none of them per case.
    client = signed_in(supervisor)

    def make(n: int) -> list[int]:
        made = [CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[agent]) for _ in range(n)]
        for case in made:
            AddressFactory(debtor=case.debtor)
        return [c.pk for c in made]

    few = _confirm_queries(client, make(5), django_assert_max_num_queries)
    many = _confirm_queries(client, make(50), django_assert_max_num_queries)

    assert few == many
