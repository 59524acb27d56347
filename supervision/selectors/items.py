"""The items behind the dashboard's figures that no other page lists, newest first, at most ITEMS_LIMIT."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from agreements.models import (
    Agreement,
    AgreementState,
    Instalment,
    InstalmentStatus,
    PromiseCheck,
    PromiseStatus,
)
from cases.models import Case
from compliance.models import Complaint, RuleDecision
from visits.models import (
    Notice,
    NoticeAnswer,
    Visit,
    VisitState,
)
from visits.models.onsite import Outcome

from .. import policies
from ._shared import (
    IN_FORCE_STATES,
    ITEMS_LIMIT,
    RECENT_DAYS,
    _zone,
    local_midnight,
)
from .dashboard import _onsite_refusals, _open_alerts

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
