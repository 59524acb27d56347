"""The KPIs of a team and of each of its field agents over a period: a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User
from agreements.models import (
    Agreement,
    Payment,
    PromiseCheck,
    PromiseStatus,
)
from cases.models import Case, CaseAssignment, Stage
from common.money import round_money
from visits.models import (
    ContactAttempt,
    Visit,
    VisitAgent,
)
from visits.models.onsite import DEBTOR_OUTCOMES, Outcome

from .. import policies
from ._shared import (
    REACHED_RESULTS,
    local_midnight,
)

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
