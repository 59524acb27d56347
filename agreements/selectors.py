"""Reads for agreements, payments, follow-ups, escalation and closure; the case's money summary.

The balance of a case is the creditor's outstanding amount at placement less every payment recorded
since; an agreement's credit is what was paid on it beyond its schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from common import bundle
from compliance.limitation import LimitationFacts, limitation_facts
from compliance.rules.agreements import AgreementFacts, AgreementParams

from . import policies
from .models import (
    OPEN_AGREEMENT_STATES,
    RUNNING_AGREEMENT_STATES,
    Acknowledgement,
    Agreement,
    AgreementState,
    Closure,
    Escalation,
    FollowUp,
    FollowUpReview,
    FollowUpStatus,
    Instalment,
    Payment,
    PromiseCheck,
    ReviewStatus,
    Signature,
)


def paid_total(case: Any) -> Decimal:
    return Payment.objects.filter(case_id=case.pk).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def balance(case: Any) -> Decimal:
    """What the debtor still owes: the outstanding amount placed, less every payment since."""
    return case.outstanding - paid_total(case)


def agreement_in_force(case: Any) -> Agreement | None:
    """The signed or active agreement of the case, if any."""
    return (
        Agreement.objects.filter(case_id=case.pk, state__in=RUNNING_AGREEMENT_STATES)
        .order_by("-signed_at", "-pk")
        .first()
    )


def open_draft(case: Any) -> Agreement | None:
    return Agreement.objects.filter(case_id=case.pk, state__in=OPEN_AGREEMENT_STATES).order_by("-pk").first()


def agreement_credit(agreement: Agreement) -> Decimal:
    """Paid on the agreement beyond its schedule (an overpayment), shown as a credit."""
    paid = Payment.objects.filter(agreement=agreement).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    allocated = sum((i.paid for i in agreement.instalments.all()), Decimal("0.00"))
    return paid - allocated


def pack_for(case: Any) -> Any:
    from visits.selectors import pack_for_case

    return pack_for_case(case)


def case_limitation(case: Any) -> LimitationFacts:
    """The case's limitation period under its current pack: the case page's "runs until … last
    interruption … by …" (`compliance.limitation.limitation_facts`, the one computation)."""
    return limitation_facts(case=case, pack=pack_for(case))


def case_acknowledgements(case: Any) -> list[Acknowledgement]:
    """The debtor's acknowledgements of the debt on this case, newest first (one query)."""
    return list(Acknowledgement.objects.filter(case_id=case.pk).select_related("recorded_by"))


def agreement_facts(
    *,
    case: Any,
    instalments: list[Decimal],
    frequency: str,
    stated_income: Decimal | None,
    stated_expenses: Decimal | None,
    debtor_requested: bool,
    today: dt.date,
) -> AgreementFacts:
    from cases import debtor_facts

    debtor = case.debtor  # its contact_ceased/represented: the facts in force covering all contact
    return AgreementFacts(
        instalments=tuple(instalments),
        frequency=frequency,
        currency=case.currency,
        stated_income=stated_income,
        stated_expenses=stated_expenses,
        debtor_requested=debtor_requested,
        dispute_open=debtor_facts.dispute_open(case.pk),
        contact_ceased=debtor.contact_ceased,
        represented=debtor.represented,
        overdue_since=case.overdue_since,
        # The last event that restarted the limitation period, from the record (compliance/limitation.py).
        last_demand_on=limitation_facts(case=case, pack=pack_for(case)).last_interruption_on,
        today=today,
    )


def facts_of(agreement: Agreement, *, today: dt.date) -> AgreementFacts:
    return agreement_facts(
        case=agreement.case,
        instalments=[i.amount for i in agreement.instalments.all()],
        frequency=agreement.frequency,
        stated_income=agreement.stated_income,
        stated_expenses=agreement.stated_expenses,
        debtor_requested=agreement.debtor_requested_terms,
        today=today,
    )


def params_for(case: Any) -> AgreementParams:
    return AgreementParams.from_pack(pack_for(case))


# --- pages ----------------------------------------------------------------------------------------


def _with_relations(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return qs.select_related(
        "case__creditor", "case__debtor", "drafted_by", "approved_by", "supersedes"
    ).prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("number")),
        Prefetch("signatures", queryset=Signature.objects.select_related("signer").order_by("signed_at")),
    )


def agreement_detail(user: Any, pk: int) -> Agreement | None:
    return _with_relations(policies.agreements_visible_to(user)).filter(pk=pk).first()


@dataclass(frozen=True)
class CaseMoney:
    """The money section of the case page: balance, payments, agreements, promises, follow-ups."""

    placed: Decimal
    paid: Decimal
    balance: Decimal
    in_force: Agreement | None
    draft: Agreement | None
    agreements: list[Agreement]
    payments: list[Payment]
    promises: list[PromiseCheck]
    follow_up: FollowUp | None
    follow_ups: list[FollowUp]
    escalations: list[Escalation]
    closures: list[Closure]
    last_visit: Any | None = None  # the last visit made (with_last_visit)


def case_money(case: Any, *, with_last_visit: bool = False) -> CaseMoney:
    """Everything of the agreements stage shown on one case page, in ONE query whatever the number of
    agreements, instalments, payments, promises, follow-ups, escalations and closures (`common.bundle`).
    `case` is the caller's object (its creditor and debtor already loaded): the agreements point to it."""
    parts = {
        "agreements": bundle.Part(
            Agreement.objects.filter(case_id=case.pk).order_by("-created_at", "-pk"),
            related=("drafted_by", "approved_by", "supersedes"),
        ),
        "instalments": bundle.Part(Instalment.objects.filter(agreement__case_id=case.pk).order_by("number")),
        "signatures": bundle.Part(
            Signature.objects.filter(agreement__case_id=case.pk).order_by("signed_at"), related=("signer",)
        ),
        "payments": bundle.Part(
            Payment.objects.filter(case_id=case.pk).order_by("-paid_on", "-pk"),
            related=("recorded_by", "agreement"),
        ),
        "follow_ups": bundle.Part(
            FollowUp.objects.filter(case_id=case.pk).order_by("-created_at", "-pk"),
            related=("owner", "created_by"),
            limit=20,
        ),
        "promises": bundle.Part(PromiseCheck.objects.filter(case_id=case.pk).order_by("-due_on")),
        "escalations": bundle.Part(
            Escalation.objects.filter(case_id=case.pk).order_by("-created_at"), related=("created_by",)
        ),
        "closures": bundle.Part(
            Closure.objects.filter(case_id=case.pk).order_by("-closed_at"),
            related=("closed_by", "reopened_by"),
        ),
    }
    if with_last_visit:
        parts["last_visit"] = bundle.Part(
            case.visits.filter(completed_at__isnull=False).order_by("-completed_at"), limit=1
        )
    rows = bundle.fetch(parts)
    agreements = rows["agreements"]
    for agreement in agreements:
        Agreement.case.field.set_cached_value(agreement, case)
    bundle.attach(agreements, rows["instalments"], fk="agreement_id", accessor="instalments")
    bundle.attach(agreements, rows["signatures"], fk="agreement_id", accessor="signatures")
    payments = rows["payments"]
    paid = sum((p.amount for p in payments), Decimal("0.00"))
    follow_ups = rows["follow_ups"]
    return CaseMoney(
        placed=case.outstanding,
        paid=paid,
        balance=case.outstanding - paid,
        in_force=next((a for a in agreements if a.state in RUNNING_AGREEMENT_STATES), None),
        draft=next((a for a in agreements if a.state in OPEN_AGREEMENT_STATES), None),
        agreements=agreements,
        payments=payments,
        promises=rows["promises"],
        follow_up=next((f for f in follow_ups if f.status == FollowUpStatus.OPEN), None),
        follow_ups=follow_ups,
        escalations=rows["escalations"],
        closures=rows["closures"],
        last_visit=next(iter(rows.get("last_visit", [])), None),
    )


def overdue_follow_ups(user: Any, *, today: dt.date | None = None) -> QuerySet[FollowUp]:
    """Open follow-ups past their due date on the cases the user may see, oldest first."""
    today = today or timezone.localdate()
    return (
        policies.follow_ups_visible_to(user)
        .filter(status=FollowUpStatus.OPEN, due_on__lt=today)
        .select_related("case__creditor", "case__debtor", "owner")
        .order_by("due_on", "pk")
    )


def due_reviews(user: Any) -> QuerySet[FollowUpReview]:
    """Scheduled reviews not yet done on the cases the user may see (an agent: their cases; a
    supervisor: the team's), oldest first."""
    return (
        FollowUpReview.objects.filter(
            status=ReviewStatus.DUE, case__in=policies.follow_ups_visible_to(user).values("case_id")
        )
        .select_related("case__creditor", "case__debtor", "owner", "follow_up")
        .order_by("due_on", "pk")
    )


def open_follow_ups(user: Any) -> QuerySet[FollowUp]:
    return (
        policies.follow_ups_visible_to(user)
        .filter(status=FollowUpStatus.OPEN)
        .select_related("case__creditor", "case__debtor", "owner")
        .order_by("due_on", "pk")
    )


def broken_or_overdue(user: Any) -> QuerySet[Agreement]:
    return _with_relations(
        policies.agreements_visible_to(user)
        .filter(
            Q(state=AgreementState.BROKEN) | Q(state=AgreementState.ACTIVE, instalments__status="overdue")
        )
        .distinct()
    )
