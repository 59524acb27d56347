"""Reads on cases: they start from the policy's visible set, filter, sort, and explain the stage moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases import selectors, services
from cases.models import Stage
from tests.factories import (
    TODAY,
    CaseFactory,
    CreditorFactory,
    DebtorFactory,
    MandateFactory,
    UserFactory,
    make_verifiable,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(creditor, mandate, team, supervisor, agent, other_agent):  # type: ignore[no-untyped-def]
    """Three cases of the team with distinct names, amounts and dates, and one of another creditor."""
    make = dict(creditor=creditor, mandate=mandate, team=team, supervisor=supervisor)
    wang = CaseFactory(
        **make,
        debtor=DebtorFactory(name="王小明"),
        external_ref="HZ-001",
        contract_no="LN2026-0001",
        outstanding=Decimal("500.00"),
        overdue_since=TODAY - dt.timedelta(days=30),
        agents=[agent],
    )
    li = CaseFactory(
        **make,
        debtor=DebtorFactory(name="李小红"),
        external_ref="HZ-002",
        contract_no="LN2026-0002",
        outstanding=Decimal("9000.00"),
        overdue_since=TODAY - dt.timedelta(days=300),
        agents=[other_agent],
    )
    smith = CaseFactory(
        **make,
        debtor=DebtorFactory(name="John Smith"),
        external_ref="HZ-003",
        contract_no="X-77",
        outstanding=Decimal("1200.00"),
        overdue_since=TODAY - dt.timedelta(days=90),
        agents=[agent, other_agent],
    )
    other_creditor = CreditorFactory(code="sh-bank")
    other = CaseFactory(
        creditor=other_creditor,
        mandate=MandateFactory(creditor=other_creditor),
        team=team,
        supervisor=supervisor,
        debtor=DebtorFactory(name="赵小刚"),
        external_ref="SH-1",
        contract_no="SH-C-1",
        outstanding=Decimal("1.00"),
        overdue_since=TODAY,
    )
    return {"wang": wang, "li": li, "smith": smith, "other": other}


def refs(qs) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.external_ref for c in qs]


def test_list_starts_from_what_the_user_may_see(
    cases, supervisor, agent, other_team_agent, compliance_officer
):
    assert set(refs(selectors.case_list(user=supervisor))) == {"HZ-001", "HZ-002", "HZ-003", "SH-1"}
    assert set(refs(selectors.case_list(user=agent))) == {"HZ-001", "HZ-003"}
    assert refs(selectors.case_list(user=other_team_agent)) == []
    assert set(refs(selectors.case_list(user=compliance_officer))) == {"HZ-001", "HZ-002", "HZ-003", "SH-1"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("小", {"HZ-001", "HZ-002", "SH-1"}),  # Chinese partial name
        ("小明", {"HZ-001"}),
        ("smith", {"HZ-003"}),  # case-insensitive
        ("LN2026-0002", {"HZ-002"}),  # contract number
        ("ln2026", {"HZ-001", "HZ-002"}),  # contract number prefix
        ("hz-003", {"HZ-003"}),  # external reference
        ("HZ-", {"HZ-001", "HZ-002", "HZ-003"}),
        ("2026-0002", set()),  # contract numbers match from the start, not inside
        ("  小明  ", {"HZ-001"}),
        ("nobody", set()),
    ],
)
def test_search(cases, supervisor, q, expected):
    assert set(refs(selectors.case_list(user=supervisor, q=q))) == expected


def test_search_never_widens_visibility(cases, agent):
    assert refs(selectors.case_list(user=agent, q="李小红")) == []


def test_filter_by_stage(cases, supervisor, agent):
    make_verifiable(cases["wang"], agent)
    services.case_verify(case=cases["wang"], actor=agent, today=TODAY)

    assert refs(selectors.case_list(user=supervisor, stage=Stage.VERIFIED)) == ["HZ-001"]
    assert "HZ-001" not in refs(selectors.case_list(user=supervisor, stage=Stage.NEW))


def test_filter_by_agent(cases, supervisor, agent, other_agent):
    assert set(refs(selectors.case_list(user=supervisor, agent_id=agent.pk))) == {"HZ-001", "HZ-003"}
    assert set(refs(selectors.case_list(user=supervisor, agent_id=other_agent.pk))) == {"HZ-002", "HZ-003"}


def test_filter_by_creditor(cases, supervisor):
    assert refs(selectors.case_list(user=supervisor, creditor_code="sh-bank")) == ["SH-1"]
    assert len(refs(selectors.case_list(user=supervisor, creditor_code="hzbank"))) == 3


def test_filters_combine(cases, supervisor, agent):
    assert refs(selectors.case_list(user=supervisor, agent_id=agent.pk, q="smith")) == ["HZ-003"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["SH-1", "HZ-003", "HZ-002", "HZ-001"]),
        ("oldest", ["HZ-001", "HZ-002", "HZ-003", "SH-1"]),
        ("overdue", ["HZ-002", "HZ-003", "HZ-001", "SH-1"]),
        ("outstanding", ["HZ-002", "HZ-003", "HZ-001", "SH-1"]),
        ("unknown", ["SH-1", "HZ-003", "HZ-002", "HZ-001"]),  # falls back to newest
    ],
)
def test_sort(cases, supervisor, sort, expected):
    assert refs(selectors.case_list(user=supervisor, sort=sort)) == expected


def test_sort_by_debtor_name(creditor, mandate, team, supervisor):
    # ASCII names of one case: the same order under every database collation.
    for name in ["Carol Wu", "Alice Ma", "Bob Li"]:
        CaseFactory(creditor=creditor, mandate=mandate, team=team, debtor=DebtorFactory(name=name))

    names = [c.debtor.name for c in selectors.case_list(user=supervisor, sort="debtor")]

    assert names == ["Alice Ma", "Bob Li", "Carol Wu"]


def test_sort_is_total_on_ties(creditor, mandate, team, supervisor):
    """Equal sort keys fall back to pk, so pages never repeat or skip a case."""
    made = [
        CaseFactory(creditor=creditor, mandate=mandate, team=team, outstanding=Decimal("5.00"))
        for _ in range(4)
    ]

    assert [c.pk for c in selectors.case_list(user=supervisor, sort="outstanding")] == [c.pk for c in made]


def test_case_detail_hides_what_the_user_may_not_see(case, agent, other_team_agent):
    assert selectors.case_detail(user=agent, pk=case.pk) == case
    assert selectors.case_detail(user=other_team_agent, pk=case.pk) is None
    assert selectors.case_detail(user=agent, pk=case.pk + 1000) is None


def test_prefetched_facts_equal_queried_facts(case, agent):
    for step in range(3):
        detail = selectors.case_detail(user=agent, pk=case.pk)
        assert selectors.verification_facts_prefetched(detail) == selectors.verification_facts(case)
        if step == 0:
            make_verifiable(case, agent)
        elif step == 1:
            case.mandate.revoked_on = TODAY
            case.mandate.save()


def test_transition_options_explain_what_is_missing(case, agent):
    detail = selectors.case_detail(user=agent, pk=case.pk)

    (option,) = selectors.transition_options(case=detail, user=agent, today=TODAY)

    assert (option.name, option.target, option.available) == ("verify", Stage.VERIFIED, False)
    assert [r.code for r in option.reasons] == [
        "IDENTITY_UNCHECKED",
        "ADDRESS_UNVERIFIED",
        "CONTRACT_MISSING",
        "ASSESSMENT_MISSING",
    ]


def test_transition_options_when_everything_is_there(case, agent, compliance_officer):
    make_verifiable(case, agent)
    detail = selectors.case_detail(user=agent, pk=case.pk)

    (for_agent,) = selectors.transition_options(case=detail, user=agent, today=TODAY)
    (for_officer,) = selectors.transition_options(case=detail, user=compliance_officer, today=TODAY)

    assert for_agent.available
    assert for_agent.reasons == ()
    assert not for_officer.available
    assert [r.code for r in for_officer.reasons] == ["PERMISSION_DENIED"]


def test_transition_options_use_the_given_day(case, agent):
    make_verifiable(case, agent)
    detail = selectors.case_detail(user=agent, pk=case.pk)

    (option,) = selectors.transition_options(
        case=detail, user=agent, today=case.mandate.valid_until + dt.timedelta(1)
    )

    assert [r.code for r in option.reasons] == ["MANDATE_VALID"]


def test_verified_case_offers_return_to_new(case, agent, compliance_officer):
    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent, today=TODAY)
    detail = selectors.case_detail(user=agent, pk=case.pk)

    assert [(o.name, o.available) for o in selectors.transition_options(case=detail, user=agent)] == [
        ("unverify", True)
    ]
    assert [
        (o.name, o.available) for o in selectors.transition_options(case=detail, user=compliance_officer)
    ] == [("unverify", False)]


def test_timeline_merges_audit_events_and_history_newest_first(case, agent):
    make_verifiable(case, agent)
    services.case_verify(case=case, actor=agent, today=TODAY)

    timeline = selectors.case_timeline(case=case)

    kinds = {item["kind"] for item in timeline}
    assert kinds == {"audit", "history"}
    assert [i["at"] for i in timeline] == sorted((i["at"] for i in timeline), reverse=True)
    audit_actions = [i["action"] for i in timeline if i["kind"] == "audit"]
    assert audit_actions[0] == "case.verified"
    assert "debtor.identity_checked" in audit_actions
    assert all(i["user"] == agent for i in timeline if i["kind"] == "audit")
    verified = next(i for i in timeline if i["kind"] == "history" and i["stage"] == Stage.VERIFIED)
    assert verified["user"] == agent


def test_timeline_only_holds_this_cases_events(case, agent, creditor, mandate, team):
    other = CaseFactory(creditor=creditor, mandate=mandate, team=team, agents=[agent])
    services.assessment_record(case=other, actor=agent, capacity="low", willingness="low", note="n")

    assert not [i for i in selectors.case_timeline(case=case) if i["kind"] == "audit"]


def test_timeline_is_limited(case, agent):
    for _ in range(4):
        services.assessment_record(case=case, actor=agent, capacity="low", willingness="low", note="n")

    assert len(selectors.case_timeline(case=case, limit=3)) == 3


def test_assignable_agents_are_active_agents_of_the_cases_team(
    case, agent, other_agent, other_team_agent, team
):
    gone = UserFactory(team=team, roles=["field_agent"])
    gone.is_active = False
    gone.save()

    assert set(selectors.assignable_agents(case=case)) == {agent, other_agent}


def test_agents_offered_in_the_filter(
    case, supervisor, agent, other_agent, other_team_agent, compliance_officer
):
    assert set(selectors.agents_visible_to(supervisor)) == {agent, other_agent}
    assert set(selectors.agents_visible_to(compliance_officer)) == {agent, other_agent, other_team_agent}


def test_stage_choices_cover_the_whole_machine():
    assert [value for value, _ in selectors.stage_choices()] == list(Stage.values)
