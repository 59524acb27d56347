"""A team's worth of records for the dashboard and KPI tests: `populate(n)` makes n of everything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Stage
from compliance.models import Alert, RuleDecision, RulePack
from tests.factories import (
    AgreementFactory,
    CaseFactory,
    ComplaintFactory,
    ContactAttemptFactory,
    FollowUpFactory,
    InstalmentFactory,
    NoticeFactory,
    PaymentFactory,
    PromiseCheckFactory,
    VisitFactory,
    VisitLogFactory,
    move_case_to,
)

UTC = dt.UTC
# The suite's clock: 2026-11-23 12:00 UTC, 20:00 in Shanghai (a Monday).
TODAY_WINDOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Shanghai today
LATER_THIS_WEEK = dt.datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
NEXT_WEEK = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
TWO_DAYS_AGO = dt.datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def _pack() -> RulePack:
    return RulePack.objects.order_by("pk").first()


def populate_unit(*, team, supervisor, agent, other_agent, creditor, mandate, i: int) -> dict:  # type: ignore[no-untyped-def]
    """One case of each kind the dashboard counts, in `team`: every figure grows by one."""
    common = {"creditor": creditor, "mandate": mandate, "team": team, "supervisor": supervisor}
    # A case with a visit today (notified) and another later this week (approved).
    visited = move_case_to(CaseFactory(agents=[agent], **common), Stage.NOTICE_GIVEN)
    VisitFactory(case=visited, state="notified", window_start=TODAY_WINDOW, agents=[agent, other_agent])
    VisitFactory(case=visited, state="approved", window_start=LATER_THIS_WEEK, agents=[agent, other_agent])
    # A plan for next week waiting for approval.
    planned = move_case_to(CaseFactory(agents=[agent], **common), Stage.VISIT_PLANNED)
    VisitFactory(case=planned, state="planned", window_start=NEXT_WEEK, agents=[agent, other_agent])
    # A visit made two days ago with a promise to pay (debtor met), its log awaiting review; the promise
    # was due five days after and broke.
    promised = move_case_to(CaseFactory(agents=[agent], **common), Stage.FOLLOW_UP)
    made = VisitFactory(
        case=promised,
        state="completed",
        window_start=TWO_DAYS_AGO - dt.timedelta(hours=1),
        on_site_at=TWO_DAYS_AGO,
        completed_at=TWO_DAYS_AGO + dt.timedelta(hours=1),
        outcome="promise_to_pay",
        agents=[agent, other_agent],
    )
    log = VisitLogFactory(visit=made)
    PromiseCheckFactory(visit_log=log)
    ContactAttemptFactory(
        case=promised, channel="visit", result="debtor_met", at=TWO_DAYS_AGO, recorded_by=agent
    )
    ContactAttemptFactory(case=promised, channel="phone", result="no_answer", recorded_by=agent)
    # A visit where nobody was met (accepted), refused on site... no: the debtor refused the notice.
    refused = move_case_to(CaseFactory(agents=[agent], **common), Stage.VISITS_REFUSED)
    visit = VisitFactory(case=refused, state="refused", window_start=LATER_THIS_WEEK, agents=[agent])
    NoticeFactory(visit=visit, answer="refused", answered_at=TWO_DAYS_AGO, recorded_by=agent)
    RuleDecision.objects.create(
        at=TWO_DAYS_AGO,
        action="visit.plan",
        object_type="cases.case",
        object_id=str(refused.pk),
        case_id=refused.pk,
        pack=_pack(),
        outcome=RuleDecision.Outcome.REFUSED,
        failures=[{"code": "VISIT_REFUSED", "message": "refused", "source": "x"}],
        actor=agent,
    )
    # An agreement in force with an overdue instalment, a payment, and an overdue follow-up.
    paying = move_case_to(CaseFactory(agents=[agent], **common), Stage.AGREEMENT_SIGNED)
    agreement = AgreementFactory(case=paying, drafted_by=agent)
    InstalmentFactory(agreement=agreement, number=1)
    PaymentFactory(case=paying, amount=Decimal("250.00"))
    FollowUpFactory(case=paying, owner=agent)
    # A disputed case on hold, its complaint overdue with an alert.
    disputed = move_case_to(CaseFactory(agents=[agent], **common), Stage.ON_HOLD)
    complaint = ComplaintFactory(case_id=disputed.pk)
    Alert.objects.create(
        kind=Alert.Kind.COMPLAINT_ACK_OVERDUE,
        key=f"complaint:{complaint.pk}",
        raised_at=TWO_DAYS_AGO,
        object_type="compliance.complaint",
        object_id=str(complaint.pk),
    )
    return {
        "visited": visited,
        "planned": planned,
        "promised": promised,
        "refused": refused,
        "paying": paying,
        "disputed": disputed,
        "visit": made,
    }


@pytest.fixture
def populate(team, supervisor, agent, other_agent, creditor, mandate):  # type: ignore[no-untyped-def]
    def make(n: int = 1) -> list[dict]:
        return [
            populate_unit(
                team=team,
                supervisor=supervisor,
                agent=agent,
                other_agent=other_agent,
                creditor=creditor,
                mandate=mandate,
                i=i,
            )
            for i in range(n)
        ]

    return make
