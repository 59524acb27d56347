"""Reads of the supervisor's dashboard, its item lists and the KPIs, for one team.

Every figure is counted or summed in SQL (conditional `Count`/`Sum`, scalar subqueries), so a page
costs the same fixed number of queries at 100 cases and at 100k. Every read starts from
`policies.team_cases(user, team)`: the team's cases the user may see.

Dates and periods are in the deployment's time zone (settings.TIME_ZONE), like the team calendar;
the debtor's time zone matters for the contact rules, not for a team's statistics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User
from agreements.models import (
    Agreement,
    AgreementState,
    FollowUp,
    FollowUpStatus,
    Instalment,
    InstalmentStatus,
    Payment,
    PromiseCheck,
    PromiseStatus,
)
from cases.models import Case, CaseAssignment, Stage
from common.money import round_money
from compliance.models import Alert, Complaint, RuleDecision
from visits.models import (
    ContactAttempt,
    ContactResult,
    Notice,
    NoticeAnswer,
    Visit,
    VisitAgent,
    VisitLog,
    VisitState,
)
from visits.models.onsite import DEBTOR_OUTCOMES, Outcome

from . import policies

# "Recent" refusals, disputes, broken promises and agreements: the last 30 days.
RECENT_DAYS = 30
# Visits that were made: the agents were on site (whatever came after).
MADE_STATES = (
    VisitState.ON_SITE,
    VisitState.COMPLETED,
    VisitState.CORRECTION,
    VisitState.ACCEPTED,
    VisitState.ABORTED,
)
# Results of a contact attempt that reached the debtor (not a relative, not a voicemail).
REACHED_RESULTS = (ContactResult.CONNECTED, ContactResult.DEBTOR_MET)
# Agreements in force, whose overdue instalments are still to be paid.
IN_FORCE_STATES = (AgreementState.SIGNED, AgreementState.ACTIVE)
ITEMS_LIMIT = 200


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone())


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _count(qs: QuerySet[Any]) -> Coalesce:
    """`SELECT COUNT(*) FROM (qs)` as a scalar subquery (no GROUP BY), 0 when nothing matches."""
    sub = qs.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def team_choice(user: Any, teams: list[Team], code: str | None) -> Team | None:
    """The team the page is about, out of `teams` (those the user may see, already read): the one named,
    else the user's own, else the first. None when the code names none of them (the view answers 404)."""
    if code:
        return next((t for t in teams if t.code == code), None)
    own = getattr(user, "team_id", None)
    return next((t for t in teams if t.pk == own), teams[0] if teams else None)


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


# --- the lists behind the figures that no other page lists -----------------------------------------


class ItemKind:
    PLANS = "plans"
    REVIEWS = "reviews"
    REFUSALS = "refusals"
    RULE_REFUSALS = "rule-refusals"
    DISPUTES = "disputes"
    BROKEN_PROMISES = "broken-promises"
    OVERDUE_INSTALMENTS = "overdue-instalments"
    BROKEN_AGREEMENTS = "broken-agreements"
    ALERTS = "alerts"


ITEM_KINDS: dict[str, Any] = {
    ItemKind.PLANS: _("Visit plans waiting for approval"),
    ItemKind.REVIEWS: _("Visit logs waiting for review"),
    ItemKind.REFUSALS: _("Visits refused by the debtor (last 30 days)"),
    ItemKind.RULE_REFUSALS: _("Actions refused by the rules (last 30 days)"),
    ItemKind.DISPUTES: _("Open disputes and complaints"),
    ItemKind.BROKEN_PROMISES: _("Broken promises to pay (last 30 days)"),
    ItemKind.OVERDUE_INSTALMENTS: _("Overdue instalments"),
    ItemKind.BROKEN_AGREEMENTS: _("Broken agreements (last 30 days)"),
    ItemKind.ALERTS: _("Open compliance alerts on the team's complaints"),
}


@dataclass(frozen=True)
class Item:
    """One row of an item list: when, which case, what happened, and where to look at it."""

    at: dt.datetime | dt.date | None
    case: Case | None
    what: str
    link: tuple[str, int] | None = None  # (URL name, pk): the visit, agreement or case page
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_time(self) -> bool:
        return isinstance(self.at, dt.datetime)


def _cases_by_id(ids: set[int]) -> dict[int, Case]:
    return {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("creditor", "debtor")}


def items(user: Any, team: Team, kind: str, *, now: dt.datetime | None = None) -> list[Item]:
    """The items behind one dashboard figure, newest first, at most ITEMS_LIMIT: two or three queries."""
    now = now or timezone.now()
    today = now.astimezone(_zone()).date()
    since = local_midnight(today - dt.timedelta(days=RECENT_DAYS))
    scope = policies.team_cases(user, team)
    ids = scope.values("pk")
    rows: list[Item] = []
    if kind in (ItemKind.PLANS, ItemKind.REVIEWS):
        state = VisitState.PLANNED if kind == ItemKind.PLANS else VisitState.COMPLETED
        visits = (
            Visit.objects.filter(case__in=ids, state=state)
            .select_related("case__creditor", "case__debtor")
            .order_by("window_start", "pk")[:ITEMS_LIMIT]
        )
        for v in visits:
            what = v.get_purpose_display() if kind == ItemKind.PLANS else Outcome(v.outcome).label
            at = v.window_start if kind == ItemKind.PLANS else v.completed_at
            rows.append(Item(at, v.case, str(what), ("visits:visit-detail", v.pk)))
    elif kind == ItemKind.REFUSALS:
        notices = (
            Notice.objects.filter(visit__case__in=ids, answer=NoticeAnswer.REFUSED, answered_at__gte=since)
            .select_related("visit__case__creditor", "visit__case__debtor")
            .order_by("-answered_at")[:ITEMS_LIMIT]
        )
        for n in notices:
            what = _("Refused the visit when given notice (%(channel)s)") % {
                "channel": n.get_channel_display()
            }
            rows.append(Item(n.answered_at, n.visit.case, str(what), ("visits:visit-detail", n.visit_id)))
        for v in _onsite_refusals(ids, since).select_related("case__creditor", "case__debtor")[:ITEMS_LIMIT]:
            rows.append(
                Item(
                    v.completed_at,
                    v.case,
                    str(_("Refused further visits on site")),
                    ("visits:visit-detail", v.pk),
                )
            )
    elif kind == ItemKind.RULE_REFUSALS:
        decisions = list(
            RuleDecision.objects.filter(
                case_id__in=ids, outcome=RuleDecision.Outcome.REFUSED, at__gte=since
            ).order_by("-at", "-pk")[:ITEMS_LIMIT]
        )
        cases = _cases_by_id({d.case_id for d in decisions if d.case_id})
        for d in decisions:
            codes = ", ".join(sorted({f.get("code", "") for f in d.failures if isinstance(f, dict)}))
            rows.append(
                Item(
                    d.at,
                    cases.get(d.case_id or 0),
                    f"{d.action}: {codes}",
                    ("compliance:decision-detail", d.pk),
                )
            )
    elif kind == ItemKind.DISPUTES:
        complaints = list(
            Complaint.objects.filter(case_id__in=ids, status=Complaint.Status.OPEN).order_by(
                "resolve_due_at", "pk"
            )[:ITEMS_LIMIT]
        )
        cases = _cases_by_id({c.case_id for c in complaints if c.case_id})
        for c in complaints:
            what = f"{c.get_kind_display()} · {c.get_channel_display()}"
            rows.append(
                Item(
                    c.received_at,
                    cases.get(c.case_id or 0),
                    what,
                    ("cases:case-detail", c.case_id or 0),
                    {"due": c.resolve_due_at},
                )
            )
    elif kind == ItemKind.BROKEN_PROMISES:
        promises = (
            PromiseCheck.objects.filter(case__in=ids, status=PromiseStatus.BROKEN, decided_at__gte=since)
            .select_related("case__creditor", "case__debtor")
            .order_by("-decided_at", "-pk")[:ITEMS_LIMIT]
        )
        for p in promises:
            what = _("%(currency)s %(amount)s promised by %(due)s, %(paid)s paid") % {
                "currency": p.currency,
                "amount": p.amount,
                "due": p.due_on.isoformat(),
                "paid": p.paid,
            }
            rows.append(Item(p.decided_at, p.case, str(what), ("cases:case-detail", p.case_id)))
    elif kind == ItemKind.OVERDUE_INSTALMENTS:
        instalments = (
            Instalment.objects.filter(
                agreement__case__in=ids, agreement__state__in=IN_FORCE_STATES, status=InstalmentStatus.OVERDUE
            )
            .select_related("agreement__case__creditor", "agreement__case__debtor")
            .order_by("due_date", "pk")[:ITEMS_LIMIT]
        )
        for i in instalments:
            what = _("Instalment %(number)s of %(agreement)s: %(currency)s %(amount)s, %(paid)s paid") % {
                "number": i.number,
                "agreement": i.agreement.number,
                "currency": i.agreement.currency,
                "amount": i.amount,
                "paid": i.paid,
            }
            rows.append(
                Item(i.due_date, i.agreement.case, str(what), ("agreements:agreement-detail", i.agreement_id))
            )
    elif kind == ItemKind.BROKEN_AGREEMENTS:
        agreements = (
            Agreement.objects.filter(case__in=ids, state=AgreementState.BROKEN, broken_at__gte=since)
            .select_related("case__creditor", "case__debtor")
            .order_by("-broken_at", "-pk")[:ITEMS_LIMIT]
        )
        for a in agreements:
            what = f"{a.number} · {a.get_kind_display()} · {a.currency} {a.total}"
            rows.append(Item(a.broken_at, a.case, what, ("agreements:agreement-detail", a.pk)))
    elif kind == ItemKind.ALERTS:
        complaints_qs = Complaint.objects.filter(case_id__in=ids)
        alerts = list(_open_alerts(complaints_qs).order_by("-raised_at", "-pk")[:ITEMS_LIMIT])
        by_complaint = dict(
            complaints_qs.filter(pk__in=[int(a.object_id) for a in alerts]).values_list("pk", "case_id")
        )
        cases = _cases_by_id({c for c in by_complaint.values() if c})
        for a in alerts:
            case_id = by_complaint.get(int(a.object_id))
            rows.append(
                Item(
                    a.raised_at,
                    cases.get(case_id or 0),
                    str(a.get_kind_display()),
                    ("cases:case-detail", case_id) if case_id else None,
                )
            )
    return rows


# --- KPIs over a period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share: `numerator` of `denominator`; no value when there is nothing to divide by."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(100) * self.numerator / self.denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class KpiRow:
    """One line of the KPI table: the team (agent None) or one field agent."""

    agent: User | None
    contacts: Rate = field(default_factory=lambda: Rate(0, 0))
    visit_success: Rate = field(default_factory=lambda: Rate(0, 0))
    promise_rate: Rate = field(default_factory=lambda: Rate(0, 0))
    promises_kept: Rate = field(default_factory=lambda: Rate(0, 0))
    agreements_signed: int = 0
    recovered: dict[str, Decimal] = field(default_factory=dict)
    placed: dict[str, Decimal] = field(default_factory=dict)
    first_visits: int = 0
    avg_days_to_first_visit: Decimal | None = None

    @property
    def label(self) -> str:
        return self.agent.display_name if self.agent else str(_("Whole team"))

    @property
    def money(self) -> list[dict[str, Any]]:
        """Per currency of this row: recovered, placed and recovered as a percentage of placed."""
        zero = Decimal("0.00")
        return [
            {
                "currency": c,
                "recovered": self.recovered.get(c, zero),
                "placed": self.placed.get(c, zero),
                "percent": self.recovery(c),
            }
            for c in sorted(set(self.recovered) | set(self.placed))
        ]

    def recovery(self, currency: str) -> Decimal | None:
        """Recovered as a share of placed, in one currency (amounts of two currencies never mix)."""
        placed = self.placed.get(currency, Decimal(0))
        if not placed:
            return None
        percent = (Decimal(100) * self.recovered.get(currency, Decimal(0)) / placed).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        return percent


@dataclass(frozen=True)
class KpiTable:
    team: Team
    date_from: dt.date
    date_to: dt.date
    team_row: KpiRow
    agent_rows: list[KpiRow]
    currencies: list[str]

    @property
    def rows(self) -> list[KpiRow]:
        return [self.team_row, *self.agent_rows]


def _rate(row: dict[str, Any] | None, num: str, den: str) -> Rate:
    return Rate(row[num] or 0, row[den] or 0) if row else Rate(0, 0)


def _days(value: dt.timedelta | float | None) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, dt.timedelta):  # SQLite hands back microseconds
        value = dt.timedelta(microseconds=float(value))
    return (Decimal(value.total_seconds()) / Decimal(86400)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _first_visit_at() -> Subquery:
    """When the agents were first on site for the (outer) case."""
    return Subquery(
        Visit.objects.filter(case_id=OuterRef("case_id"), on_site_at__isnull=False)
        .order_by("on_site_at")
        .values("on_site_at")[:1],
        output_field=DateTimeField(),
    )


def kpis(user: Any, team: Team, *, date_from: dt.date, date_to: dt.date) -> KpiTable:
    """The KPIs of `team` and of each of its field agents from `date_from` to `date_to` (inclusive):
    a fixed 12 queries whatever the volume. The definitions are in README ("Supervisor's dashboard")
    and on the page."""
    start, end = local_midnight(date_from), local_midnight(date_to + dt.timedelta(days=1))
    ids = policies.team_cases(user, team).values("pk")
    agents = list(
        User.objects.filter(team=team, groups__name=Role.FIELD_AGENT)
        .order_by("full_name", "username")
        .distinct()
    )
    rows: dict[int | None, KpiRow] = {None: KpiRow(None), **{a.pk: KpiRow(a) for a in agents}}

    def each(key: int | None) -> KpiRow | None:
        return rows.get(key) if key is not None else None

    # Contact rate: attempts on any channel (visits included) that reached the debtor / all attempts.
    contacts = (
        ContactAttempt.objects.filter(case__in=ids, at__gte=start, at__lt=end)
        .order_by()
        .values("recorded_by")
        .annotate(n=Count("pk"), reached=Count("pk", filter=Q(result__in=REACHED_RESULTS)))
    )
    total_n = total_reached = 0
    for row in contacts:
        total_n, total_reached = total_n + row["n"], total_reached + row["reached"]
        if (r := each(row["recorded_by"])) is not None:
            r.contacts = Rate(row["reached"], row["n"])
    rows[None].contacts = Rate(total_reached, total_n)

    # Visit success (debtor met / visits made) and promise-to-pay rate (promises / debtor met): visits
    # whose agents were on site in the period; each agent sent on it counts it.
    met = Q(visit__outcome__in=DEBTOR_OUTCOMES)
    promised = Q(visit__outcome=Outcome.PROMISE)
    per_agent = (
        VisitAgent.objects.filter(
            visit__case__in=ids, visit__on_site_at__gte=start, visit__on_site_at__lt=end
        )
        .order_by()
        .values("agent")
        .annotate(
            made=Count("visit", distinct=True),
            met=Count("visit", filter=met, distinct=True),
            promised=Count("visit", filter=promised, distinct=True),
        )
    )
    for row in per_agent:
        if (r := each(row["agent"])) is not None:
            r.visit_success, r.promise_rate = _rate(row, "met", "made"), _rate(row, "promised", "met")
    team_visits = Visit.objects.filter(case__in=ids, on_site_at__gte=start, on_site_at__lt=end).aggregate(
        made=Count("pk"),
        met=Count("pk", filter=Q(outcome__in=DEBTOR_OUTCOMES)),
        promised=Count("pk", filter=Q(outcome=Outcome.PROMISE)),
    )
    rows[None].visit_success = _rate(team_visits, "met", "made")
    rows[None].promise_rate = _rate(team_visits, "promised", "met")

    # Promises kept: promises falling due in the period and decided, kept / (kept + broken).
    decided = PromiseCheck.objects.filter(
        case__in=ids,
        due_on__gte=date_from,
        due_on__lte=date_to,
        status__in=[PromiseStatus.KEPT, PromiseStatus.BROKEN],
    )
    kept = Q(status=PromiseStatus.KEPT)
    for row in (
        decided.order_by()
        .values(agent=F("visit_log__visit__visit_agents__agent"))
        .annotate(kept=Count("pk", filter=kept, distinct=True), decided=Count("pk", distinct=True))
    ):
        if (r := each(row["agent"])) is not None:
            r.promises_kept = _rate(row, "kept", "decided")
    rows[None].promises_kept = _rate(
        decided.aggregate(kept=Count("pk", filter=kept), decided=Count("pk")), "kept", "decided"
    )

    # Agreements signed in the period, by who drafted them.
    for row in (
        Agreement.objects.filter(case__in=ids, signed_at__gte=start, signed_at__lt=end)
        .order_by()
        .values("drafted_by")
        .annotate(n=Count("pk"))
    ):
        rows[None].agreements_signed += row["n"]
        if (r := each(row["drafted_by"])) is not None:
            r.agreements_signed = row["n"]

    # Recovered: payments dated in the period. Placed: the amount placed (outstanding at placement) of
    # the cases open at some time in the period (placed before its end, not closed before its start).
    payments = Payment.objects.filter(case__in=ids, paid_on__gte=date_from, paid_on__lte=date_to)
    for row in payments.order_by().values("currency").annotate(s=Sum("amount")):
        rows[None].recovered[row["currency"]] = round_money(row["s"], row["currency"])
    for row in (
        payments.order_by().values("currency", agent=F("case__assignments__agent")).annotate(s=Sum("amount"))
    ):
        if (r := each(row["agent"])) is not None:
            r.recovered[row["currency"]] = round_money(row["s"], row["currency"])
    portfolio = Case.objects.filter(pk__in=ids, created_at__lt=end).exclude(
        stage=Stage.CLOSED, stage_changed_at__lt=start
    )
    for row in portfolio.order_by().values("currency").annotate(s=Sum("outstanding")):
        rows[None].placed[row["currency"]] = round_money(row["s"], row["currency"])
    for row in (
        portfolio.order_by().values("currency", agent=F("assignments__agent")).annotate(s=Sum("outstanding"))
    ):
        if (r := each(row["agent"])) is not None:
            r.placed[row["currency"]] = round_money(row["s"], row["currency"])

    # Days from placement to first visit: cases whose first visit (agents first on site) is in the
    # period, averaged; an agent counts the cases assigned to them.
    firsts = (
        CaseAssignment.objects.filter(case__in=ids)
        .annotate(first=_first_visit_at())
        .filter(first__gte=start, first__lt=end)
    )
    wait = ExpressionWrapper(F("first") - F("case__created_at"), output_field=DurationField())
    for row in firsts.order_by().values("agent").annotate(n=Count("case", distinct=True), avg=Avg(wait)):
        if (r := each(row["agent"])) is not None:
            r.first_visits, r.avg_days_to_first_visit = row["n"], _days(row["avg"])
    team_firsts = (
        Case.objects.filter(pk__in=ids)
        .annotate(
            first=Subquery(
                Visit.objects.filter(case_id=OuterRef("pk"), on_site_at__isnull=False)
                .order_by("on_site_at")
                .values("on_site_at")[:1],
                output_field=DateTimeField(),
            )
        )
        .filter(first__gte=start, first__lt=end)
        .aggregate(
            n=Count("pk"),
            avg=Avg(ExpressionWrapper(F("first") - F("created_at"), output_field=DurationField())),
        )
    )
    rows[None].first_visits, rows[None].avg_days_to_first_visit = team_firsts["n"], _days(team_firsts["avg"])

    currencies = sorted(set(rows[None].recovered) | set(rows[None].placed))
    return KpiTable(team, date_from, date_to, rows[None], [rows[a.pk] for a in agents], currencies)
