"""Repayment schedules as pure functions: due dates, equal instalments to the cent, hand-edited schedules.

Money is Decimal in the currency's minor unit. Equal instalments are computed in minor units: the total
is divided by the number of instalments and the remainder (a few cents) goes to the last instalments,
one minor unit each, so every instalment differs from the others by at most one cent and the schedule
always sums to the total exactly (no rounding is needed: every amount is a whole number of cents).
Monthly due dates keep the first date's day of the month, or the month's last day when it is shorter
(31 January → 28/29 February → 31 March).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from common.errors import Failure
from common.money import MINOR_UNITS, quantum

SOURCE = _("FieldLedger repayment agreement rules")
FREQUENCIES = ("weekly", "fortnightly", "monthly")
MAX_INSTALMENTS = 120


@dataclass(frozen=True)
class Line:
    number: int
    due_date: dt.date
    amount: Decimal


def add_months(day: dt.date, months: int, *, anchor_day: int | None = None) -> dt.date:
    """`day` moved by `months`, on `anchor_day` (default: `day.day`) or the month's last day."""
    anchor = anchor_day or day.day
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def due_dates(first: dt.date, count: int, frequency: str) -> list[dt.date]:
    if frequency == "weekly":
        return [first + dt.timedelta(weeks=i) for i in range(count)]
    if frequency == "fortnightly":
        return [first + dt.timedelta(weeks=2 * i) for i in range(count)]
    if frequency == "monthly":
        return [add_months(first, i, anchor_day=first.day) for i in range(count)]
    raise ValueError(f"unknown frequency {frequency!r}")


def _minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(MINOR_UNITS.get(currency, 2)))


def _major(units: int, currency: str) -> Decimal:
    return (Decimal(units).scaleb(-MINOR_UNITS.get(currency, 2))).quantize(quantum(currency))


def equal_amounts(total: Decimal, count: int, currency: str) -> list[Decimal]:
    """`count` amounts that sum to `total` exactly, the later ones one minor unit larger if needed."""
    units = _minor(total, currency)
    base, remainder = divmod(units, count)
    return [_major(base + (1 if i >= count - remainder else 0), currency) for i in range(count)]


def equal_schedule(
    *, total: Decimal, currency: str, first_due: dt.date, count: int, frequency: str
) -> list[Line]:
    amounts = equal_amounts(total, count, currency)
    return [
        Line(i + 1, day, amount)
        for i, (day, amount) in enumerate(zip(due_dates(first_due, count, frequency), amounts, strict=True))
    ]


def _fail(code: str, message: object, field: str) -> Failure:
    return Failure(code, message, SOURCE, field)  # type: ignore[arg-type]


def terms_problems(
    *,
    total: Decimal | None,
    currency: str,
    first_due: dt.date | None,
    count: int | None,
    frequency: str,
    today: dt.date,
) -> list[Failure]:
    """What is wrong with the terms of an equal schedule (before any schedule is computed)."""
    failures: list[Failure] = []
    if total is None or not total.is_finite() or total <= 0:
        failures.append(_fail("AMOUNT_INVALID", _("The total must be more than zero."), "total"))
    elif total != total.quantize(quantum(currency)):
        failures.append(
            _fail(
                "AMOUNT_INVALID",
                _("The total has more decimals than %(c)s allows.") % {"c": currency},
                "total",
            )
        )
    if first_due is None:
        failures.append(_fail("FIELD_REQUIRED", _("Give the first due date."), "first_due"))
    elif first_due < today:
        failures.append(_fail("DATE_INVALID", _("The first due date cannot be in the past."), "first_due"))
    if count is None or not 1 <= count <= MAX_INSTALMENTS:
        failures.append(
            _fail(
                "COUNT_INVALID",
                _("The number of instalments must be between 1 and %(n)d.") % {"n": MAX_INSTALMENTS},
                "count",
            )
        )
    elif total is not None and total > 0 and _minor(total, currency) < count:
        failures.append(
            _fail(
                "COUNT_INVALID", _("Each instalment must be at least one cent: fewer instalments."), "count"
            )
        )
    if frequency not in FREQUENCIES:
        failures.append(_fail("FIELD_REQUIRED", _("Choose how often the instalments fall due."), "frequency"))
    return failures


def schedule_problems(
    *, lines: Sequence[Line], total: Decimal, currency: str, today: dt.date
) -> list[Failure]:
    """A (possibly hand-edited) schedule: positive amounts in the minor unit, strictly later dates, not
    in the past, summing to the total to the cent."""
    failures: list[Failure] = []
    if not lines:
        return [_fail("SCHEDULE_EMPTY", _("The schedule has no instalment."), "schedule")]
    q = quantum(currency)
    for line in lines:
        if line.amount <= 0 or line.amount != line.amount.quantize(q):
            failures.append(
                _fail(
                    "AMOUNT_INVALID",
                    _("Instalment %(n)d: the amount must be more than zero, in %(c)s cents.")
                    % {"n": line.number, "c": currency},
                    "schedule",
                )
            )
    days = [line.due_date for line in lines]
    if days[0] < today:
        failures.append(_fail("DATE_INVALID", _("The first due date cannot be in the past."), "schedule"))
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        failures.append(
            _fail("DATE_INVALID", _("Each due date must be later than the one before."), "schedule")
        )
    scheduled = sum((line.amount for line in lines), Decimal(0))
    if scheduled != total:
        failures.append(
            _fail(
                "SCHEDULE_SUM",
                _("The instalments add up to %(sum)s, not the total %(total)s.")
                % {"sum": scheduled, "total": total},
                "schedule",
            )
        )
    return failures
