"""Phone-call warnings: hours in every debtor zone, unanswered calls per number per day, conversations
per day, calls per 7 days — each at and just across its cap. Pure: no database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from compliance.rules.contacts import PhoneAttempt, PhoneLimits, check_phone_call

SH = ZoneInfo("Asia/Shanghai")
CN = PhoneLimits(
    unanswered_per_day=6,
    connected_per_day=3,
    calls_per_7_days=42,
    window_start=dt.time(8),
    window_end=dt.time(22),
)


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def calls(n: int, result: str, number: str = "A", day: int = 23) -> tuple[PhoneAttempt, ...]:
    return tuple(PhoneAttempt(at=at(9, i, day), result=result, phone_digest=number) for i in range(n))


def codes(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    defaults = {"result": "no_answer", "phone_digest": "A", "earlier": (), "time_zones": ("Asia/Shanghai",)}
    return [f.code for f in check_phone_call(limits=CN, **{**defaults, **kwargs})]


@pytest.mark.parametrize(
    ("hour", "minute", "warned"), [(7, 59, True), (8, 0, False), (21, 59, False), (22, 0, True)]
)
def test_hours_are_judged_at_the_boundaries(hour, minute, warned):
    assert ("CONTACT_WINDOW" in codes(at=at(hour, minute))) is warned


def test_hours_are_judged_in_every_zone_of_the_debtor():
    ny_9am = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    limits = PhoneLimits(1, 1, 7, dt.time(8), dt.time(21))
    found = check_phone_call(
        at=ny_9am,
        result="connected",
        phone_digest="A",
        earlier=(),
        time_zones=("America/New_York", "America/Los_Angeles"),
        limits=limits,
    )
    assert [f.code for f in found] == ["CONTACT_WINDOW"]  # 06:00 in Los Angeles


def test_the_sixth_unanswered_call_to_a_number_is_fine_the_seventh_is_warned():
    assert codes(at=at(10), earlier=calls(5, "no_answer")) == []
    assert codes(at=at(10), earlier=calls(6, "no_answer")) == ["PHONE_ATTEMPTS"]


def test_unanswered_calls_count_per_number_and_per_local_day():
    assert codes(at=at(10), earlier=calls(6, "no_answer", number="B")) == []
    assert codes(at=at(10), earlier=calls(6, "no_answer", day=22)) == []


def test_the_fourth_conversation_of_the_day_is_warned():
    assert codes(at=at(10), result="connected", earlier=calls(2, "connected")) == []
    assert codes(at=at(10), result="connected", earlier=calls(3, "connected")) == ["PHONE_ATTEMPTS"]


def test_calls_per_seven_days():
    limits = PhoneLimits(99, 99, 7, dt.time(8), dt.time(22))
    earlier = tuple(
        PhoneAttempt(at=at(10, 0, 16 + i), result="connected", phone_digest="A") for i in range(7)
    )

    def week(now: dt.datetime) -> list[str]:
        found = check_phone_call(
            at=now,
            result="connected",
            phone_digest="A",
            earlier=earlier,
            time_zones=("Asia/Shanghai",),
            limits=limits,
        )
        return [f.code for f in found]

    # calls on the 16th..22nd at 10:00: on the 23rd at 10:00 the one of the 16th is exactly 7 days old
    assert week(at(10, 0, 23)) == []
    assert week(at(9, 59, 23)) == ["PHONE_ATTEMPTS"]


def test_warnings_never_refuse():
    found = check_phone_call(
        at=at(23),
        result="no_answer",
        phone_digest="A",
        earlier=calls(9, "no_answer"),
        time_zones=("Asia/Shanghai",),
        limits=CN,
    )
    assert {f.level for f in found} == {"warn"}
    assert all(f.source and str(f.message) for f in found)
