"""What the agreements app records that restarts the limitation period (compliance/limitation.py): the
debtor's acknowledgements, payments and signed agreements, and the lawyer's letters issued; and the
retention of the acknowledgements' evidence and the review findings (compliance/registry.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.bundle import Part
from compliance import registry
from compliance.limitation import (
    Interruption,
    InterruptionSource,
    debtor_date,
    register_interruption_source,
)
from compliance.registry import RetentionContext, RetentionItem

from .models import (
    WRITTEN_ACKNOWLEDGEMENTS,
    Acknowledgement,
    Agreement,
    Escalation,
    EscalationKind,
    FollowUpReview,
    Payment,
)


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


def anonymize(ctx: RetentionContext) -> list[RetentionItem]:
    """Retention: the acknowledgements' evidence files (deleted from storage; the SHA-256 and size stay)
    and statements, and what the follow-up reviews found (free text), with simple-history's copies."""
    acks = Acknowledgement.objects.filter(case_id=ctx.case_id)
    reviews = FollowUpReview.objects.filter(case_id=ctx.case_id).exclude(note="")
    counts = (acks.exclude(evidence="").count(), reviews.count())
    if not ctx.dry_run:
        for ack in acks.exclude(evidence=""):
            ack.evidence.delete(save=False)
        blank = {"evidence": "", "statement": "", "evidence_name": ""}
        acks.update(**blank)
        Acknowledgement.history.filter(case_id=ctx.case_id).update(**blank)
        review_ids = list(reviews.values_list("pk", flat=True))
        reviews.update(note="")
        FollowUpReview.history.filter(id__in=review_ids).update(note="")
    items = [
        RetentionItem(
            "acknowledgement.evidence", _("acknowledgements of the debt and their evidence"), counts[0]
        ),
        RetentionItem("follow_up_review.note", _("what follow-up reviews found"), counts[1]),
    ]
    return [i for i in items if i.count]


def register() -> None:
    register_interruption_source("agreements.money", InterruptionSource(parts=parts, read=read))
    registry.register_retention_source(
        registry.RetentionSource(
            "agreements.acknowledgements", _("Acknowledgements of the debt and review findings"), anonymize
        )
    )
