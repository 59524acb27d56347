"""Agreement fixtures: a verified case of the `team` owing CNY 8,200.50, the clock at Monday
2026-11-23 09:00 in Shanghai (CN pack: instalments up to 50% of disposable income, reminders 3 days
before, broken after 15 days overdue, promises broken 3 days after their date)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image, ImageDraw

from agreements import services
from agreements.models import Agreement
from cases import services as case_services
from tests.factories import TODAY, make_verifiable
from tests.visits.factories import local

NOW = local(2026, 11, 23, 9)
OWED = Decimal("8200.50")


def signature_png(seed: int = 1) -> bytes:
    image = Image.new("RGBA", (240, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line(
        [(10, 40 + seed), (60, 70), (120, 20), (200, 60)], fill=(0, 0, 0, 255), width=3
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (240, 90), (255, 255, 255, 0)).save(out, "PNG")
    return out.getvalue()


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def owing(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    case.refresh_from_db()
    return case


def terms(**changes: Any) -> dict[str, Any]:
    """Six monthly instalments of the whole balance, affordable (disposable income 4,000)."""
    return {
        "kind": "instalments",
        "total": OWED,
        "first_due_date": dt.date(2026, 12, 15),
        "instalment_count": 6,
        "frequency": "monthly",
        "method": "bank_transfer",
        "stated_income": Decimal("9000.00"),
        "stated_expenses": Decimal("5000.00"),
        "now": NOW,
        **changes,
    }


@pytest.fixture
def draft(owing, agent) -> Agreement:  # type: ignore[no-untyped-def]
    return services.agreement_draft(case=owing, actor=agent, **terms())


def sign(agreement: Agreement, actor, **changes: Any) -> Agreement:  # type: ignore[no-untyped-def]
    values = {
        "agreement": agreement,
        "actor": actor,
        "idempotency_key": key(),
        "debtor_signature": signature_png(1),
        "agent_signature": signature_png(2),
        "witness_name": "Chen Jing",
        "witness_signature": signature_png(3),
        "debtor_understood": True,
        "now": NOW + dt.timedelta(minutes=10),
        **changes,
    }
    return services.agreement_sign(**values)


@pytest.fixture
def active(draft, agent) -> Agreement:  # type: ignore[no-untyped-def]
    sign(draft, agent)
    draft.refresh_from_db()
    return draft


# The visit fixtures (a visit made on the `case`, to test promises and agreements after a visit).
from tests.visits.conftest import (  # noqa: E402, F401
    approved_visit,
    home,
    identified,
    notified,
    on_site,
    plan,
    planned,
    talked,
    verified_case,
)
