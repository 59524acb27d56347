"""Repayment schedules, property-tested: they always sum to the total to the cent, their dates always
rise, amounts differ by at most one cent, monthly dates keep their day (or the month's last day)."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from agreements import schedule

totals = st.integers(min_value=1, max_value=10**11).map(lambda cents: Decimal(cents).scaleb(-2))
counts = st.integers(min_value=1, max_value=schedule.MAX_INSTALMENTS)
firsts = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2040, 12, 31))
frequencies = st.sampled_from(schedule.FREQUENCIES)


@given(total=totals, count=counts, first=firsts, frequency=frequencies)
def test_an_equal_schedule_sums_to_the_total_exactly(total, count, first, frequency):
    if int(total * 100) < count:
        return  # refused by terms_problems: fewer cents than instalments
    lines = schedule.equal_schedule(
        total=total, currency="CNY", first_due=first, count=count, frequency=frequency
    )

    assert sum(line.amount for line in lines) == total
    assert len(lines) == count
    assert [line.number for line in lines] == list(range(1, count + 1))
    assert max(line.amount for line in lines) - min(line.amount for line in lines) <= Decimal("0.01")
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) and line.amount > 0 for line in lines)
    assert all(b.due_date > a.due_date for a, b in itertools.pairwise(lines))
    assert schedule.schedule_problems(lines=lines, total=total, currency="CNY", today=first) == []


@given(first=firsts, count=st.integers(min_value=1, max_value=60))
def test_monthly_dates_keep_the_day_or_take_the_months_last(first, count):
    for index, day in enumerate(schedule.due_dates(first, count, "monthly")):
        last = calendar.monthrange(day.year, day.month)[1]
        assert day.day == min(first.day, last)
        assert (day.year * 12 + day.month) - (first.year * 12 + first.month) == index


def test_31_january_falls_on_the_last_day_of_february_then_back_on_31():
    days = schedule.due_dates(dt.date(2027, 1, 31), 3, "monthly")

    assert days == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]


def test_the_remainder_goes_to_the_last_instalments():
    assert schedule.equal_amounts(Decimal("100.00"), 3, "CNY") == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]
    assert schedule.equal_amounts(Decimal("0.05"), 4, "CNY") == [
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.02"),
    ]


@given(total=totals, edits=st.lists(st.integers(min_value=-500, max_value=500), min_size=2, max_size=12))
def test_a_hand_edited_schedule_must_still_sum_to_the_total(total, edits):
    lines = schedule.equal_schedule(
        total=total, currency="CNY", first_due=dt.date(2027, 1, 1), count=len(edits), frequency="weekly"
    )
    if any(line.amount <= Decimal("5.00") for line in lines):
        return
    moved = [
        schedule.Line(line.number, line.due_date, line.amount + Decimal(cents).scaleb(-2))
        for line, cents in zip(lines, edits, strict=True)
    ]

    problems = schedule.schedule_problems(lines=moved, total=total, currency="CNY", today=dt.date(2027, 1, 1))

    assert ("SCHEDULE_SUM" in [p.code for p in problems]) == (sum(edits) != 0)


def test_refused_terms_name_their_fields():
    problems = schedule.terms_problems(
        total=Decimal("0.001"),
        currency="CNY",
        first_due=dt.date(2026, 1, 1),
        count=0,
        frequency="daily",
        today=dt.date(2026, 6, 1),
    )

    assert {(p.code, p.field) for p in problems} == {
        ("AMOUNT_INVALID", "total"),
        ("DATE_INVALID", "first_due"),
        ("COUNT_INVALID", "count"),
        ("FIELD_REQUIRED", "frequency"),
    }


def test_more_instalments_than_cents_is_refused():
    problems = schedule.terms_problems(
        total=Decimal("0.05"),
        currency="CNY",
        first_due=dt.date(2027, 1, 1),
        count=6,
        frequency="weekly",
        today=dt.date(2026, 6, 1),
    )

    assert [p.code for p in problems] == ["COUNT_INVALID"]
