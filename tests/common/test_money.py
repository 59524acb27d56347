"""Money is Decimal, rounded half-up to the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.money import format_money, round_money


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("8200.505", "8200.51"),
        ("8200.504", "8200.50"),
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("12", "12.00"),
    ],
)
def test_round_half_up(amount, rounded):
    assert round_money(Decimal(amount), "CNY") == Decimal(rounded)


def test_format_money():
    assert format_money(Decimal("1234567.5"), "CNY") == "CNY 1,234,567.50"
    assert format_money(None, "CNY") == ""
