"""Affordability, limitation and the debtor's flags as pure checks of an agreement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from compliance.rules.agreements import AgreementFacts, AgreementParams, check_agreement, monthly_burden

PARAMS = AgreementParams(max_instalment_share=Decimal("0.50"), limitation_years=3)
FACTS = AgreementFacts(
    instalments=(Decimal("1000.00"),) * 6,
    frequency="monthly",
    currency="CNY",
    stated_income=Decimal("9000.00"),
    stated_expenses=Decimal("7000.00"),  # disposable 2,000: 50% is 1,000
    debtor_requested=False,
    dispute_open=False,
    contact_ceased=False,
    represented=False,
    overdue_since=dt.date(2026, 1, 1),
    last_demand_on=None,
    today=dt.date(2026, 11, 23),
)


def codes(moment: str = "sign", **changes) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (f.code, f.level)
        for f in check_agreement(moment=moment, facts=dataclasses.replace(FACTS, **changes), params=PARAMS)
    ]


def test_an_instalment_at_exactly_the_share_passes():
    assert codes() == []


def test_one_cent_above_the_share_refuses_unless_the_debtor_asked_for_it():
    above = (Decimal("1000.01"),) * 6

    assert codes(instalments=above) == [("AFFORDABILITY", "refuse")]
    assert codes(instalments=above, debtor_requested=True) == [("AFFORDABILITY", "warn")]


def test_weekly_instalments_are_counted_per_month():
    weekly = dataclasses.replace(FACTS, instalments=(Decimal("240.00"),) * 20, frequency="weekly")

    assert monthly_burden(weekly) == Decimal("240.00") * 52 / 12
    assert codes(instalments=weekly.instalments, frequency="weekly") == [("AFFORDABILITY", "refuse")]


def test_no_disposable_income_makes_any_instalment_unaffordable():
    assert codes(stated_expenses=Decimal("9500.00")) == [("AFFORDABILITY", "refuse")]


def test_income_and_expenses_must_be_stated():
    assert codes(stated_income=None) == [("AFFORDABILITY", "refuse")]


@pytest.mark.parametrize(
    ("flag", "code"),
    [("dispute_open", "DISPUTE_OPEN"), ("contact_ceased", "CEASE_CONTACT"), ("represented", "REPRESENTED")],
)
def test_the_debtors_flags_refuse(flag, code):
    assert codes(**{flag: True}) == [(code, "refuse")]


def test_a_time_barred_debt_warns_at_signing_and_refuses_a_legal_threat():
    barred = {"overdue_since": dt.date(2023, 11, 22)}  # three years and a day before today

    assert codes(**barred) == [("LIMITATION", "warn")]
    assert codes("legal_threat", **barred) == [("LIMITATION", "refuse")]
    assert codes("legal_threat", overdue_since=dt.date(2023, 11, 23)) == []  # the last day of the period


def test_a_single_payment_is_not_judged_against_monthly_income():
    assert codes(instalments=(Decimal("8000.00"),)) == []
