"""Visit planning and approval: plan, approve, send back, resubmit, cancel, override.

Every service decides, then acts: it locks what it changes, checks the policy and its inputs (a refusal
rolls everything back and is audited as `<action>.refused`), then runs the compliance rules due at the
moment (`decisions.evaluate`) BEFORE any other write. A refusal by the rules leaves the transaction
normally, so the refused decision and its `rules.refused` event are kept, and is raised afterwards as
`RulesRefused` (a `DomainError` carrying the decision).

Overrides (COMPLIANCE.md: a supervisor, never the agent who planned, may proceed past an overridable
refusal with a written reason). The flow chosen: the override travels with the action itself.
- A plan refused only for overridable reasons is overridden by a supervisor of the team who does not go
  on the visit: they submit the plan form (or re-enter the agent's plan) with an "override reason".
  The service records the refused decision, then the override (`rules.overridden`, its own decision row
  pointing at the refused one), then plans the visit; the visit's `plan_decision` is the override.
  The visit still needs approval by another supervisor: whoever plans never approves.
- An approval refused only for overridable reasons (typically NOTICE_LEAD_TIME) is overridden the same
  way: `visit_approve(..., override_reason=...)`, or `visit_override(visit=, decision=)` naming the
  refused approval decision, which runs the rules again now and overrides their fresh refusal.
A failure the pack does not let anyone override (e.g. CONTACT_WINDOW, DISPUTE_OPEN) refuses in any case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from cases.models import Case, DebtorAddress
from cases.services.stage import case_can_move, case_stage_move
from common.errors import SOURCE_ROLES, DomainError, Failure
from common.pii import digest
from compliance import audit, decisions
from compliance.decisions import Evaluation
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused, refusals_recorded

from .. import policies
from ..models import ChecklistItem, Purpose, Visit, VisitAgent, VisitState
from ..selectors import pack_for_case, visit_facts

# The documents without which agents may not go (CONC 7.9.12R; CBA guideline: credentials shown on site).
REQUIRED_CHECKLIST = (ChecklistItem.AUTHORIZATION_LETTER, ChecklistItem.WORK_IDS)
SOURCE_PROCEDURE = _("FieldLedger visit procedure (DOMAIN.md, stage 2)")


def _fail(code: str, message: Any, field: str, source: Any = SOURCE_PROCEDURE) -> Failure:
    return Failure(code, message, source, field)


def _lock_case(case: Case) -> Case:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable (outer-joined) mandate and team.
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("debtor", "mandate", "creditor", "team")
        .get(pk=case.pk)
    )


def _lock_visit(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("case", "address", "plan_decision")
        .get(pk=visit.pk)
    )


def _plan_inputs(
    *,
    case: Case,
    address: DebtorAddress | None,
    purpose: str,
    agents: Iterable[Any],
    checklist: Iterable[str],
    window: tuple[dt.datetime, dt.datetime],
    now: dt.datetime,
    failures: list[Failure],
) -> tuple[DebtorAddress, list[Any], list[str]]:
    """Check a plan's own inputs (before the rules); every problem, with `failures` found so far, is raised."""
    if address is None:
        failures.append(_address_failure())
    agent_list, agent_failures = _check_agents(case, agents)
    items, checklist_failures = _check_checklist(checklist)
    failures += _check_purpose(purpose) + agent_failures + checklist_failures
    failures += _check_window(window[0], window[1], now)
    if failures or address is None:
        raise DomainError(failures)
    return address, agent_list, items


def _evaluate_plan(
    *,
    case: Case,
    address: DebtorAddress,
    agents: list[Any],
    window: tuple[dt.datetime, dt.datetime],
    place_consent: bool,
    subject: Case | Visit,
    actor: Any,
    now: dt.datetime,
) -> Evaluation:
    """The rules at the planning moment (a new plan is judged on the case; a resubmitted one on its visit)."""
    return decisions.evaluate(
        action="visit.plan",
        moment="plan",
        facts=_plan_facts(
            case=case,
            address=address,
            agents=agents,
            start=window[0],
            end=window[1],
            visit=subject if isinstance(subject, Visit) else None,
            place_consent=place_consent,
            now=now,
        ),
        pack=pack_for_case(case),
        obj=subject,
        case_id=case.pk,
        actor=actor,
        now=now,
    )


def _full_clean(visit: Visit) -> None:
    # The protected FSM field cannot be cleaned (cleaning assigns it); the transitions guard it.
    try:
        visit.full_clean(exclude=["state"])
    except ValidationError as error:
        raise DomainError(
            [
                Failure("INVALID_INPUT", "; ".join(str(m) for m in messages), "", name)
                for name, messages in error.message_dict.items()
            ]
        ) from error


def _utc(value: dt.datetime) -> str:
    return audit.format_at(value)


# --- input checks (before the rules) ---------------------------------------------------------------


def _check_window(window_start: Any, window_end: Any, now: dt.datetime) -> list[Failure]:
    if not isinstance(window_start, dt.datetime) or not isinstance(window_end, dt.datetime):
        return [_fail("WINDOW_INVALID", _("Give the date and the start and end times."), "window")]
    if timezone.is_naive(window_start) or timezone.is_naive(window_end):
        return [_fail("WINDOW_INVALID", _("The window must be given in the debtor's time zone."), "window")]
    failures = []
    if window_end <= window_start:
        failures.append(_fail("WINDOW_INVALID", _("The window must end after it starts."), "window"))
    if window_start <= now:
        failures.append(_fail("WINDOW_IN_PAST", _("The visit window must be in the future."), "window"))
    return failures


def _check_purpose(purpose: str) -> list[Failure]:
    if purpose not in Purpose.values:
        return [_fail("INVALID_INPUT", _("Choose the purpose of the visit."), "purpose")]
    return []


def _check_checklist(checklist: Iterable[str]) -> tuple[list[str], list[Failure]]:
    items = list(dict.fromkeys(checklist))
    failures = []
    unknown = [i for i in items if i not in ChecklistItem.values]
    if unknown:
        failures.append(_fail("INVALID_INPUT", _("Unknown item on the checklist."), "checklist"))
    missing = [ChecklistItem(i).label for i in REQUIRED_CHECKLIST if i not in items]
    if missing:
        failures.append(
            _fail(
                "CHECKLIST_INCOMPLETE",
                _("The agents must carry: %(items)s.") % {"items": ", ".join(str(m) for m in missing)},
                "checklist",
            )
        )
    return [i for i in items if i in ChecklistItem.values], failures


def _check_agents(case: Case, agents: Iterable[User]) -> tuple[list[User], list[Failure]]:
    """Active field agents of the case's team, assigned to the case or not (a CN visit needs two agents
    while a case usually has one assigned); the number and qualifications are the rules' business."""
    wanted = list({a.pk: a for a in agents}.values())
    ids = [a.pk for a in wanted]
    fresh = {
        u.pk: u
        for u in User.objects.filter(pk__in=ids).prefetch_related("groups")  # re-read: active, team now
    }
    failures = []
    for agent in wanted:
        current = fresh.get(agent.pk)
        roles = {g.name for g in current.groups.all()} if current else set()
        if current is None or not current.is_active or Role.FIELD_AGENT not in roles:
            failures.append(
                _fail(
                    "AGENT_NOT_FIELD_AGENT",
                    _("%(name)s is not an active field agent.") % {"name": agent.display_name},
                    "agents",
                    SOURCE_ROLES,
                )
            )
        elif current.team_id is None or current.team_id != case.team_id:
            failures.append(
                _fail(
                    "AGENT_OTHER_TEAM",
                    _("%(name)s is not in this case's team.") % {"name": agent.display_name},
                    "agents",
                    SOURCE_ROLES,
                )
            )
    return [fresh[i] for i in ids if i in fresh], failures


def _address_of(case: Case, address_id: Any) -> DebtorAddress | None:
    try:
        pk = int(address_id)
    except (TypeError, ValueError):
        return None
    return DebtorAddress.objects.filter(debtor_id=case.debtor_id, pk=pk).first()


def _address_failure() -> Failure:
    return _fail("ADDRESS_NOT_DEBTORS", _("That address is not one of this debtor's addresses."), "address")


def _live_visits(case: Case, *, exclude: int | None = None) -> Any:
    return Visit.objects.filter(case_id=case.pk, state__in=policies.IN_PROGRESS_STATES).exclude(pk=exclude)


# --- deciding and overriding -----------------------------------------------------------------------


def _decide(
    evaluation: Evaluation, *, actor: User, override_reason: str, may_override: bool, now: dt.datetime
) -> tuple[RuleDecision | None, RulesRefused | None]:
    """The decision to act on (allowed, warned, or the override), or the refusal to raise after commit."""
    if not evaluation.blocked:
        return evaluation.decision, None
    refused = evaluation.decision
    if not (override_reason or "").strip():
        return None, RulesRefused(evaluation.blocking, decision=refused)
    if not may_override:
        denied = _fail(
            "OVERRIDE_NOT_PERMITTED",
            _("Only a supervisor of the team who does not plan or go on this visit may override."),
            "override_reason",
            SOURCE_ROLES,
        )
        return None, RulesRefused([*evaluation.blocking, denied], decision=refused)
    try:
        with transaction.atomic():  # a failed override must not take the refused decision with it
            overriding = decisions.override(decision=refused, actor=actor, reason=override_reason, now=now)
    except DomainError as error:
        return None, RulesRefused([*evaluation.blocking, *error.failures], decision=refused)
    return overriding, None


def _plan_facts(
    *,
    case: Case,
    address: DebtorAddress,
    agents: Sequence[User],
    start: dt.datetime,
    end: dt.datetime,
    **kw: Any,
) -> Any:
    return visit_facts(case=case, address=address, agents=agents, window_start=start, window_end=end, **kw)


def _place_consent_of(visit: Visit) -> bool:
    """The place consent given at planning, read back from the plan decision's recorded inputs."""
    decision = visit.plan_decision
    if decision is None:
        return False
    return bool(decision.inputs.get("facts", {}).get("consents", {}).get("place", False))


def _set_agents(visit: Visit, agents: Sequence[User], actor: User) -> list[int]:
    keep = {a.pk for a in agents}
    for va in VisitAgent.objects.filter(visit=visit).exclude(agent_id__in=keep):
        va._history_user = actor  # type: ignore[attr-defined]
        va.delete()
    have = set(VisitAgent.objects.filter(visit=visit).values_list("agent_id", flat=True))
    for agent in agents:
        if agent.pk not in have:
            va = VisitAgent(visit=visit, agent=agent)
            va._history_user = actor  # type: ignore[attr-defined]
            va.save()
    return sorted(keep)


# --- the services ----------------------------------------------------------------------------------


@refusals_recorded("visit.plan", object_type="visits.visit")
def visit_plan(
    *,
    case: Case,
    actor: User,
    address_id: int,
    purpose: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    agents: Iterable[User],
    checklist: Iterable[str],
    note: str = "",
    place_consent: bool = False,
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> Visit:
    """verified (or follow_up) → visit_planned: a visit plan, judged by the rules at moment "plan".

    With `override_reason`, a supervisor of the team who is not among the agents overrides a refusal
    whose every failure the pack lets them override, and the visit is planned in the same call.
    """
    now = now or timezone.now()
    refusal: RulesRefused | None = None
    with transaction.atomic():
        case = _lock_case(case)
        policies.require(policies.can_plan(actor, case))
        failures: list[Failure] = []
        if not case_can_move(case, "plan_visit"):
            failures.append(
                _fail(
                    "WRONG_STAGE",
                    _("A visit is planned on a verified case (this one is %(stage)s).")
                    % {"stage": case.get_stage_display()},
                    "stage",
                )
            )
        if _live_visits(case).exists():
            failures.append(
                _fail(
                    "VISIT_ALREADY_PLANNED",
                    _("This case already has a visit in progress; cancel it before planning another."),
                    "case",
                )
            )
        address, agent_list, items = _plan_inputs(
            case=case,
            address=_address_of(case, address_id),
            purpose=purpose,
            agents=agents,
            checklist=checklist,
            window=(window_start, window_end),
            now=now,
            failures=failures,
        )
        evaluation = _evaluate_plan(
            case=case,
            address=address,
            agents=agent_list,
            window=(window_start, window_end),
            place_consent=place_consent,
            subject=case,
            actor=actor,
            now=now,
        )
        decision, refusal = _decide(
            evaluation,
            actor=actor,
            override_reason=override_reason,
            may_override=policies.can_override(actor, case, agents=agent_list),
            now=now,
        )
        if refusal is None:
            visit = Visit(
                case=case,
                address=address,
                purpose=purpose,
                window_start=window_start,
                window_end=window_end,
                time_zone=address.time_zone,
                checklist=items,
                note=(note or "").strip(),
                plan_decision=decision,
                planned_by=actor,
                state_changed_at=now,
            )
            _full_clean(visit)
            visit._history_user = actor  # type: ignore[attr-defined]
            visit.save()
            agent_ids = _set_agents(visit, agent_list, actor)
            moved = case_stage_move(case=case, transition="plan_visit", actor=actor, at=now)
            audit.record(
                actor=actor,
                action="visit.planned",
                obj=visit,
                case_id=case.pk,
                data={
                    "visit": visit.pk,
                    "window": [_utc(window_start), _utc(window_end)],
                    "time_zone": visit.time_zone,
                    "agents": agent_ids,
                    "purpose": purpose,
                    "decision": decision.pk if decision else None,
                    **moved,
                },
            )
    if refusal is not None:
        raise refusal
    return visit


def _approve(
    *, visit: Visit, actor: User, now: dt.datetime, override_reason: str
) -> tuple[Visit, RulesRefused | None]:
    visit = _lock_visit(visit)
    case = _lock_case(visit.case)
    policies.require(policies.can_approve(actor, visit))
    if visit.state != VisitState.PLANNED:
        raise DomainError(
            [
                _fail(
                    "WRONG_STATE",
                    _("Only a planned visit can be approved (this one is %(state)s).")
                    % {"state": visit.get_state_display()},
                    "state",
                )
            ]
        )
    if visit.window_start <= now:
        raise DomainError([_fail("WINDOW_IN_PAST", _("The visit window has already begun."), "window")])
    agents = list(User.objects.filter(visit_assignments__visit=visit).order_by("pk"))
    # The agents may have left or changed team since planning: they must still be able to go.
    _still_agents, agent_failures = _check_agents(case, agents)
    if agent_failures:
        raise DomainError(agent_failures)
    evaluation = decisions.evaluate(
        action="visit.approve",
        moment="approve",
        facts=_plan_facts(
            case=case,
            address=visit.address,
            agents=agents,
            start=visit.window_start,
            end=visit.window_end,
            visit=visit,
            place_consent=_place_consent_of(visit),
        ),
        pack=pack_for_case(case),
        obj=visit,
        case_id=case.pk,
        actor=actor,
        now=now,
    )
    decision, refusal = _decide(
        evaluation,
        actor=actor,
        override_reason=override_reason,
        may_override=policies.can_override(actor, visit),
        now=now,
    )
    if refusal is not None:
        return visit, refusal
    visit.approve(by=actor, at=now)
    visit._history_user = actor  # type: ignore[attr-defined]
    visit.save()
    audit.record(
        actor=actor,
        action="visit.approved",
        obj=visit,
        case_id=case.pk,
        data={
            "visit": visit.pk,
            "from": VisitState.PLANNED,
            "to": visit.state,
            "decision": decision.pk if decision else None,
        },
    )
    return visit, None


@refusals_recorded("visit.approve", object_type="visits.visit")
def visit_approve(
    *, visit: Visit, actor: User, override_reason: str = "", now: dt.datetime | None = None
) -> Visit:
    """planned → approved by a supervisor of the team (not the planner, not an agent of the visit).

    The rules run again at moment "approve" (facts change between planning and approval: flags,
    agents' papers, the notice lead time)."""
    now = now or timezone.now()
    with transaction.atomic():
        visit, refusal = _approve(visit=visit, actor=actor, now=now, override_reason=override_reason)
    if refusal is not None:
        raise refusal
    return visit


@refusals_recorded("visit.override", object_type="visits.visit")
def visit_override(
    *, visit: Visit, decision: RuleDecision, actor: User, reason: str, now: dt.datetime | None = None
) -> Visit:
    """Override a refused approval of this visit and approve it.

    The rules run again now (the refused decision may be old); the fresh refusal is what is overridden,
    and only when every failure is overridable under the pack. A refused plan is overridden by planning
    again with an override reason (see `visit_plan`)."""
    now = now or timezone.now()
    if (
        decision.outcome != RuleDecision.Outcome.REFUSED
        or decision.action != "visit.approve"
        or (decision.object_type, decision.object_id) != ("visits.visit", str(visit.pk))
    ):
        raise DomainError(
            [
                _fail(
                    "OVERRIDE_NOT_APPLICABLE",
                    _("That decision is not a refused approval of this visit."),
                    "decision",
                )
            ]
        )
    if not (reason or "").strip():
        raise DomainError(
            [_fail("OVERRIDE_REASON", _("Write the reason for the override."), "override_reason")]
        )
    with transaction.atomic():
        visit, refusal = _approve(visit=visit, actor=actor, now=now, override_reason=reason)
    if refusal is not None:
        raise refusal
    return visit


@refusals_recorded("visit.send_back", object_type="visits.visit")
@transaction.atomic
def visit_send_back(*, visit: Visit, actor: User, reason: str, now: dt.datetime | None = None) -> Visit:
    """planned → returned to the planner, with the supervisor's reason."""
    now = now or timezone.now()
    visit = _lock_visit(visit)
    policies.require(policies.can_send_back(actor, visit))
    reason = (reason or "").strip()
    failures = []
    if visit.state != VisitState.PLANNED:
        failures.append(_fail("WRONG_STATE", _("Only a planned visit can be sent back."), "state"))
    if not reason:
        failures.append(_fail("FIELD_REQUIRED", _("Say why the plan is sent back."), "reason"))
    if failures:
        raise DomainError(failures)
    visit.send_back(reason=reason[:2000], at=now)
    visit._history_user = actor  # type: ignore[attr-defined]
    visit.save()
    audit.record(
        actor=actor,
        action="visit.returned",
        obj=visit,
        case_id=visit.case_id,
        data={
            "visit": visit.pk,
            "from": VisitState.PLANNED,
            "to": visit.state,
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return visit


@refusals_recorded("visit.resubmit", object_type="visits.visit")
def visit_resubmit(
    *,
    visit: Visit,
    actor: User,
    window_start: dt.datetime,
    window_end: dt.datetime,
    agents: Iterable[User],
    checklist: Iterable[str],
    purpose: str | None = None,
    address_id: int | None = None,
    note: str | None = None,
    place_consent: bool = False,
    now: dt.datetime | None = None,
) -> Visit:
    """returned → planned again by its planner, with a fresh plan decision (moment "plan")."""
    now = now or timezone.now()
    refusal: RulesRefused | None = None
    with transaction.atomic():
        visit = _lock_visit(visit)
        case = _lock_case(visit.case)
        policies.require(policies.can_resubmit(actor, visit))
        failures: list[Failure] = []
        if visit.state != VisitState.RETURNED:
            failures.append(
                _fail("WRONG_STATE", _("Only a plan sent back to its planner can be resubmitted."), "state")
            )
        purpose = visit.purpose if purpose is None else purpose
        address, agent_list, items = _plan_inputs(
            case=case,
            address=visit.address if address_id is None else _address_of(case, address_id),
            purpose=purpose,
            agents=agents,
            checklist=checklist,
            window=(window_start, window_end),
            now=now,
            failures=failures,
        )
        evaluation = _evaluate_plan(
            case=case,
            address=address,
            agents=agent_list,
            window=(window_start, window_end),
            place_consent=place_consent,
            subject=visit,
            actor=actor,
            now=now,
        )
        decision, refusal = _decide(evaluation, actor=actor, override_reason="", may_override=False, now=now)
        if refusal is None:
            visit.resubmit(at=now)
            visit.address = address
            visit.time_zone = address.time_zone
            visit.purpose = purpose
            visit.window_start, visit.window_end = window_start, window_end
            visit.checklist = items
            if note is not None:
                visit.note = note.strip()
            visit.plan_decision = decision
            _full_clean(visit)
            visit._history_user = actor  # type: ignore[attr-defined]
            visit.save()
            agent_ids = _set_agents(visit, agent_list, actor)
            audit.record(
                actor=actor,
                action="visit.resubmitted",
                obj=visit,
                case_id=case.pk,
                data={
                    "visit": visit.pk,
                    "window": [_utc(window_start), _utc(window_end)],
                    "agents": agent_ids,
                    "decision": decision.pk if decision else None,
                    "from": VisitState.RETURNED,
                    "to": visit.state,
                },
            )
    if refusal is not None:
        raise refusal
    return visit


@refusals_recorded("visit.cancel", object_type="visits.visit")
@transaction.atomic
def visit_cancel(*, visit: Visit, actor: User, reason: str, now: dt.datetime | None = None) -> Visit:
    """A live visit is cancelled; the case returns to `verified` when no other visit is in progress."""
    now = now or timezone.now()
    visit = _lock_visit(visit)
    case = _lock_case(visit.case)
    policies.require(policies.can_cancel(actor, visit))
    reason = (reason or "").strip()
    failures = []
    if visit.state not in policies.LIVE_STATES:
        failures.append(
            _fail(
                "WRONG_STATE",
                _("This visit is %(state)s and can no longer be cancelled.")
                % {"state": visit.get_state_display()},
                "state",
            )
        )
    if not reason:
        failures.append(_fail("FIELD_REQUIRED", _("Say why the visit is cancelled."), "reason"))
    if failures:
        raise DomainError(failures)
    old_state = visit.state
    visit.cancel(reason=reason[:2000], at=now)
    visit._history_user = actor  # type: ignore[attr-defined]
    visit.save()
    data: dict[str, Any] = {
        "visit": visit.pk,
        "state": [old_state, visit.state],
        "reason_digest": digest(reason, kind="note"),
    }
    if case_can_move(case, "drop_visit_plan") and not _live_visits(case).exists():
        data |= case_stage_move(case=case, transition="drop_visit_plan", actor=actor, at=now)
    audit.record(actor=actor, action="visit.cancelled", obj=visit, case_id=case.pk, data=data)
    return visit
