"""The follow-up plan of a case: after each visit (or a broken agreement or promise) a reassessment of
capacity and willingness, short- and long-term goals, the next action with its owner and due date, and a
periodic review. A new plan supersedes the open one; overdue plans are listed for the supervisor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from cases.models import Case, Level
from common.errors import DomainError, Failure
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import FollowUp, FollowUpStatus, NextAction
from ._shared import fail, local_today, lock_case, refuse, save
from ._shared import now as _now


def _owner_failures(case: Case, owner: Any) -> list[Failure]:
    """The owner works in the case's team: one of its supervisors or agents."""
    if owner is None:
        return [fail("FIELD_REQUIRED", _("Choose who owns the next action."), "owner")]
    fresh = User.objects.filter(pk=owner.pk, is_active=True).prefetch_related("groups").first()
    roles = {g.name for g in fresh.groups.all()} if fresh else set()
    if fresh is None or fresh.team_id != case.team_id or not roles & {Role.SUPERVISOR, Role.FIELD_AGENT}:
        return [
            fail(
                "OWNER_INVALID",
                _("The owner must be an active supervisor or agent of the case's team."),
                "owner",
            )
        ]
    return []


def plan_facts_failures(
    *,
    capacity: str,
    willingness: str,
    next_action: str,
    due_on: Any,
    today: dt.date,
    short_goal_amount: Any,
    review_every_days: Any,
) -> list[Failure]:
    failures = []
    for name, value in (("capacity", capacity), ("willingness", willingness)):
        if value and value not in Level.values:
            failures.append(fail("INVALID_INPUT", _("Choose a level."), name))
    if next_action not in NextAction.values:
        failures.append(fail("FIELD_REQUIRED", _("Choose the next action."), "next_action"))
    if not isinstance(due_on, dt.date):
        failures.append(fail("FIELD_REQUIRED", _("Give the date the next action is due."), "due_on"))
    elif due_on < today:
        failures.append(fail("DATE_INVALID", _("The next action cannot be due in the past."), "due_on"))
    if short_goal_amount is not None and short_goal_amount <= 0:
        failures.append(fail("AMOUNT_INVALID", _("The amount must be more than zero."), "short_goal_amount"))
    if review_every_days is not None and not 1 <= review_every_days <= 365:
        failures.append(fail("INVALID_INPUT", _("Review every 1 to 365 days."), "review_every_days"))
    return failures


def _supersede_open(case: Case, actor: Any) -> list[int]:
    superseded = []
    for plan in FollowUp.objects.select_for_update().filter(case=case, status=FollowUpStatus.OPEN):
        plan.status = FollowUpStatus.SUPERSEDED
        save(plan, actor)
        superseded.append(plan.pk)
    return superseded


def _create(*, case: Case, actor: Any, now: dt.datetime, **values: Any) -> FollowUp:
    superseded = _supersede_open(case, actor)
    plan = FollowUp(case=case, created_by=actor, **values)
    save(plan, actor)
    audit.record(
        actor=actor,
        action="follow_up.planned",
        obj=plan,
        case_id=case.pk,
        data={
            "trigger": plan.trigger,
            "next_action": plan.next_action,
            "due_on": plan.due_on,
            "owner": plan.owner_id,
            "capacity": plan.capacity,
            "willingness": plan.willingness,
            "goals": [plan.short_goal_amount, plan.short_goal_date, plan.long_goal_date],
            "superseded": superseded,
        },
    )
    return plan


@refusals_recorded("follow_up.plan")
@transaction.atomic
def follow_up_plan(
    *,
    case: Case,
    actor: User,
    next_action: str,
    due_on: dt.date,
    owner: User,
    capacity: str = "",
    willingness: str = "",
    assessment_note: str = "",
    short_goal: str = "",
    short_goal_amount: Decimal | None = None,
    short_goal_date: dt.date | None = None,
    long_goal: str = "",
    long_goal_date: dt.date | None = None,
    next_action_note: str = "",
    review_every_days: int = 30,
    trigger: str = FollowUp.Trigger.MANUAL,
    now: dt.datetime | None = None,
) -> FollowUp:
    """A new follow-up plan for the case (the open one is superseded)."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_plan_follow_up(actor, case))
    failures = plan_facts_failures(
        capacity=capacity,
        willingness=willingness,
        next_action=next_action,
        due_on=due_on,
        today=local_today(case, now),
        short_goal_amount=short_goal_amount,
        review_every_days=review_every_days,
    )
    failures += _owner_failures(case, owner)
    if failures:
        raise DomainError(failures)
    return _create(
        case=case,
        actor=actor,
        now=now,
        trigger=trigger,
        capacity=capacity,
        willingness=willingness,
        assessment_note=(assessment_note or "").strip()[:2000],
        short_goal=(short_goal or "").strip()[:300],
        short_goal_amount=short_goal_amount,
        short_goal_date=short_goal_date,
        long_goal=(long_goal or "").strip()[:300],
        long_goal_date=long_goal_date,
        next_action=next_action,
        next_action_note=(next_action_note or "").strip()[:300],
        due_on=due_on,
        owner=owner,
        review_every_days=review_every_days,
    )


def follow_up_task(
    *, case: Case, trigger: str, next_action: str, note: str, now: dt.datetime
) -> FollowUp | None:
    """A task the system gives the case's supervisor (a broken agreement or promise), due tomorrow;
    runs inside the caller's transaction, acting as the service account."""
    from accounts.services import system_user

    owner = case.supervisor
    if owner is None:
        return None
    return _create(
        case=case,
        actor=system_user(),
        now=now,
        trigger=trigger,
        next_action=next_action,
        next_action_note=note[:300],
        due_on=local_today(case, now) + dt.timedelta(days=1),
        owner=owner,
        review_every_days=7,
    )


@refusals_recorded("follow_up.done")
@transaction.atomic
def follow_up_done(
    *, follow_up: FollowUp, actor: User, note: str = "", now: dt.datetime | None = None
) -> FollowUp:
    """The next action was taken: the plan is done (a new plan is the next step, see the case page)."""
    now = now or _now()
    follow_up = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
    case = lock_case(follow_up.case)
    policies.require(policies.can_plan_follow_up(actor, case))
    if follow_up.status != FollowUpStatus.OPEN:
        raise refuse("WRONG_STATE", _("Only an open follow-up can be marked done."), "status")
    note = (note or "").strip()
    follow_up.status, follow_up.done_at, follow_up.done_note = FollowUpStatus.DONE, now, note[:300]
    save(follow_up, actor)
    audit.record(
        actor=actor,
        action="follow_up.done",
        obj=follow_up,
        case_id=case.pk,
        data={"note_digest": digest(note, kind="note") if note else ""},
    )
    return follow_up
