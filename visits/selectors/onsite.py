"""Reads for the on-site stage: the wizard's state, the debt statement, log versions, the report.

Each read starts from what the caller may see (the views fetch the visit through
`policies.visits_visible_to`) and owns its joins, so the number of queries does not grow with the number
of agents, check-ins, evidence files or log versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from common.products import product_label
from compliance.models import AuditEvent, RuleDecision

from .. import policies
from ..models import (
    ConductAttestation,
    Evidence,
    LogStatus,
    Visit,
    VisitAgent,
    VisitCheckIn,
    VisitLog,
    VisitState,
)
from .planning import pack_for_case

ONSITE_ACTIONS = ("visit.check_in", "visit.start", "visit.conversation", "visit.complete")


def overridden_codes(visit: Visit) -> dict[str, int]:
    """Rule codes a supervisor overrode for this visit (on planning or approval) → the override decision.

    A later check of the same visit (check-in) keeps such a failure as a warning instead of refusing
    again what was already decided with a written reason."""
    which = Q(object_type="visits.visit", object_id=str(visit.pk))
    if visit.plan_decision_id:
        which |= Q(pk=visit.plan_decision_id)
    found: dict[str, int] = {}
    for decision in RuleDecision.objects.filter(which, outcome=RuleDecision.Outcome.OVERRIDDEN).order_by(
        "at", "pk"
    ):
        for failure in decision.failures:
            if failure.get("level", "refuse") == "refuse" and failure.get("overridable"):
                found[failure["code"]] = decision.pk
    return found


def checked_in_agent_ids(visit: Visit) -> tuple[int, ...]:
    return tuple(
        VisitCheckIn.objects.filter(visit=visit).order_by("agent_id").values_list("agent_id", flat=True)
    )


def current_log(visit: Visit) -> VisitLog | None:
    """The version in force: the newest one (a draft while the agents fill it or correct it)."""
    return VisitLog.objects.filter(visit=visit).order_by("-version").first()


def log_versions(visit: Visit) -> list[VisitLog]:
    return list(
        VisitLog.objects.filter(visit=visit)
        .select_related("submitted_by", "reviewed_by", "checks_confirmed_by")
        .order_by("version")
    )


def evidence_visible(user: Any, visit_pk: int, evidence_pk: int) -> Evidence | None:
    return (
        Evidence.objects.filter(visit__in=policies.visits_visible_to(user), visit_id=visit_pk, pk=evidence_pk)
        .select_related("visit")
        .first()
    )


# --- the wizard ------------------------------------------------------------------------------------


@dataclass
class OnSiteView:
    """Everything a page of the on-site wizard (or the visit page's on-site section) shows."""

    visit: Visit
    agents: list[Any]
    check_ins: dict[int, VisitCheckIn]
    attestations: dict[int, ConductAttestation]
    evidence: list[Evidence]
    log: VisitLog | None
    versions: list[VisitLog]
    min_agents: int
    user_id: int
    flags: dict[str, bool] = field(default_factory=dict)

    @property
    def my_check_in(self) -> VisitCheckIn | None:
        return self.check_ins.get(self.user_id)

    @property
    def my_attestation(self) -> ConductAttestation | None:
        return self.attestations.get(self.user_id)

    @property
    def waiting_for(self) -> int:
        """How many more agents must check in before the visit starts."""
        return max(0, self.min_agents - len(self.check_ins))

    @property
    def missing_attestations(self) -> list[Any]:
        return [a for a in self.agents if a.pk not in self.attestations]

    @property
    def is_correction(self) -> bool:
        return self.visit.state == VisitState.CORRECTION

    @property
    def editable(self) -> bool:
        """The agents may still write the log (on site, or correcting a returned one)."""
        return (
            self.log is not None
            and self.log.status == LogStatus.DRAFT
            and self.visit.state in (VisitState.ON_SITE, VisitState.CORRECTION)
        )

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The wizard's steps with whether each is done (for the progress bar)."""
        log = self.log
        # Ticked only once something was recorded: the conversation, or what was (not) said to someone
        # who is not the verified debtor.
        conversation_done = bool(log and log.conversation_saved_at)
        return [
            {"name": "check-in", "label": _("Check in"), "done": self.visit.on_site_at is not None},
            {"name": "checks", "label": _("Identity"), "done": bool(log and log.checks_confirmed)},
            {"name": "conversation", "label": _("Talk"), "done": conversation_done},
            {"name": "outcome", "label": _("Outcome"), "done": bool(log and log.outcome)},
            {"name": "evidence", "label": _("Evidence"), "done": bool(self.evidence)},
            {"name": "finish", "label": _("Finish"), "done": self.visit.completed_at is not None},
        ]


def onsite_view(user: Any, visit: Visit) -> OnSiteView:
    """The on-site state of a visible visit, with what `user` may do now (fixed number of queries)."""
    visit = (
        Visit.objects.select_related(
            "case",
            "case__debtor",
            "case__creditor",
            "case__mandate",
            "case__team",
            "address",
            "planned_by",
            "approved_by",
            "plan_decision",
        )
        .prefetch_related(
            Prefetch(
                "visit_agents", queryset=VisitAgent.objects.select_related("agent").order_by("agent_id")
            ),
            Prefetch("check_ins", queryset=VisitCheckIn.objects.order_by("at", "pk")),
            Prefetch("attestations", queryset=ConductAttestation.objects.order_by("at", "pk")),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("uploaded_by").order_by("uploaded_at", "pk"),
            ),
            Prefetch(
                "logs",
                queryset=VisitLog.objects.select_related("submitted_by", "reviewed_by").order_by("version"),
            ),
        )
        .get(pk=visit.pk)
    )
    versions = list(visit.logs.all())
    view = OnSiteView(
        visit=visit,
        agents=[va.agent for va in visit.visit_agents.all()],
        check_ins={c.agent_id: c for c in visit.check_ins.all()},
        attestations={a.agent_id: a for a in visit.attestations.all()},
        evidence=list(visit.evidence.all()),
        log=versions[-1] if versions else None,
        versions=versions,
        min_agents=pack_for_case(visit.case).min_agents,
        user_id=user.pk,
    )
    state = visit.state
    agent = policies.is_visit_agent(user, visit)
    view.flags = {
        "is_agent": agent,
        "can_check_in": agent and state in (VisitState.APPROVED, VisitState.NOTIFIED, VisitState.ON_SITE),
        "can_fill": agent and view.editable,
        "can_attest": agent and state in (VisitState.ON_SITE,) and user.pk not in view.attestations,
        "can_add_evidence": agent and state in policies.EVIDENCE_STATES,
        "can_review": policies.can_review_log(user, visit) and state == VisitState.COMPLETED,
        "can_abort": policies.can_abort(user, visit) and state == VisitState.ON_SITE,
    }
    return view


# --- the debt statement (the debtor's right to know, 知情权) ----------------------------------------


@dataclass(frozen=True)
class StatementLine:
    label: Any
    amount: Decimal | None
    sign: str = ""  # "+", "-" or "=" in the computation
    note: Any = ""


@dataclass(frozen=True)
class DebtStatement:
    creditor: str
    agency: str
    contract_no: str
    external_ref: str
    product: str
    currency: str
    overdue_since: dt.date
    as_of: dt.date
    mandate_number: str
    lines: list[StatementLine]
    outstanding: Decimal
    itemized: bool
    computation: str


def debt_statement(case: Any, *, as_of: dt.date) -> DebtStatement:
    """What the debtor owes and how it is made up, from the creditor's placement figures.

    With the breakdown (interest and fees, paid before placement) the statement shows
    principal + interest and fees - paid = outstanding; without it, the difference between the outstanding
    amount and the principal is shown as not itemized, and the debtor may ask the creditor for the detail.
    """
    from django.conf import settings

    principal, outstanding = case.principal, case.outstanding
    itemized = case.interest_fees is not None or case.paid_before_placement is not None
    lines = [StatementLine(_("Principal"), principal, "")]
    if itemized:
        interest = case.interest_fees or Decimal("0.00")
        paid = case.paid_before_placement or Decimal("0.00")
        lines += [
            StatementLine(_("Interest and fees"), interest, "+"),
            StatementLine(_("Paid before placement"), paid, "-"),
        ]
        computation = f"{principal} + {interest} - {paid} = {outstanding} {case.currency}"
    else:
        difference = outstanding - principal
        lines.append(
            StatementLine(
                _("Interest, fees and charges, net of earlier payments (not itemized by the creditor)"),
                difference,
                "+" if difference >= 0 else "-",
                _("The debtor may ask the creditor for the itemized breakdown."),
            )
        )
        computation = f"{principal} + ({difference}) = {outstanding} {case.currency}"
    lines.append(StatementLine(_("Outstanding amount"), outstanding, "="))
    return DebtStatement(
        creditor=case.creditor.name,
        agency=settings.AGENCY_NAME,
        contract_no=case.contract_no,
        external_ref=case.external_ref,
        product=product_label(case.product),
        currency=case.currency,
        overdue_since=case.overdue_since,
        as_of=as_of,
        mandate_number=case.mandate.number if case.mandate_id else "",
        lines=lines,
        outstanding=outstanding,
        itemized=itemized,
        computation=computation,
    )


# --- the visit report (PDF) ----------------------------------------------------------------------


def report_context(visit: Visit, *, user: Any) -> dict[str, Any]:
    """Everything the visit report shows: case, mandate, agents, times and places, checks, conversation,
    outcome, evidence digests, the decision trace, and the audit event that closes the record so far."""
    from .planning import visit_decisions

    view = onsite_view(user, visit)
    # The decisions of the visit already read (and the policy's yes/no on it), not `visit_detail`:
    # that one reads the visit again through `visits_visible_to`, a DISTINCT over every visible case
    # (~30 ms at 100k cases; bench/README.md, "PDF").
    decisions = visit_decisions(view.visit) if policies.can_view(user, view.visit) else []
    last_event = (
        AuditEvent.objects.filter(object_type="visits.visit", object_id=str(visit.pk))
        .order_by("-seq")
        .first()
    )
    head = AuditEvent.objects.order_by("-seq").first()
    return {
        "view": view,
        "visit": view.visit,
        "case": view.visit.case,
        "decisions": decisions,
        "last_event": last_event,
        "head": head,
    }
