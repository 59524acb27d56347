"""What the agreements app records that restarts the limitation period (compliance/limitation.py): the
debtor's acknowledgements, payments and signed agreements, and the lawyer's letters issued."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compliance.limitation import Interruption, debtor_date, register_interruption_source

from .models import WRITTEN_ACKNOWLEDGEMENTS, Acknowledgement, Agreement, Escalation, EscalationKind, Payment


def money_interruptions(case: Any, kinds: frozenset[str]) -> Iterator[Interruption]:
    """The latest event of each kind counted: at most one query per kind."""
    acknowledgements = Acknowledgement.objects.filter(case_id=case.pk).select_related("recorded_by")
    if "acknowledgement_written" not in kinds:
        acknowledgements = acknowledgements.exclude(form__in=WRITTEN_ACKNOWLEDGEMENTS)
    if "acknowledgement_oral" not in kinds:
        acknowledgements = acknowledgements.filter(form__in=WRITTEN_ACKNOWLEDGEMENTS)
    if kinds & {"acknowledgement_written", "acknowledgement_oral"}:
        ack = acknowledgements.order_by("-acknowledged_at", "-pk").first()
        if ack is not None:
            yield Interruption(
                kind="acknowledgement_written" if ack.written else "acknowledgement_oral",
                on=debtor_date(case, ack.acknowledged_at),
                by=ack.recorded_by.display_name,
                ref=f"acknowledgement #{ack.pk}",
            )
    if "payment" in kinds:
        payment = (
            Payment.objects.filter(case_id=case.pk)
            .select_related("recorded_by")
            .order_by("-paid_on", "-pk")
            .first()
        )
        if payment is not None:
            yield Interruption(
                kind="payment",
                on=payment.paid_on,
                by=payment.recorded_by.display_name if payment.recorded_by_id else "",
                ref=f"payment #{payment.pk}",
            )
    if "agreement" in kinds:
        agreement = (
            Agreement.objects.filter(case_id=case.pk, signed_at__isnull=False)
            .select_related("drafted_by")
            .order_by("-signed_at", "-pk")
            .first()
        )
        if agreement is not None and agreement.signed_at is not None:
            yield Interruption(
                kind="agreement",
                on=debtor_date(case, agreement.signed_at),
                by=agreement.drafted_by.display_name if agreement.drafted_by_id else "",
                ref=f"agreement #{agreement.pk}",
            )
    if "lawyer_letter" in kinds:
        letter = (
            Escalation.objects.filter(case_id=case.pk, kind=EscalationKind.LAWYER_LETTER)
            .select_related("created_by")
            .order_by("-created_at", "-pk")
            .first()
        )
        if letter is not None:
            yield Interruption(
                kind="lawyer_letter",
                on=debtor_date(case, letter.created_at),
                by=letter.created_by.display_name,
                ref=f"escalation #{letter.pk}",
            )


def register() -> None:
    register_interruption_source("agreements.money", money_interruptions)
