"""Demo visits for `seed_demo`, through the visit services with the times they would have happened at:

- a visit ready for check-in: approved, notified, its window now (or, outside the debtor's hours, at
  09:00 the next day), for agent1 and agent2;
- a visit made two days ago with a promise to pay, its log awaiting the supervisor's review;
- a plan for next week awaiting approval.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from cases.models import Case, Stage

from . import services
from .models import CONDUCT_ITEMS

CHECKLIST = ["loan_contract", "repayment_records", "notice_letter", "authorization_letter", "work_ids"]


def _key() -> str:
    return uuid.uuid4().hex


def _window_now(zone: ZoneInfo, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A two-hour window holding `now` when that is within 08:30–20:00 debtor-local; else 09:00–11:00
    the next day."""
    local = now.astimezone(zone)
    if dt.time(8, 30) <= local.time() <= dt.time(20, 0):
        start = local.replace(minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(hours=2)
    day = local.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=zone)
    return start, start + dt.timedelta(hours=2)


# GENTLER_FIRST: a letter, an unanswered call and a reminder letter in the days before a visit is planned.
# (No SMS: the contact gate sends one only to a number verified as the debtor's, SMS_UNVERIFIED.)
GENTLER_TRIES = (("letter", "sent", 3), ("phone", "no_answer", 2), ("letter", "sent", 1))


def _gentler_channels_tried(case: Case, agent: Any, before: dt.datetime) -> None:
    zone = ZoneInfo(case.debtor.time_zone or "Asia/Shanghai")
    for channel, result, days in GENTLER_TRIES:
        at = (before - dt.timedelta(days=days)).astimezone(zone).replace(hour=10, minute=0, second=0)
        services.contact_record(
            case=case, actor=agent, channel=channel, at=at, result=result, note="Demo contact.", now=before
        )


def _plan(case: Case, agent: Any, other: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Any:
    address = case.debtor.addresses.filter(status="verified").order_by("pk").first()
    _gentler_channels_tried(case, agent, now)
    return services.visit_plan(
        case=case,
        actor=agent,
        address_id=address.pk,
        purpose="negotiate",
        window_start=start,
        window_end=end,
        agents=[agent, other],
        checklist=CHECKLIST,
        note="Demo visit.",
        now=now,
    )


def _notified(
    case: Case, people: dict[str, Any], start: dt.datetime, end: dt.datetime, planned_at: dt.datetime
) -> Any:
    agent, other, supervisor = people["agent1"], people["agent2"], people["supervisor"]
    visit = _plan(case, agent, other, start, end, planned_at)
    services.visit_approve(visit=visit, actor=supervisor, now=planned_at + dt.timedelta(hours=1))
    services.notice_record(
        visit=visit,
        actor=agent,
        channel="phone",
        given_at=planned_at + dt.timedelta(hours=2),
        language="zh-hans",
        now=planned_at + dt.timedelta(hours=2, minutes=5),
    )
    visit.refresh_from_db()
    return visit


def seed_visits(*, people: dict[str, Any], creditor: Any) -> str:
    verified = Case.objects.filter(creditor=creditor, stage=Stage.VERIFIED, currency="CNY").order_by("pk")
    mine = list(verified.filter(assignments__agent=people["agent1"])[:2])
    theirs = list(verified.filter(assignments__agent=people["agent2"])[:1])
    if len(mine) < 2 or not theirs:
        return "not enough verified cases for demo visits"
    now = timezone.now()
    zone = ZoneInfo("Asia/Shanghai")
    (ready, made), planned = mine, theirs[0]

    start, end = _window_now(zone, now)
    _notified(ready, people, start, end, planned_at=start - dt.timedelta(days=3))

    # Two days ago, 10:00–12:00: checked in, the debtor met, a promise to pay, awaiting review.
    day = (now.astimezone(zone) - dt.timedelta(days=2)).date()
    start = dt.datetime.combine(day, dt.time(10), tzinfo=zone)
    visit = _notified(
        made, people, start, start + dt.timedelta(hours=2), planned_at=start - dt.timedelta(days=3)
    )
    agent, other = people["agent1"], people["agent2"]
    arrive = start + dt.timedelta(minutes=5)
    services.visit_check_in(visit=visit, actor=agent, idempotency_key=_key(), now=arrive)
    services.visit_check_in(
        visit=visit, actor=other, idempotency_key=_key(), now=arrive + dt.timedelta(minutes=1)
    )
    checks = {
        "work_ids_shown": [agent.pk, other.pk],
        "authorization_shown": True,
        "authorization_number": made.mandate.number if made.mandate_id else "",
        "purpose_stated": True,
        "relation": "debtor",
        "identification": "known",
        "entry": "doorstep",
        "recording_consent": True,
    }
    services.visit_log_save(
        visit=visit, actor=agent, step="checks", data=checks, now=arrive + dt.timedelta(minutes=3)
    )
    services.visit_log_save(
        visit=visit,
        actor=agent,
        step="conversation",
        data={
            "started_at": arrive + dt.timedelta(minutes=5),
            "ended_at": arrive + dt.timedelta(minutes=35),
            "people_present": "债务人本人",
            "evidence_shown": ["contract", "statement"],
            "talking_points": "说明逾期金额与还款方式；债务人表示年底奖金到账后先还一部分。",
            "default_reasons": "今年收入下降。",
            "willingness": "medium",
            "capacity": "low",
            "debtor_state": "calm",
            "statement_shown": True,
        },
        now=arrive + dt.timedelta(minutes=36),
    )
    promised = min(Decimal("1000.00"), made.outstanding)
    services.visit_log_save(
        visit=visit,
        actor=agent,
        step="outcome",
        data={
            "outcome": "promise_to_pay",
            "promise_amount": promised,
            "promise_date": day + dt.timedelta(days=20),
            "summary": "Promised a first payment; wants to discuss instalments for the rest.",
        },
        now=arrive + dt.timedelta(minutes=38),
    )
    for who in (agent, other):
        services.visit_attest(
            visit=visit,
            actor=who,
            idempotency_key=_key(),
            items=[code for code, _label in CONDUCT_ITEMS],
            now=arrive + dt.timedelta(minutes=40),
        )
    services.visit_complete(
        visit=visit, actor=agent, idempotency_key=_key(), now=arrive + dt.timedelta(minutes=42)
    )

    # Next week, a plan awaiting the supervisor's approval.
    day = (now.astimezone(zone) + dt.timedelta(days=7)).date()
    start = dt.datetime.combine(day, dt.time(14), tzinfo=zone)
    _plan(planned, people["agent2"], people["agent1"], start, start + dt.timedelta(hours=2), now)
    return "3 demo visits: one ready for check-in, one awaiting review, one awaiting approval"
