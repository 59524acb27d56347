"""Planning services: plan, approve, send back, resubmit, cancel, override — each happy path, each
refusal, exactly the audit events, and the refused decisions kept after the DomainError."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services as case_services
from cases.models import Case, Stage
from common.errors import DomainError, PermissionRefused
from compliance.models import AuditEvent, RuleDecision
from compliance.refusals import RulesRefused
from tests.debtor_fact_helpers import put_facts
from tests.factories import (
    AddressFactory,
    DebtorFactory,
    UserFactory,
    audit_actions_since,
    audit_events_since,
    audit_head,
)
from tests.visits.conftest import END, NOW, START, plan_with
from tests.visits.factories import local
from visits import services
from visits.models import Visit, VisitAgent, VisitState

pytestmark = pytest.mark.django_db


def codes(error: DomainError) -> set[str]:
    return set(error.codes)


def set_flag(case: Case, **flags: bool) -> None:
    """visits_refused as the notice-refusal service leaves it; the other facts through their services."""
    if flags.pop("visits_refused", False):
        case.debtor.visits_refused = True
        case.debtor.save()
    put_facts(case, **flags)


# --- plan: the happy path ------------------------------------------------------------------------


def test_plan_creates_the_visit_moves_the_case_and_audits(plan, agent, other_agent):
    seq = audit_head()

    visit = services.visit_plan(**plan)

    assert visit.state == VisitState.PLANNED
    assert visit.window_start == START
    assert visit.window_end == END
    assert visit.time_zone == "Asia/Shanghai"
    assert visit.planned_by == agent
    assert sorted(VisitAgent.objects.filter(visit=visit).values_list("agent_id", flat=True)) == sorted(
        [agent.pk, other_agent.pk]
    )
    assert visit.checklist == plan["checklist"]
    case = Case.objects.get(pk=plan["case"].pk)
    assert case.stage == Stage.VISIT_PLANNED
    assert visit.plan_decision.outcome == RuleDecision.Outcome.ALLOWED
    assert visit.plan_decision.action == "visit.plan"
    assert audit_actions_since(seq) == ["rules.allowed", "visit.planned"]
    event = audit_events_since(seq)[-1]
    assert event.object_type == "visits.visit"
    assert event.object_id == str(visit.pk)
    assert event.data["window"] == ["2026-11-26T02:00:00.000000Z", "2026-11-26T04:00:00.000000Z"]
    assert event.data["agents"] == sorted([agent.pk, other_agent.pk])
    assert event.data["decision"] == visit.plan_decision.pk
    assert event.data["stage"] == {"from": "verified", "to": "visit_planned", "transition": "plan_visit"}


def test_supervisor_may_plan_too(plan, supervisor):
    visit = services.visit_plan(**plan_with(plan, actor=supervisor))
    assert visit.planned_by == supervisor


def test_an_unassigned_agent_of_the_team_may_go(plan, other_agent):
    # other_agent is in the team but not assigned to the case (conftest): allowed, and they see it.
    visit = services.visit_plan(**plan)
    from visits.policies import visits_visible_to

    assert visits_visible_to(other_agent).filter(pk=visit.pk).exists()


# --- plan: refusals before the rules ---------------------------------------------------------------


def _refused_before_rules(plan, code, **changes):  # type: ignore[no-untyped-def]
    seq = audit_head()
    decisions = RuleDecision.objects.count()
    with pytest.raises(DomainError) as caught:
        services.visit_plan(**plan_with(plan, **changes))
    assert code in codes(caught.value)
    assert not isinstance(caught.value, RulesRefused)
    assert Visit.objects.count() == 0
    assert RuleDecision.objects.count() == decisions  # nothing judged, nothing kept
    assert audit_actions_since(seq) == ["visit.plan.refused"]
    assert audit_events_since(seq)[0].data["codes"] == caught.value.codes
    return caught.value


def test_plan_refused_on_a_case_not_verified(plan):
    case = plan["case"]
    Case.objects.filter(pk=case.pk).update(stage=Stage.NEW)  # set up only: stages move through services
    error = _refused_before_rules(plan, "WRONG_STAGE")
    assert error.failures[0].field == "stage"


def test_plan_refused_for_another_debtors_address(plan):
    stranger = AddressFactory(debtor=DebtorFactory(), status="verified")
    error = _refused_before_rules(plan, "ADDRESS_NOT_DEBTORS", address_id=stranger.pk)
    assert error.failures[0].field == "address"


def test_plan_refused_for_an_agent_of_another_team(plan, agent, other_team_agent):
    _refused_before_rules(plan, "AGENT_OTHER_TEAM", agents=[agent, other_team_agent])


def test_plan_refused_for_an_inactive_agent(plan, agent, other_agent):
    other_agent.is_active = False
    other_agent.save()
    _refused_before_rules(plan, "AGENT_NOT_FIELD_AGENT", agents=[agent, other_agent])


def test_plan_refused_for_a_supervisor_as_agent(plan, agent, supervisor):
    _refused_before_rules(plan, "AGENT_NOT_FIELD_AGENT", agents=[agent, supervisor])


@pytest.mark.parametrize("missing", ["authorization_letter", "work_ids"])
def test_plan_refused_when_the_checklist_lacks_credentials(plan, missing):
    checklist = [i for i in plan["checklist"] if i != missing]
    error = _refused_before_rules(plan, "CHECKLIST_INCOMPLETE", checklist=checklist)
    assert error.failures[0].field == "checklist"


def test_plan_refused_for_a_window_in_the_past(plan):
    _refused_before_rules(
        plan, "WINDOW_IN_PAST", window_start=local(2026, 11, 22, 10), window_end=local(2026, 11, 22, 12)
    )


def test_plan_refused_for_a_window_ending_before_it_starts(plan):
    _refused_before_rules(plan, "WINDOW_INVALID", window_end=START - dt.timedelta(hours=1))


def test_plan_refused_for_an_unknown_purpose(plan):
    _refused_before_rules(plan, "INVALID_INPUT", purpose="threaten")


def test_plan_refused_when_a_visit_is_already_live(plan, planned):
    Case.objects.filter(pk=plan["case"].pk).update(stage=Stage.VERIFIED)  # even if the stage allowed it
    with pytest.raises(DomainError) as caught:
        services.visit_plan(
            **plan_with(
                plan, window_start=START + dt.timedelta(days=1), window_end=END + dt.timedelta(days=1)
            )
        )
    assert "VISIT_ALREADY_PLANNED" in codes(caught.value)


def test_second_plan_on_a_planned_case_names_stage_and_live_visit(plan, planned):
    with pytest.raises(DomainError) as caught:
        services.visit_plan(**plan)
    assert codes(caught.value) >= {"WRONG_STAGE", "VISIT_ALREADY_PLANNED"}


@pytest.mark.parametrize(
    "role", ["compliance_officer", "other_supervisor", "other_team_agent", "administrator"]
)
def test_plan_refused_to_roles_without_the_right(plan, all_roles, role):
    seq = audit_head()
    with pytest.raises(PermissionRefused):
        services.visit_plan(**plan_with(plan, actor=all_roles[role]))
    assert audit_actions_since(seq) == ["visit.plan.refused"]
    assert Visit.objects.count() == 0


# --- plan: refusals by the rules (the refused decision is kept) --------------------------------


def _refused_by_rules(plan, code, **changes):  # type: ignore[no-untyped-def]
    seq = audit_head()
    with pytest.raises(RulesRefused) as caught:
        services.visit_plan(**plan_with(plan, **changes))
    assert code in codes(caught.value)
    # Decide, then act: the refusal commits the decision and its event, and nothing else.
    assert audit_actions_since(seq) == ["rules.refused"]
    decision = caught.value.decision
    assert RuleDecision.objects.filter(pk=decision.pk, outcome="refused", action="visit.plan").exists()
    assert code in {f["code"] for f in decision.failures}
    assert decision.object_type == "cases.case"
    assert decision.object_id == str(plan["case"].pk)
    assert audit_events_since(seq)[0].object_id == str(decision.pk)
    assert Visit.objects.count() == 0
    assert Case.objects.get(pk=plan["case"].pk).stage == Stage.VERIFIED
    return caught.value


def test_window_at_0730_debtor_local_is_refused_contact_window(plan):
    error = _refused_by_rules(
        plan, "CONTACT_WINDOW", window_start=local(2026, 11, 26, 7, 30), window_end=local(2026, 11, 26, 9)
    )
    assert not error.overridable


def test_one_agent_under_the_cn_pack_is_refused_min_agents(plan, agent):
    _refused_by_rules(plan, "MIN_AGENTS", agents=[agent])


def test_an_expired_work_id_is_refused_agent_qualified(plan, other_agent):
    other_agent.work_id_expires_on = dt.date(2026, 11, 25)  # the day before the visit
    other_agent.save()
    _refused_by_rules(plan, "AGENT_QUALIFIED")


@pytest.mark.parametrize(
    ("flag", "code", "overridable"),
    [
        ("visits_refused", "VISIT_REFUSED", True),
        ("contact_ceased", "CEASE_CONTACT", False),
        ("represented", "REPRESENTED", False),
        ("disputed", "DISPUTE_OPEN", False),
        ("vulnerable", "VULNERABLE", True),
    ],
)
def test_debtor_flags_refuse_the_plan(plan, flag, code, overridable):
    set_flag(plan["case"], **{flag: True})
    error = _refused_by_rules(plan, code)
    assert error.overridable is overridable


def test_a_work_address_needs_the_debtors_consent(plan):
    work = AddressFactory(debtor=plan["case"].debtor, kind="work", status="verified")
    _refused_by_rules(plan, "PLACE_ALLOWED", address_id=work.pk)
    # A tick is not a consent: only a consent record covering the place counts.
    _refused_by_rules(plan, "PLACE_ALLOWED", address_id=work.pk, place_consent=True)
    case_services.consent_record(
        case=plan["case"],
        actor=plan["actor"],
        kind="place",
        given_by="The debtor",
        given_at=local(2026, 11, 23, 8),
        method="phone",
        address_id=work.pk,
    )
    visit = services.visit_plan(**plan_with(plan, address_id=work.pk))
    assert visit.address == work


def test_the_refused_decision_survives_the_callers_rollback_boundary(plan, agent):
    # The DomainError is raised after the service's transaction committed the decision.
    with pytest.raises(RulesRefused):
        services.visit_plan(**plan_with(plan, agents=[agent]))
    assert RuleDecision.objects.filter(outcome="refused").count() == 1
    assert AuditEvent.objects.filter(action="rules.refused").count() == 1


# --- plan: overrides -----------------------------------------------------------------------------


def test_supervisor_overrides_an_overridable_plan_refusal(plan, supervisor):
    set_flag(plan["case"], vulnerable=True)
    seq = audit_head()

    visit = services.visit_plan(
        **plan_with(plan, actor=supervisor, override_reason="Vulnerability review closed by phone today.")
    )

    assert audit_actions_since(seq) == ["rules.refused", "rules.overridden", "visit.planned"]
    decision = visit.plan_decision
    assert decision.outcome == RuleDecision.Outcome.OVERRIDDEN
    assert decision.override_of.outcome == RuleDecision.Outcome.REFUSED
    assert decision.override_reason.startswith("Vulnerability")
    assert decision.actor == supervisor
    overridden = audit_events_since(seq)[1]
    assert overridden.data["codes"] == ["VULNERABLE"]
    assert "reason" not in overridden.data  # a digest only


def test_override_refused_for_a_failure_the_pack_does_not_allow(plan, supervisor):
    set_flag(plan["case"], disputed=True)
    seq = audit_head()
    with pytest.raises(RulesRefused) as caught:
        services.visit_plan(
            **plan_with(plan, actor=supervisor, override_reason="The dispute is nonsense, go.")
        )
    assert codes(caught.value) == {"DISPUTE_OPEN", "OVERRIDE_NOT_ALLOWED"}
    assert audit_actions_since(seq) == ["rules.refused"]
    assert not RuleDecision.objects.filter(outcome="overridden").exists()
    assert Visit.objects.count() == 0


def test_the_planning_agent_cannot_override(plan):
    set_flag(plan["case"], vulnerable=True)
    with pytest.raises(RulesRefused) as caught:
        services.visit_plan(**plan_with(plan, override_reason="I checked, the debtor is fine now."))
    assert codes(caught.value) == {"VULNERABLE", "OVERRIDE_NOT_PERMITTED"}


def test_an_override_needs_a_real_reason(plan, supervisor):
    set_flag(plan["case"], vulnerable=True)
    with pytest.raises(RulesRefused) as caught:
        services.visit_plan(**plan_with(plan, actor=supervisor, override_reason="ok"))
    assert "OVERRIDE_REASON" in codes(caught.value)
    assert RuleDecision.objects.filter(outcome="refused").count() == 1


# --- approve -------------------------------------------------------------------------------------


def test_supervisor_approves_and_the_rules_run_again(planned, supervisor):
    seq = audit_head()

    visit = services.visit_approve(visit=planned, actor=supervisor, now=NOW)

    assert visit.state == VisitState.APPROVED
    assert visit.approved_by == supervisor
    assert visit.approved_at == NOW
    assert audit_actions_since(seq) == ["rules.allowed", "visit.approved"]
    decision = RuleDecision.objects.get(action="visit.approve")
    assert (decision.object_type, decision.object_id) == ("visits.visit", str(visit.pk))
    assert decision.inputs["moment"] == "approve"


@pytest.mark.parametrize("who", ["agent", "other_agent"])
def test_the_planner_and_the_visits_agents_cannot_approve(planned, all_roles, who):
    seq = audit_head()
    with pytest.raises(PermissionRefused):
        services.visit_approve(visit=planned, actor=all_roles[who], now=NOW)
    assert audit_actions_since(seq) == ["visit.approve.refused"]


def test_a_supervisor_who_planned_cannot_approve(plan, supervisor):
    visit = services.visit_plan(**plan_with(plan, actor=supervisor))
    with pytest.raises(PermissionRefused):
        services.visit_approve(visit=visit, actor=supervisor, now=NOW)


def test_another_teams_supervisor_cannot_approve(planned, other_supervisor):
    with pytest.raises(PermissionRefused):
        services.visit_approve(visit=planned, actor=other_supervisor, now=NOW)


def test_approval_sees_a_dispute_opened_after_planning(planned, supervisor):
    set_flag(planned.case, disputed=True)
    seq = audit_head()
    with pytest.raises(RulesRefused) as caught:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)
    assert "DISPUTE_OPEN" in codes(caught.value)
    assert audit_actions_since(seq) == ["rules.refused"]
    assert Visit.objects.get(pk=planned.pk).state == VisitState.PLANNED


def test_approval_too_close_to_the_visit_without_notice_is_refused(planned, supervisor):
    late = local(2026, 11, 25, 12)  # 22 h before the window, no notice given
    with pytest.raises(RulesRefused) as caught:
        services.visit_approve(visit=planned, actor=supervisor, now=late)
    assert codes(caught.value) == {"NOTICE_LEAD_TIME"}
    assert caught.value.overridable


def test_approval_of_a_visit_not_planned_is_refused(planned, supervisor):
    services.visit_approve(visit=planned, actor=supervisor, now=NOW)
    with pytest.raises(DomainError) as caught:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)
    assert codes(caught.value) == {"WRONG_STATE"}


# --- override of an approval -----------------------------------------------------------------------


def test_override_of_a_refused_approval(planned, supervisor):
    second = UserFactory(username="sup-b", team=supervisor.team, roles=["supervisor"])
    late = local(2026, 11, 25, 12)
    with pytest.raises(RulesRefused) as caught:
        services.visit_approve(visit=planned, actor=second, now=late)
    seq = audit_head()

    visit = services.visit_override(
        visit=planned,
        decision=caught.value.decision,
        actor=second,
        reason="Debtor agreed by phone to the time.",
        now=late,
    )

    assert visit.state == VisitState.APPROVED
    assert audit_actions_since(seq) == ["rules.refused", "rules.overridden", "visit.approved"]
    overriding = RuleDecision.objects.get(outcome="overridden")
    assert overriding.override_reason == "Debtor agreed by phone to the time."
    assert audit_events_since(seq)[-1].data["decision"] == overriding.pk


def test_override_of_an_approval_is_refused_to_the_planner(planned, agent, supervisor):
    late = local(2026, 11, 25, 12)
    with pytest.raises(RulesRefused) as caught:
        services.visit_approve(visit=planned, actor=supervisor, now=late)
    with pytest.raises(PermissionRefused):
        services.visit_override(
            visit=planned,
            decision=caught.value.decision,
            actor=agent,
            reason="I want to go anyway please.",
            now=late,
        )


def test_override_only_for_overridable_failures(planned, supervisor):
    set_flag(planned.case, disputed=True)
    with pytest.raises(RulesRefused) as caught:
        services.visit_approve(visit=planned, actor=supervisor, now=NOW)
    with pytest.raises(RulesRefused) as again:
        services.visit_override(
            visit=planned,
            decision=caught.value.decision,
            actor=supervisor,
            reason="Go anyway, it is fine.",
            now=NOW,
        )
    assert "OVERRIDE_NOT_ALLOWED" in codes(again.value)
    assert Visit.objects.get(pk=planned.pk).state == VisitState.PLANNED
    assert not AuditEvent.objects.filter(action="rules.overridden").exists()


def test_override_names_a_refused_approval_of_this_visit(planned, supervisor):
    seq = audit_head()
    with pytest.raises(DomainError) as caught:
        services.visit_override(
            visit=planned,
            decision=planned.plan_decision,
            actor=supervisor,
            reason="Long enough reason.",
            now=NOW,
        )
    assert codes(caught.value) == {"OVERRIDE_NOT_APPLICABLE"}
    assert audit_actions_since(seq) == ["visit.override.refused"]


# --- send back and resubmit --------------------------------------------------------------------------


def test_send_back_needs_a_reason_and_returns_the_plan(planned, supervisor):
    with pytest.raises(DomainError) as caught:
        services.visit_send_back(visit=planned, actor=supervisor, reason="  ", now=NOW)
    assert codes(caught.value) == {"FIELD_REQUIRED"}
    assert caught.value.failures[0].field == "reason"
    seq = audit_head()

    visit = services.visit_send_back(
        visit=planned, actor=supervisor, reason="Take the recording device.", now=NOW
    )

    assert visit.state == VisitState.RETURNED
    assert visit.return_reason == "Take the recording device."
    assert audit_actions_since(seq) == ["visit.returned"]
    assert "reason_digest" in audit_events_since(seq)[0].data


def test_the_planner_cannot_send_back(planned, agent):
    with pytest.raises(PermissionRefused):
        services.visit_send_back(visit=planned, actor=agent, reason="no", now=NOW)


def test_planner_resubmits_with_a_fresh_decision(planned, supervisor, agent, other_agent):
    services.visit_send_back(visit=planned, actor=supervisor, reason="Later in the day please.", now=NOW)
    old_decision = planned.plan_decision_id
    seq = audit_head()

    visit = services.visit_resubmit(
        visit=planned,
        actor=agent,
        window_start=local(2026, 11, 26, 14),
        window_end=local(2026, 11, 26, 16),
        agents=[agent, other_agent],
        checklist=["authorization_letter", "work_ids", "recording_device"],
        now=NOW,
    )

    assert visit.state == VisitState.PLANNED
    assert visit.window_start == local(2026, 11, 26, 14)
    assert visit.plan_decision_id != old_decision
    assert visit.plan_decision.object_type == "visits.visit"
    assert audit_actions_since(seq) == ["rules.allowed", "visit.resubmitted"]


def test_resubmit_refused_by_the_rules_keeps_the_decision(planned, supervisor, agent):
    services.visit_send_back(visit=planned, actor=supervisor, reason="Later in the day please.", now=NOW)
    seq = audit_head()
    with pytest.raises(RulesRefused) as caught:
        services.visit_resubmit(
            visit=planned,
            actor=agent,
            window_start=local(2026, 11, 26, 21),
            window_end=local(2026, 11, 26, 23),
            agents=[agent],
            checklist=["authorization_letter", "work_ids"],
            now=NOW,
        )
    assert codes(caught.value) == {"CONTACT_WINDOW", "MIN_AGENTS"}
    assert audit_actions_since(seq) == ["rules.refused"]
    assert Visit.objects.get(pk=planned.pk).state == VisitState.RETURNED


def test_only_the_planner_resubmits_and_only_a_returned_plan(planned, supervisor, other_agent, agent):
    with pytest.raises(DomainError) as caught:
        services.visit_resubmit(
            visit=planned,
            actor=agent,
            window_start=START,
            window_end=END,
            agents=[agent, other_agent],
            checklist=["authorization_letter", "work_ids"],
            now=NOW,
        )
    assert codes(caught.value) == {"WRONG_STATE"}
    services.visit_send_back(visit=planned, actor=supervisor, reason="Later in the day please.", now=NOW)
    with pytest.raises(PermissionRefused):
        services.visit_resubmit(
            visit=planned,
            actor=other_agent,
            window_start=START,
            window_end=END,
            agents=[agent, other_agent],
            checklist=["authorization_letter", "work_ids"],
            now=NOW,
        )


# --- cancel ------------------------------------------------------------------------------------------


def test_cancel_returns_the_case_to_verified(planned, supervisor):
    seq = audit_head()

    visit = services.visit_cancel(visit=planned, actor=supervisor, reason="Debtor moved abroad.", now=NOW)

    assert visit.state == VisitState.CANCELLED
    assert visit.cancel_reason == "Debtor moved abroad."
    assert Case.objects.get(pk=planned.case_id).stage == Stage.VERIFIED
    assert audit_actions_since(seq) == ["visit.cancelled"]
    data = audit_events_since(seq)[0].data
    assert data["stage"] == {"from": "visit_planned", "to": "verified", "transition": "drop_visit_plan"}
    assert data["state"] == ["planned", "cancelled"]


def test_the_planner_may_cancel_an_approved_visit_and_plan_again(plan, planned, supervisor, agent):
    services.visit_approve(visit=planned, actor=supervisor, now=NOW)
    services.visit_cancel(visit=planned, actor=agent, reason="Wrong day.", now=NOW)
    again = services.visit_plan(**plan)
    assert again.pk != planned.pk
    assert Case.objects.get(pk=plan["case"].pk).stage == Stage.VISIT_PLANNED


def test_cancel_needs_a_reason_and_a_live_visit(planned, supervisor):
    with pytest.raises(DomainError) as caught:
        services.visit_cancel(visit=planned, actor=supervisor, reason="", now=NOW)
    assert codes(caught.value) == {"FIELD_REQUIRED"}
    services.visit_cancel(visit=planned, actor=supervisor, reason="Debtor moved.", now=NOW)
    seq = audit_head()
    with pytest.raises(DomainError) as caught:
        services.visit_cancel(visit=planned, actor=supervisor, reason="Again.", now=NOW)
    assert codes(caught.value) == {"WRONG_STATE"}
    assert audit_actions_since(seq) == ["visit.cancel.refused"]


def test_an_agent_of_the_visit_who_did_not_plan_cannot_cancel(planned, other_agent):
    with pytest.raises(PermissionRefused):
        services.visit_cancel(visit=planned, actor=other_agent, reason="I am busy.", now=NOW)


# --- the case's stage moves only through services --------------------------------------------------


def test_case_stage_is_protected(verified_case):
    with pytest.raises(AttributeError):
        verified_case.stage = Stage.VISIT_PLANNED


def test_visit_state_is_protected(planned):
    with pytest.raises(AttributeError):
        planned.state = VisitState.APPROVED


def test_a_warning_does_not_block_and_is_recorded(plan):
    # The limitation period (CN: 3 years from the overdue date) has run: LIMITATION warns only.
    Case.objects.filter(pk=plan["case"].pk).update(overdue_since=dt.date(2022, 1, 10))
    plan["case"].refresh_from_db()
    seq = audit_head()
    visit = services.visit_plan(**plan)
    assert audit_actions_since(seq) == ["rules.warned", "visit.planned"]
    assert visit.plan_decision.outcome == RuleDecision.Outcome.WARNED
    assert [f["code"] for f in visit.plan_decision.failures] == ["LIMITATION"]


def test_approve_with_an_override_reason_in_one_call(planned, supervisor):
    late = local(2026, 11, 25, 12)  # NOTICE_LEAD_TIME, which the CN pack lets a supervisor override
    seq = audit_head()
    visit = services.visit_approve(
        visit=planned, actor=supervisor, override_reason="Debtor agreed to the time by phone.", now=late
    )
    assert visit.state == VisitState.APPROVED
    assert audit_actions_since(seq) == ["rules.refused", "rules.overridden", "visit.approved"]
