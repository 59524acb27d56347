"""What the agreements app records that restarts the limitation period (compliance/limitation.py): the
debtor's acknowledgements, payments and signed agreements, and the lawyer's letters issued."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from common.bundle import Part
from compliance.limitation import (
    Interruption,
    InterruptionSource,
    debtor_date,
    register_interruption_source,
)

from .models import WRITTEN_ACKNOWLEDGEMENTS, Acknowledgement, Agreement, Escalation, EscalationKind, Payment


def parts(case: Any, kinds: frozenset[str]) -> dict[str, Part]:
    """The latest event of each kind counted (read with the other sources' in one query)."""
    found: dict[str, Part] = {}
    if kinds & {"acknowledgement_written", "acknowledgement_oral"}:
        acks = Acknowledgement.objects.filter(case_id=case.pk)
        if "acknowledgement_written" not in kinds:
            acks = acks.exclude(form__in=WRITTEN_ACKNOWLEDGEMENTS)
        if "acknowledgement_oral" not in kinds:
            acks = acks.filter(form__in=WRITTEN_ACKNOWLEDGEMENTS)
        found["acknowledgement"] = Part(
            acks.order_by("-acknowledged_at", "-pk"), related=("recorded_by",), limit=1
        )
    if "payment" in kinds:
        found["payment"] = Part(
            Payment.objects.filter(case_id=case.pk).order_by("-paid_on", "-pk"),
            related=("recorded_by",),
            limit=1,
        )
    if "agreement" in kinds:
        found["agreement"] = Part(
            Agreement.objects.filter(case_id=case.pk, signed_at__isnull=False).order_by("-signed_at", "-pk"),
            related=("drafted_by",),
            limit=1,
        )
    if "lawyer_letter" in kinds:
        found["letter"] = Part(
            Escalation.objects.filter(case_id=case.pk, kind=EscalationKind.LAWYER_LETTER).order_by(
                "-created_at", "-pk"
            ),
            related=("created_by",),
            limit=1,
        )
    return found


def read(case: Any, rows: dict[str, list[Any]]) -> Iterator[Interruption]:
    for ack in rows.get("acknowledgement", []):
        yield Interruption(
            kind="acknowledgement_written" if ack.written else "acknowledgement_oral",
            on=debtor_date(case, ack.acknowledged_at),
            by=ack.recorded_by.display_name,
            ref=f"acknowledgement #{ack.pk}",
        )
    for payment in rows.get("payment", []):
        yield Interruption(
            kind="payment",
            on=payment.paid_on,
            by=payment.recorded_by.display_name,
            ref=f"payment #{payment.pk}",
        )
    for agreement in rows.get("agreement", []):
        yield Interruption(
            kind="agreement",
            on=debtor_date(case, agreement.signed_at),
            by=agreement.drafted_by.display_name,
            ref=f"agreement #{agreement.pk}",
        )
    for letter in rows.get("letter", []):
        yield Interruption(
            kind="lawyer_letter",
            on=debtor_date(case, letter.created_at),
            by=letter.created_by.display_name,
            ref=f"escalation #{letter.pk}",
        )


def register() -> None:
    register_interruption_source("agreements.money", InterruptionSource(parts=parts, read=read))
