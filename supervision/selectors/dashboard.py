"""Today at a glance for a team: two queries whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Team
from agreements.models import (
    Agreement,
    AgreementState,
    FollowUp,
    FollowUpStatus,
    Instalment,
    InstalmentStatus,
    PromiseCheck,
    PromiseStatus,
)
from cases.models import Case, Stage
from compliance.models import Alert, Complaint, RuleDecision
from visits.models import (
    Notice,
    NoticeAnswer,
    Visit,
    VisitLog,
    VisitState,
)

from .. import policies
from ._shared import (
    IN_FORCE_STATES,
    RECENT_DAYS,
    _count,
    _zone,
    local_midnight,
    week_of,
)

# --- the dashboard -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class VisitStateCount:
    state: str
    label: str
    today: int
    week: int


@dataclass(frozen=True)
class Dashboard:
    team: Team
    today: dt.date
    week_start: dt.date
    week_end: dt.date
    since: dt.date  # first day of the "recent" window
    stages: list[StageCount]
    cases_total: int
    visits: list[VisitStateCount]  # states with a visit today or this week
    visits_today: int
    visits_week: int
    plans_awaiting_approval: int
    logs_awaiting_review: int
    refusals_recent: int  # the debtor refused a visit (notice answer or on site)
    rule_refusals_recent: int  # actions the rules refused on the team's cases
    disputes_open: int
    complaints_open: int
    complaints_raised_recent: int
    promises_broken_recent: int
    instalments_overdue: int
    agreements_broken_recent: int
    follow_ups_overdue: int
    alerts_open: int

    @property
    def stage_max(self) -> int:
        return max((s.count for s in self.stages), default=0)


def _scalar_counts(
    team: Team, scope: QuerySet[Case], *, today: dt.date, since: dt.datetime
) -> dict[str, int]:
    """Every single-number figure of the dashboard in one query (one scalar subquery each)."""
    case_ids = scope.values("pk")
    complaints = Complaint.objects.filter(case_id__in=case_ids)
    counts = {
        # Each stage's count reads the (team, stage) index.
        **{f"stage_{value}": _count(scope.filter(stage=value)) for value in Stage.values},
        "rule_refusals_recent": _count(
            RuleDecision.objects.filter(
                case_id__in=case_ids, outcome=RuleDecision.Outcome.REFUSED, at__gte=since
            )
        ),
        "notice_refusals": _count(
            Notice.objects.filter(
                visit__case__in=case_ids, answer=NoticeAnswer.REFUSED, answered_at__gte=since
            )
        ),
        "onsite_refusals": _count(_onsite_refusals(case_ids, since)),
        "disputes_open": _count(complaints.filter(status=Complaint.Status.OPEN, kind=Complaint.Kind.DISPUTE)),
        "complaints_open": _count(
            complaints.filter(status=Complaint.Status.OPEN, kind=Complaint.Kind.COMPLAINT)
        ),
        "complaints_raised_recent": _count(complaints.filter(received_at__gte=since)),
        "promises_broken_recent": _count(
            PromiseCheck.objects.filter(case__in=case_ids, status=PromiseStatus.BROKEN, decided_at__gte=since)
        ),
        "instalments_overdue": _count(
            Instalment.objects.filter(
                agreement__case__in=case_ids,
                agreement__state__in=IN_FORCE_STATES,
                status=InstalmentStatus.OVERDUE,
            )
        ),
        "agreements_broken_recent": _count(
            Agreement.objects.filter(case__in=case_ids, state=AgreementState.BROKEN, broken_at__gte=since)
        ),
        "follow_ups_overdue": _count(
            FollowUp.objects.filter(case__in=case_ids, status=FollowUpStatus.OPEN, due_on__lt=today)
        ),
        "alerts_open": _count(_open_alerts(complaints)),
    }
    # One row of the team's table carries the subqueries: a single round trip whatever the volume.
    return Team.objects.filter(pk=team.pk).annotate(**counts).values(*counts).get()


def _onsite_refusals(case_ids: QuerySet[Any], since: dt.datetime) -> QuerySet[Visit]:
    return Visit.objects.filter(
        case__in=case_ids,
        completed_at__gte=since,
        pk__in=VisitLog.objects.filter(refuses_visits=True).exclude(status="draft").values("visit_id"),
    )


def _open_alerts(complaints: QuerySet[Complaint]) -> QuerySet[Alert]:
    """Open alerts about the team's complaints (a chain break concerns the whole agency: compliance's)."""
    ids = complaints.annotate(_key=Cast("pk", CharField())).values("_key")
    return Alert.objects.filter(
        acknowledged_at__isnull=True, object_type="compliance.complaint", object_id__in=ids
    )


def dashboard(user: Any, team: Team, *, now: dt.datetime | None = None) -> Dashboard:
    """Today at a glance for `team`: two queries (visits by state; every other count, cases by stage
    included)."""
    now = now or timezone.now()
    today = now.astimezone(_zone()).date()
    monday = week_of(today)
    day0, day1 = local_midnight(today), local_midnight(today + dt.timedelta(days=1))
    week0, week1 = local_midnight(monday), local_midnight(monday + dt.timedelta(days=7))
    since_day = today - dt.timedelta(days=RECENT_DAYS)
    since = local_midnight(since_day)
    scope = policies.team_cases(user, team)

    in_week = Q(window_start__gte=week0, window_start__lt=week1)
    visit_rows = (
        Visit.objects.filter(case__in=scope.values("pk"))
        .filter(in_week | Q(state__in=[VisitState.PLANNED, VisitState.COMPLETED]))
        .order_by()
        .values("state")
        .annotate(
            today=Count("pk", filter=Q(window_start__gte=day0, window_start__lt=day1)),
            week=Count("pk", filter=in_week),
            n=Count("pk"),
        )
    )
    visit_by_state = {row["state"]: row for row in visit_rows}
    visits = [
        VisitStateCount(value, str(label), visit_by_state[value]["today"], visit_by_state[value]["week"])
        for value, label in VisitState.choices
        if value in visit_by_state and visit_by_state[value]["week"]
    ]
    counts = _scalar_counts(team, scope, today=today, since=since)
    stages = [StageCount(value, str(label), counts[f"stage_{value}"]) for value, label in Stage.choices]
    return Dashboard(
        team=team,
        today=today,
        week_start=monday,
        week_end=monday + dt.timedelta(days=6),
        since=since_day,
        stages=stages,
        cases_total=sum(s.count for s in stages),
        visits=visits,
        visits_today=sum(v.today for v in visits),
        visits_week=sum(v.week for v in visits),
        plans_awaiting_approval=visit_by_state.get(VisitState.PLANNED, {}).get("n", 0),
        logs_awaiting_review=visit_by_state.get(VisitState.COMPLETED, {}).get("n", 0),
        refusals_recent=counts["notice_refusals"] + counts["onsite_refusals"],
        rule_refusals_recent=counts["rule_refusals_recent"],
        disputes_open=counts["disputes_open"],
        complaints_open=counts["complaints_open"],
        complaints_raised_recent=counts["complaints_raised_recent"],
        promises_broken_recent=counts["promises_broken_recent"],
        instalments_overdue=counts["instalments_overdue"],
        agreements_broken_recent=counts["agreements_broken_recent"],
        follow_ups_overdue=counts["follow_ups_overdue"],
        alerts_open=counts["alerts_open"],
    )
