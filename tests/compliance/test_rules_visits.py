"""The visit checks at and just across every boundary: pure, no database, no clock.

The packs are built by hand from the values shipped in migration 0004 (COMPLIANCE.md), so a change to
a shipped value does not silently move these boundaries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from compliance.rules import (
    CHECKS,
    CHECKS_BY_MOMENT,
    AgentFacts,
    CaseFacts,
    MandateFacts,
    PackParams,
    VisitFacts,
    check_visit,
)

UTC = dt.UTC
OVERRIDABLE = frozenset({"NOTICE_LEAD_TIME", "VISIT_FREQUENCY", "VISIT_REFUSED", "VULNERABLE"})
CN = PackParams(
    code="cn-default",
    version=1,
    jurisdiction="CN",
    contact_window_start=dt.time(8),
    contact_window_end=dt.time(22),
    min_agents=2,
    notice_required=True,
    notice_lead_hours=24,
    visit_cap=2,
    visit_cap_window_days=7,
    limitation_years=3,
    overridable=OVERRIDABLE,
)
US = PackParams(
    code="us",
    version=1,
    jurisdiction="US",
    contact_window_start=dt.time(8),
    contact_window_end=dt.time(21),
    min_agents=1,
    notice_required=False,
    notice_lead_hours=0,
    visit_cap=1,
    visit_cap_window_days=30,
    limitation_years=3,
    overridable=OVERRIDABLE,
)
UK = PackParams(
    code="uk",
    version=1,
    jurisdiction="UK",
    contact_window_start=dt.time(8),
    contact_window_end=dt.time(21),
    min_agents=1,
    notice_required=True,
    notice_lead_hours=48,
    visit_cap=2,
    visit_cap_window_days=30,
    limitation_years=6,
    overridable=OVERRIDABLE,
)
SHANGHAI, NEW_YORK, LOS_ANGELES, LONDON = (
    "Asia/Shanghai",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
)


def at(y: int, m: int, d: int, h: int, mi: int = 0, zone: str = SHANGHAI) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo(zone))


def utc(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=UTC)


def agent(agent_id: int = 1, **changes) -> AgentFacts:  # type: ignore[no-untyped-def]
    values = {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "work_id_number": f"WID-{agent_id:05d}",
        "work_id_expires_on": dt.date(2027, 6, 30),
        "training_completed_on": dt.date(2026, 1, 10),
        "training_valid_until": dt.date(2027, 1, 10),
    }
    return AgentFacts(**{**values, **changes})


MANDATE = MandateFacts(
    number="M-2026-0001", creditor_id=1, valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31)
)
NOW = at(2026, 11, 23, 10)


def facts(**changes) -> VisitFacts:  # type: ignore[no-untyped-def]
    """A visit every check allows under the CN pack: Thursday 26 November 2026, 10:00–12:00 Shanghai."""
    values = {
        "window_start": at(2026, 11, 26, 10),
        "window_end": at(2026, 11, 26, 12),
        "time_zones": (SHANGHAI,),
        "agents": (agent(1), agent(2)),
        "address_kind": "home",
        "address_verified": True,
        "case": CaseFacts(creditor_id=1, product="consumer_loan"),
        "mandate": MANDATE,
        "overdue_since": dt.date(2026, 8, 25),
        "notice_given_at": at(2026, 11, 24, 9),
    }
    return VisitFacts(**{**values, **changes})


def codes(code: str, f: VisitFacts, pack: PackParams = CN, now: dt.datetime = NOW) -> list[str]:
    return [failure.code for failure in check_visit(moment="plan", facts=f, pack=pack, now=now, only=[code])]


def window(start: dt.datetime, end: dt.datetime, zones: tuple[str, ...] = (SHANGHAI,), **more) -> VisitFacts:  # type: ignore[no-untyped-def]
    return facts(window_start=start, window_end=end, time_zones=zones, **more)


def test_the_baseline_visit_passes_every_check_at_every_moment():
    for moment in CHECKS_BY_MOMENT:
        assert check_visit(moment=moment, facts=facts(), pack=CN, now=NOW) == []


def test_every_moment_names_known_checks():
    assert {code for moment in CHECKS_BY_MOMENT.values() for code in moment} <= set(CHECKS)


# --- CONTACT_WINDOW: a planned window -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((7, 59), (10, 0), ["CONTACT_WINDOW"]),
        ((8, 0), (10, 0), []),
        ((20, 0), (22, 0), []),  # a window may end exactly at closing time
        ((20, 0), (22, 1), ["CONTACT_WINDOW"]),
        ((8, 0), (22, 0), []),
    ],
)
def test_cn_planned_window_boundaries(start, end, expected):
    f = window(at(2026, 11, 26, *start), at(2026, 11, 26, *end))
    assert codes("CONTACT_WINDOW", f) == expected


@pytest.mark.parametrize(("pack", "zone"), [(US, NEW_YORK), (UK, LONDON)])
@pytest.mark.parametrize(("end", "expected"), [((21, 0), []), ((21, 1), ["CONTACT_WINDOW"])])
def test_us_and_uk_windows_close_at_21(pack, zone, end, expected):
    f = window(at(2026, 11, 26, 19, zone=zone), at(2026, 11, 26, *end, zone=zone), (zone,))
    assert codes("CONTACT_WINDOW", f, pack) == expected


@pytest.mark.parametrize(("pack", "zone"), [(US, NEW_YORK), (UK, LONDON)])
@pytest.mark.parametrize(("start", "expected"), [((7, 59), ["CONTACT_WINDOW"]), ((8, 0), [])])
def test_us_and_uk_windows_open_at_8(pack, zone, start, expected):
    f = window(at(2026, 11, 26, *start, zone=zone), at(2026, 11, 26, 10, zone=zone), (zone,))
    assert codes("CONTACT_WINDOW", f, pack) == expected


def test_a_window_over_midnight_is_refused_even_inside_the_hours_of_each_end():
    f = window(at(2026, 11, 26, 21), at(2026, 11, 27, 9))
    assert codes("CONTACT_WINDOW", f) == ["CONTACT_WINDOW"]


# --- CONTACT_WINDOW: an instant (notice, check-in) ------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [((7, 59), ["CONTACT_WINDOW"]), ((8, 0), []), ((21, 59), []), ((22, 0), ["CONTACT_WINDOW"])],
)
def test_cn_instant_boundaries(instant, expected):
    assert codes("CONTACT_WINDOW", facts(at=at(2026, 11, 26, *instant))) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [((7, 59), ["CONTACT_WINDOW"]), ((8, 0), []), ((20, 59), []), ((21, 0), ["CONTACT_WINDOW"])],
)
def test_us_instant_boundaries(instant, expected):
    f = facts(time_zones=(NEW_YORK,), at=at(2026, 11, 26, *instant, zone=NEW_YORK))
    assert codes("CONTACT_WINDOW", f, US) == expected


def test_an_instant_is_judged_in_the_debtors_zone_not_utc():
    # 00:00 UTC is 08:00 in Shanghai: allowed; 23:59 UTC the day before is 07:59: refused.
    assert codes("CONTACT_WINDOW", facts(at=utc(2026, 11, 26, 0))) == []
    assert codes("CONTACT_WINDOW", facts(at=utc(2026, 11, 25, 23, 59))) == ["CONTACT_WINDOW"]


# --- CONTACT_WINDOW: every zone linked to the debtor (Reg F 1006.6(b)(1)(i)) -----------------------


def test_a_new_york_morning_is_too_early_in_los_angeles():
    f = window(at(2026, 11, 26, 8, 30, NEW_YORK), at(2026, 11, 26, 10, 0, NEW_YORK), (NEW_YORK, LOS_ANGELES))
    failures = check_visit(moment="plan", facts=f, pack=US, now=NOW, only=["CONTACT_WINDOW"])
    assert [x.code for x in failures] == ["CONTACT_WINDOW"]
    assert LOS_ANGELES in str(failures[0].message)
    assert "05:30" in str(failures[0].message)


def test_a_window_inside_both_zones_is_allowed():
    # 11:00–13:00 New York is 08:00–10:00 Los Angeles.
    f = window(at(2026, 11, 26, 11, 0, NEW_YORK), at(2026, 11, 26, 13, 0, NEW_YORK), (NEW_YORK, LOS_ANGELES))
    assert codes("CONTACT_WINDOW", f, US) == []


def test_an_evening_in_los_angeles_is_too_late_in_new_york():
    # 18:00–18:01 Los Angeles is 21:00–21:01 New York.
    f = window(
        at(2026, 11, 26, 17, 0, LOS_ANGELES), at(2026, 11, 26, 18, 1, LOS_ANGELES), (NEW_YORK, LOS_ANGELES)
    )
    assert codes("CONTACT_WINDOW", f, US) == ["CONTACT_WINDOW"]
    f = window(
        at(2026, 11, 26, 17, 0, LOS_ANGELES), at(2026, 11, 26, 18, 0, LOS_ANGELES), (NEW_YORK, LOS_ANGELES)
    )
    assert codes("CONTACT_WINDOW", f, US) == []


def test_an_instant_is_judged_in_every_zone():
    f = facts(time_zones=(NEW_YORK, LOS_ANGELES), at=at(2026, 11, 26, 10, 59, NEW_YORK))
    assert codes("CONTACT_WINDOW", f, US) == ["CONTACT_WINDOW"]  # 07:59 in Los Angeles
    f = facts(time_zones=(NEW_YORK, LOS_ANGELES), at=at(2026, 11, 26, 11, 0, NEW_YORK))
    assert codes("CONTACT_WINDOW", f, US) == []


def test_an_unknown_zone_is_never_a_silent_pass():
    assert codes("CONTACT_WINDOW", facts(time_zones=())) == ["CONTACT_WINDOW"]


# --- CONTACT_WINDOW across DST changes: local wall-clock time decides -----------------------------


@pytest.mark.parametrize(
    ("start_utc", "end_utc", "expected"),
    [
        # New York, DST starts Sunday 8 March 2026 (EST UTC-5 → EDT UTC-4).
        (utc(2026, 3, 7, 12, 59), utc(2026, 3, 7, 15), ["CONTACT_WINDOW"]),  # Sat 07:59 EST
        (utc(2026, 3, 7, 13, 0), utc(2026, 3, 7, 15), []),  # Sat 08:00 EST
        (utc(2026, 3, 8, 11, 59), utc(2026, 3, 8, 14), ["CONTACT_WINDOW"]),  # Sun 07:59 EDT
        (utc(2026, 3, 8, 12, 0), utc(2026, 3, 8, 14), []),  # Sun 08:00 EDT: an hour earlier in UTC
        (utc(2026, 3, 8, 23, 0), utc(2026, 3, 9, 1, 0), []),  # Sun 19:00–21:00 EDT
        (utc(2026, 3, 8, 23, 0), utc(2026, 3, 9, 1, 1), ["CONTACT_WINDOW"]),  # ends 21:01 EDT
        # New York, DST ends Sunday 1 November 2026 (EDT → EST).
        (utc(2026, 10, 31, 12, 0), utc(2026, 10, 31, 14), []),  # Sat 08:00 EDT
        (utc(2026, 11, 1, 12, 59), utc(2026, 11, 1, 15), ["CONTACT_WINDOW"]),  # Sun 07:59 EST
        (utc(2026, 11, 1, 13, 0), utc(2026, 11, 1, 15), []),  # Sun 08:00 EST: an hour later in UTC
        (utc(2026, 11, 1, 23, 0), utc(2026, 11, 2, 2, 0), []),  # Sun 18:00–21:00 EST
        (utc(2026, 11, 1, 23, 0), utc(2026, 11, 2, 2, 1), ["CONTACT_WINDOW"]),  # ends 21:01 EST
    ],
)
def test_us_dst(start_utc, end_utc, expected):
    assert codes("CONTACT_WINDOW", window(start_utc, end_utc, (NEW_YORK,)), US) == expected


@pytest.mark.parametrize(
    ("start_utc", "end_utc", "expected"),
    [
        # London, BST starts Sunday 29 March 2026 (GMT UTC+0 → BST UTC+1).
        (utc(2026, 3, 28, 7, 59), utc(2026, 3, 28, 10), ["CONTACT_WINDOW"]),  # Sat 07:59 GMT
        (utc(2026, 3, 28, 8, 0), utc(2026, 3, 28, 10), []),
        (utc(2026, 3, 29, 6, 59), utc(2026, 3, 29, 9), ["CONTACT_WINDOW"]),  # Sun 07:59 BST
        (utc(2026, 3, 29, 7, 0), utc(2026, 3, 29, 9), []),  # Sun 08:00 BST
        (utc(2026, 3, 29, 18, 0), utc(2026, 3, 29, 20, 0), []),  # ends 21:00 BST
        (utc(2026, 3, 29, 18, 0), utc(2026, 3, 29, 20, 1), ["CONTACT_WINDOW"]),
        # London, BST ends Sunday 25 October 2026.
        (utc(2026, 10, 24, 18, 0), utc(2026, 10, 24, 20, 0), []),  # Sat ends 21:00 BST
        (utc(2026, 10, 24, 18, 0), utc(2026, 10, 24, 20, 1), ["CONTACT_WINDOW"]),
        (utc(2026, 10, 25, 7, 59), utc(2026, 10, 25, 10), ["CONTACT_WINDOW"]),  # Sun 07:59 GMT
        (utc(2026, 10, 25, 8, 0), utc(2026, 10, 25, 10), []),
        (utc(2026, 10, 25, 19, 0), utc(2026, 10, 25, 21, 0), []),  # Sun ends 21:00 GMT
        (utc(2026, 10, 25, 19, 0), utc(2026, 10, 25, 21, 1), ["CONTACT_WINDOW"]),
    ],
)
def test_uk_dst(start_utc, end_utc, expected):
    assert codes("CONTACT_WINDOW", window(start_utc, end_utc, (LONDON,)), UK) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [(utc(2026, 3, 8, 11, 59), ["CONTACT_WINDOW"]), (utc(2026, 3, 8, 12, 0), [])],
)
def test_an_instant_on_the_us_dst_day(instant, expected):
    assert codes("CONTACT_WINDOW", facts(time_zones=(NEW_YORK,), at=instant), US) == expected


def test_hours_consent_bypasses_the_window_for_plans_and_instants():
    early = window(at(2026, 11, 26, 6), at(2026, 11, 26, 7), hours_consent=True)
    assert codes("CONTACT_WINDOW", early) == []
    assert codes("CONTACT_WINDOW", facts(at=at(2026, 11, 26, 23), hours_consent=True)) == []
    assert codes("CONTACT_WINDOW", dataclasses.replace(early, hours_consent=False)) == ["CONTACT_WINDOW"]


# --- MIN_AGENTS ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pack", "agents", "expected"),
    [
        (CN, (agent(1),), ["MIN_AGENTS"]),
        (CN, (agent(1), agent(2)), []),
        (CN, (agent(1), agent(1)), ["MIN_AGENTS"]),  # the same agent named twice is one agent
        (US, (), ["MIN_AGENTS"]),
        (US, (agent(1),), []),
    ],
)
def test_min_agents_named(pack, agents, expected):
    assert codes("MIN_AGENTS", facts(agents=agents), pack) == expected


@pytest.mark.parametrize(
    ("checked_in", "expected"),
    [
        ((1,), ["MIN_AGENTS"]),
        ((1, 2), []),
        ((1, 1), ["MIN_AGENTS"]),
        ((1, 99), ["MIN_AGENTS"]),  # 99 is not an agent of this visit
        ((), ["MIN_AGENTS"]),
    ],
)
def test_min_agents_checked_in(checked_in, expected):
    assert codes("MIN_AGENTS", facts(checked_in_agents=checked_in)) == expected


# --- AGENT_QUALIFIED (dates are the visit's local date) ---------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"work_id_expires_on": dt.date(2026, 11, 25)}, ["AGENT_QUALIFIED"]),  # the day before the visit
        ({"work_id_expires_on": dt.date(2026, 11, 26)}, []),  # valid through the visit's day
        ({"work_id_expires_on": None}, ["AGENT_QUALIFIED"]),
        ({"work_id_number": ""}, ["AGENT_QUALIFIED"]),
        ({"training_valid_until": dt.date(2026, 11, 25)}, ["AGENT_QUALIFIED"]),
        ({"training_valid_until": dt.date(2026, 11, 26)}, []),
        ({"training_completed_on": dt.date(2026, 11, 27)}, ["AGENT_QUALIFIED"]),  # not trained yet
        ({"training_completed_on": dt.date(2026, 11, 26)}, []),
        ({"training_completed_on": None}, ["AGENT_QUALIFIED"]),
    ],
)
def test_agent_qualified_boundaries(changes, expected):
    assert codes("AGENT_QUALIFIED", facts(agents=(agent(1), agent(2, **changes)))) == expected


def test_agent_qualified_uses_the_debtor_local_date():
    # 00:30 on 26 November in Shanghai is still 25 November in UTC: a work ID ending on the 25th is expired.
    f = window(
        at(2026, 11, 26, 0, 30),
        at(2026, 11, 26, 2),
        agents=(agent(1), agent(2, work_id_expires_on=dt.date(2026, 11, 25))),
    )
    failures = check_visit(moment="plan", facts=f, pack=CN, now=NOW, only=["AGENT_QUALIFIED"])
    assert [x.code for x in failures] == ["AGENT_QUALIFIED"]
    assert "Agent 2" in str(failures[0].message)
    assert "2026-11-26" in str(failures[0].message)


def test_agent_with_neither_work_id_nor_training_gets_two_failures():
    bad = agent(2, work_id_number="", training_valid_until=None)
    assert codes("AGENT_QUALIFIED", facts(agents=(agent(1), bad))) == ["AGENT_QUALIFIED", "AGENT_QUALIFIED"]


# --- NOTICE_LEAD_TIME ----------------------------------------------------------------------------

START = at(2026, 11, 26, 10)


@pytest.mark.parametrize(
    ("pack", "given", "expected"),
    [
        (CN, START - dt.timedelta(hours=24), []),  # exactly the lead time: in time
        (CN, START - dt.timedelta(hours=24) + dt.timedelta(minutes=1), ["NOTICE_LEAD_TIME"]),
        (UK, START - dt.timedelta(hours=48), []),
        (UK, START - dt.timedelta(hours=48) + dt.timedelta(minutes=1), ["NOTICE_LEAD_TIME"]),
        (US, START - dt.timedelta(minutes=1), []),  # not required in the US pack
    ],
)
def test_notice_lead_time_boundaries(pack, given, expected):
    assert codes("NOTICE_LEAD_TIME", facts(notice_given_at=given), pack) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - dt.timedelta(hours=24), []),  # no notice yet, but one now would still be in time
        (START - dt.timedelta(hours=24) + dt.timedelta(minutes=1), ["NOTICE_LEAD_TIME"]),  # too late
    ],
)
def test_no_notice_yet(now, expected):
    assert codes("NOTICE_LEAD_TIME", facts(notice_given_at=None), now=now) == expected


def test_no_notice_at_check_in_is_refused_except_where_not_required():
    on_site = facts(notice_given_at=None, checked_in_agents=(1, 2), at=START)
    early_now = START - dt.timedelta(days=10)
    assert codes("NOTICE_LEAD_TIME", on_site, now=early_now) == ["NOTICE_LEAD_TIME"]
    assert codes("NOTICE_LEAD_TIME", on_site, US, now=early_now) == []


def test_the_two_no_notice_messages_differ():
    late = check_visit(
        moment="approve", facts=facts(notice_given_at=None), pack=CN, now=START, only=["NOTICE_LEAD_TIME"]
    )
    on_site = check_visit(
        moment="check_in",
        facts=facts(notice_given_at=None, checked_in_agents=(1, 2)),
        pack=CN,
        now=START,
        only=["NOTICE_LEAD_TIME"],
    )
    assert str(late[0].message) != str(on_site[0].message)
    assert "24" in str(late[0].message)


# --- VISIT_FREQUENCY: debtor-local dates, rolling windows of N consecutive dates ------------------


def visits(*days: tuple[int, int], hour: int = 10) -> tuple[dt.datetime, ...]:
    return tuple(at(2026, m, d, hour) for m, d in days)


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        ((), []),
        (visits((11, 20)), []),  # cap - 1
        (visits((11, 20), (11, 25)), ["VISIT_FREQUENCY"]),  # cap
        (visits((11, 26), (11, 26)), ["VISIT_FREQUENCY"]),  # the same day counts
        (visits((11, 19), (11, 25)), []),  # exactly 7 days before: outside every window with the new one
        (visits((11, 20), (11, 25), hour=8)[:1] + visits((11, 25)), ["VISIT_FREQUENCY"]),
        # later visits already planned count too: 26 Nov–2 Dec would hold three
        (visits((11, 28), (12, 2)), ["VISIT_FREQUENCY"]),
        (visits((11, 28), (12, 3)), []),  # 3 December is 7 days after: no window holds both
        (visits((11, 19), (12, 3)), []),
    ],
)
def test_cn_visit_cap_two_per_seven_days(counted, expected):
    assert codes("VISIT_FREQUENCY", facts(counted_visits=counted)) == expected


def test_two_visits_each_side_within_the_window_but_not_in_one_window():
    # 20 Nov and 2 Dec are 12 days apart: every 7-day window holding 26 Nov holds only one of them.
    assert codes("VISIT_FREQUENCY", facts(counted_visits=visits((11, 20), (12, 2)))) == []


def test_us_one_visit_per_thirty_days_counts_dates_not_hours():
    new = window(at(2026, 11, 26, 9, zone=NEW_YORK), at(2026, 11, 26, 10, zone=NEW_YORK), (NEW_YORK,))
    thirty_days_before_late = at(2026, 10, 27, 20, zone=NEW_YORK)  # 29.5 days, but 30 dates before
    twenty_nine_days_before = at(2026, 10, 28, 8, zone=NEW_YORK)
    assert (
        codes("VISIT_FREQUENCY", dataclasses.replace(new, counted_visits=(thirty_days_before_late,)), US)
        == []
    )
    refused = dataclasses.replace(new, counted_visits=(twenty_nine_days_before,))
    assert codes("VISIT_FREQUENCY", refused, US) == ["VISIT_FREQUENCY"]


def test_visit_frequency_reads_the_debtor_local_date():
    # 19 Nov 17:00 UTC is 20 Nov 01:00 in Shanghai: 6 days before the new visit, so it counts.
    counted = (utc(2026, 11, 19, 17), at(2026, 11, 25, 10))
    assert codes("VISIT_FREQUENCY", facts(counted_visits=counted)) == ["VISIT_FREQUENCY"]
    counted = (utc(2026, 11, 19, 15, 59), at(2026, 11, 25, 10))  # 19 Nov 23:59 Shanghai: 7 days before
    assert codes("VISIT_FREQUENCY", facts(counted_visits=counted)) == []


# --- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("visits_refused", "VISIT_REFUSED"),
        ("contact_ceased", "CEASE_CONTACT"),
        ("represented", "REPRESENTED"),
        ("dispute_open", "DISPUTE_OPEN"),
        ("vulnerable", "VULNERABLE"),
    ],
)
def test_flags(flag, code):
    assert codes(code, facts(**{flag: True})) == [code]
    assert codes(code, facts(**{flag: False})) == []
    failures = check_visit(moment="plan", facts=facts(**{flag: True}), pack=CN, now=NOW)
    assert [f.code for f in failures] == [code]  # one flag, one failure at planning


# --- PLACE_ALLOWED -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"address_kind": "home"}, []),
        ({"address_kind": "work"}, ["PLACE_ALLOWED"]),
        ({"address_kind": "work", "place_consent": True}, []),
        ({"address_kind": "other", "place_consent": True}, []),
        ({"address_kind": "home", "place_inconvenient": True}, ["PLACE_ALLOWED"]),
        ({"address_kind": "work", "place_consent": True, "place_inconvenient": True}, ["PLACE_ALLOWED"]),
        ({"address_verified": False}, ["ADDRESS_UNVERIFIED"]),
        ({"address_verified": False, "address_kind": "work"}, ["ADDRESS_UNVERIFIED", "PLACE_ALLOWED"]),
    ],
)
def test_place_allowed(changes, expected):
    assert codes("PLACE_ALLOWED", facts(**changes)) == expected


# --- LIMITATION: warns the day after the period ends, never blocks --------------------------------


@pytest.mark.parametrize(
    ("visit_day", "expected"),
    [((2026, 11, 26), []), ((2026, 11, 27), ["LIMITATION"])],  # period ends 26 Nov 2026, three years on
)
def test_limitation_boundary(visit_day, expected):
    f = window(at(*visit_day, 10), at(*visit_day, 12), overdue_since=dt.date(2023, 11, 26))
    assert codes("LIMITATION", f) == expected


def test_limitation_is_a_warning_and_never_overridable():
    pack = dataclasses.replace(CN, overridable=OVERRIDABLE | {"LIMITATION"})
    f = window(at(2026, 11, 27, 10), at(2026, 11, 27, 12), overdue_since=dt.date(2023, 11, 26))
    (failure,) = check_visit(moment="plan", facts=f, pack=pack, now=NOW, only=["LIMITATION"])
    assert failure.level == "warn"
    assert failure.overridable is False


def test_a_demand_restarts_the_limitation_period():
    f = window(
        at(2026, 11, 27, 10),
        at(2026, 11, 27, 12),
        overdue_since=dt.date(2023, 11, 26),
        last_demand_on=dt.date(2024, 3, 1),
    )
    assert codes("LIMITATION", f) == []


def test_limitation_from_29_february_ends_on_28_february():
    start = dt.date(2024, 2, 29)
    assert codes("LIMITATION", window(at(2027, 2, 28, 10), at(2027, 2, 28, 12), overdue_since=start)) == []
    late = window(at(2027, 3, 1, 10), at(2027, 3, 1, 12), overdue_since=start, mandate=None)
    assert codes("LIMITATION", late) == ["LIMITATION"]


def test_uk_limitation_is_six_years():
    f = window(
        at(2026, 11, 27, 10, zone=LONDON),
        at(2026, 11, 27, 12, zone=LONDON),
        (LONDON,),
        overdue_since=dt.date(2023, 11, 26),
    )
    assert codes("LIMITATION", f, UK) == []


# --- MANDATE_VALID through the visit's local date -----------------------------------------------

LAST_DAY = dataclasses.replace(MANDATE, valid_until=dt.date(2026, 11, 26))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 11, 26, 20), at(2026, 11, 26, 22), []),  # the last day, evening in Shanghai
        (utc(2026, 11, 26, 23, 30), utc(2026, 11, 27, 1), ["MANDATE_VALID"]),  # 27 Nov 07:30 in Shanghai
        (at(2026, 11, 27, 8), at(2026, 11, 27, 10), ["MANDATE_VALID"]),
    ],
)
def test_mandate_valid_until(start, end, expected):
    assert codes("MANDATE_VALID", window(start, end, mandate=LAST_DAY)) == expected


def test_mandate_valid_from_is_the_local_date():
    first_day = dataclasses.replace(MANDATE, valid_from=dt.date(2026, 11, 26))
    assert codes("MANDATE_VALID", window(utc(2026, 11, 26, 0), utc(2026, 11, 26, 2), mandate=first_day)) == []
    before = window(at(2026, 11, 25, 20), at(2026, 11, 25, 21), mandate=first_day)
    assert codes("MANDATE_VALID", before) == ["MANDATE_VALID"]


def test_a_window_past_midnight_needs_the_mandate_on_its_last_day():
    f = window(at(2026, 11, 26, 23), at(2026, 11, 27, 0, 30), mandate=LAST_DAY, hours_consent=True)
    assert codes("MANDATE_VALID", f) == ["MANDATE_VALID"]


def test_no_mandate_and_a_foreign_mandate_are_refused():
    assert codes("MANDATE_VALID", facts(mandate=None)) == ["MANDATE_VALID"]
    assert codes("MANDATE_VALID", facts(mandate=dataclasses.replace(MANDATE, creditor_id=2))) == [
        "MANDATE_VALID"
    ]


# --- overridable marking, and what every failure carries ------------------------------------------


def everything_wrong() -> VisitFacts:
    return facts(
        window_start=at(2026, 11, 28, 6),
        window_end=at(2026, 11, 28, 23),
        agents=(agent(1, work_id_number="", training_valid_until=None),),
        address_kind="work",
        address_verified=False,
        mandate=None,
        overdue_since=dt.date(2020, 1, 1),
        visits_refused=True,
        contact_ceased=True,
        represented=True,
        dispute_open=True,
        vulnerable=True,
        counted_visits=visits((11, 26), (11, 27)),
        notice_given_at=None,
        at=at(2026, 11, 28, 5),  # an instant before the window (VISIT_WINDOW) and the hours
    )


def all_failures(pack: PackParams | None = None):  # type: ignore[no-untyped-def]
    # GENTLER_FIRST fails too: the pack asks for 3 attempts and the worst visit had none.
    pack = pack or dataclasses.replace(CN, gentler_attempts=3)
    return check_visit(
        moment="plan", facts=everything_wrong(), pack=pack, now=at(2026, 11, 28, 5), only=CHECKS
    )


def test_every_check_fails_on_the_worst_visit():
    assert {f.code for f in all_failures()} == set(CHECKS) | {"ADDRESS_UNVERIFIED"}


def test_overridable_follows_the_pack():
    by_code = {f.code: f.overridable for f in all_failures()}
    assert {code for code, flag in by_code.items() if flag} == set(OVERRIDABLE)
    strict = dataclasses.replace(CN, overridable=frozenset())
    assert not any(f.overridable for f in all_failures(strict))
    lenient = dataclasses.replace(CN, overridable=frozenset({"CONTACT_WINDOW"}))
    assert {f.code for f in all_failures(lenient) if f.overridable} == {"CONTACT_WINDOW"}


def test_only_limitation_warns():
    assert {f.code for f in all_failures() if f.level != "refuse"} == {"LIMITATION"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_failure_has_code_message_and_source_in_both_languages(language):
    with translation.override(language):
        for failure in all_failures():
            assert failure.code.isupper()
            assert str(failure.message).strip(), failure.code
            assert str(failure.source).strip(), failure.code


# --- the trace: every input a check read, no personal data ----------------------------------------


def test_the_trace_is_json_and_names_agents_by_id_only():
    trace = everything_wrong().as_trace()
    text = json.dumps(trace)
    assert "Agent 1" not in text
    assert trace["agents"] == [1]
    assert trace["agent_qualifications"][0]["work_id"] is False
    assert trace["overdue_since"] == "2020-01-01"
    assert json.dumps(CN.as_trace())
    assert CN.as_trace()["limitation_years"] == 3


# --- VISIT_WINDOW: check-in within the notified window ----------------------------------------------


@pytest.mark.parametrize(
    ("when", "refused"),
    [
        (at(2026, 11, 26, 9, 29), True),  # 31 minutes early
        (at(2026, 11, 26, 9, 30), False),  # 30 minutes early: in time
        (at(2026, 11, 26, 12, 0), False),  # the window's last minute
        (at(2026, 11, 26, 12, 1), True),  # after the window: the debtor no longer expects anyone
    ],
)
def test_check_in_is_judged_against_the_notified_window(when, refused):
    failures = check_visit(
        moment="check_in",
        facts=facts(at=when, checked_in_agents=(1, 2)),
        pack=CN,
        now=when,
        only=["VISIT_WINDOW"],
    )

    assert [f.code for f in failures] == (["VISIT_WINDOW"] if refused else [])


def test_one_agents_check_in_does_not_count_the_agents_on_site():
    lone = facts(at=at(2026, 11, 26, 10, 5), checked_in_agents=(1,))

    agent_moment = check_visit(moment="check_in_agent", facts=lone, pack=CN, now=lone.at)
    start_moment = check_visit(moment="check_in", facts=lone, pack=CN, now=lone.at)

    assert agent_moment == []
    assert [f.code for f in start_moment] == ["MIN_AGENTS"]
