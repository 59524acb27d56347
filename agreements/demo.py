"""Demo agreements for `seed_demo` (after the demo visits), through the agreements services: a follow-up
plan on the visited case with its promise tracked, and on another verified case an instalment agreement
signed a month ago with its first instalment paid."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases.models import Case, Stage

from . import services
from .models import Agreement


def demo_signature(text: str) -> bytes:
    """A drawn-looking signature (a PNG with a few strokes) for demo records."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 110), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + i * 12, 60 + (18 if i % 2 else -18) + (len(text) % 5)) for i in range(20)]
    draw.line(points, fill=(17, 24, 39, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_agreements(*, people: dict[str, Any], creditor: Any) -> str:
    now = timezone.now()
    agent, supervisor = people["agent1"], people["supervisor"]
    visited = Case.objects.filter(
        creditor=creditor, stage=Stage.FOLLOW_UP, visits__outcome="promise_to_pay"
    ).first()
    if visited is not None:
        services.follow_up_plan(
            case=visited,
            actor=agent,
            capacity="low",
            willingness="medium",
            assessment_note="Income down this year; a first payment promised.",
            short_goal="First payment as promised",
            short_goal_amount=Decimal("1000.00"),
            short_goal_date=timezone.localdate() + dt.timedelta(days=18),
            next_action="wait",
            due_on=timezone.localdate() + dt.timedelta(days=19),
            owner=agent,
        )
    services.promises_track(now=now)
    case = (
        Case.objects.filter(creditor=creditor, stage=Stage.VERIFIED, currency="CNY", assignments__agent=agent)
        .exclude(visits__isnull=False)
        .order_by("pk")
        .first()
    )
    if case is None:
        return "no verified case left for a demo agreement"
    month_ago = now - dt.timedelta(days=30)
    owed = case.outstanding
    agreement: Agreement = services.agreement_draft(
        case=case,
        actor=agent,
        kind="instalments",
        total=owed,
        first_due_date=(month_ago + dt.timedelta(days=10)).date(),
        instalment_count=6,
        frequency="monthly",
        method="bank_transfer",
        method_note="Transfer to the creditor's collection account, quoting the contract number.",
        stated_income=Decimal("9000.00"),
        stated_expenses=Decimal("5500.00"),
        debtor_requested_terms=True,
        now=month_ago,
    )
    services.agreement_sign(
        agreement=agreement,
        actor=agent,
        idempotency_key=uuid.uuid4().hex,
        debtor_signature=demo_signature("debtor"),
        agent_signature=demo_signature("agent"),
        witness_name="Chen Jing 陈静",
        witness_signature=demo_signature("witness"),
        debtor_understood=True,
        now=month_ago,
    )
    first = agreement.instalments.order_by("number").first()
    services.payment_record(
        case=case,
        actor=supervisor,
        amount=first.amount,
        currency=case.currency,
        paid_on=first.due_date,
        method="bank_transfer",
        reference=f"DEMO-PAY-{case.pk}-1",
        now=now,
    )
    return f"agreement {agreement.number} signed, first instalment paid; follow-up planned"
