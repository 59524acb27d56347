"""The closing report's labels and amounts: money with its currency's decimals, a settled balance said
to be forgiven, "Built at (UTC)" really in UTC, the closure's local time labelled with its zone, and
products by their label (not `consumer_loan`)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from decimal import Decimal

import pytest

from agreements import services
from agreements.models import ClosureReason
from tests.agreements.conftest import NOW, sign, terms
from tests.agreements.test_closure import TODAY, close

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)"),
]


def text_of(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        out = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return " ".join(out.stdout.split())


def test_a_settled_case_says_what_was_forgiven_with_cents_and_zones(owing, agent, supervisor):
    settlement = services.agreement_draft(
        case=owing, actor=agent, **terms(kind="lump_sum", total=Decimal("7500.00"))
    )
    sign(settlement, agent)
    services.payment_record(
        case=owing,
        actor=supervisor,
        amount=Decimal("7500"),
        currency="CNY",
        paid_on=TODAY,
        method="bank_transfer",
        reference="SETTLE",
        now=NOW,
    )

    closure = close(owing, supervisor, reason=ClosureReason.SETTLED, now=NOW + dt.timedelta(hours=1))

    text = text_of(closure.report.read())
    assert "Paid in total CNY 7,500.00" in text
    assert "Outstanding when placed CNY 8,200.50" in text
    assert "Balance at closure CNY 700.50 · forgiven under the settlement: not owed any more" in text
    built_utc = (NOW + dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    assert f"Built at (UTC) {built_utc}" in text
    assert "(Asia/Shanghai)" in text
    assert "consumer_loan" not in text
    assert "Consumer loan" in text
