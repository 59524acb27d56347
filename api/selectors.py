"""Reads of the API app beyond the stage apps' selectors: a case's stage history, its agreement and
payments as a creditor sees them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from agreements import selectors as agreement_selectors
from agreements.models import Agreement, Allocation, Instalment, Payment
from cases.models import Case


def stage_history(case: Case) -> list[dict[str, Any]]:
    """Each stage the case entered, oldest first, from its history rows (one query)."""
    entries: list[dict[str, Any]] = []
    for stage, at in case.history.order_by("history_id").values_list("stage", "history_date"):
        if not entries or entries[-1]["stage"] != stage:
            entries.append({"stage": stage, "at": at})
    return entries


def case_agreement(case: Case) -> dict[str, Any]:
    """The case's money and the agreement the debtor signed last, with its schedule (two queries)."""
    agreement = (
        Agreement.objects.filter(case_id=case.pk, signed_at__isnull=False)
        .prefetch_related(Prefetch("instalments", queryset=Instalment.objects.order_by("number")))
        .order_by("-signed_at", "-pk")
        .first()
    )
    paid = agreement_selectors.paid_total(case)
    return {
        "case_id": case.pk,
        "currency": case.currency,
        "outstanding": case.outstanding,
        "paid_total": paid,
        "balance": case.outstanding - paid,
        "agreement": agreement,
    }


def case_payments(case: Case) -> QuerySet[Any]:
    """The case's payments with their allocations (keyset on id by the caller)."""
    return (
        Payment.objects.filter(case_id=case.pk)
        .select_related("agreement")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("instalment").order_by("pk"))
        )
    )
