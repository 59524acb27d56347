"""Visit fixtures: a verified case of the `team` with its verified home in Shanghai, and a plan to make.

The clock is injected: it is Monday 2026-11-23 09:00 in Shanghai, and the visit is on Thursday
2026-11-26 10:00–12:00 Shanghai time (CN pack: two agents, 08:00–22:00, 24 h notice lead time).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cases import services as case_services
from tests.factories import TODAY, gentler_channels_tried, make_verifiable
from tests.visits.factories import local, verified_home
from visits import services
from visits.models import Visit

NOW = local(2026, 11, 23, 9)
START = local(2026, 11, 26, 10)
END = local(2026, 11, 26, 12)
CHECKLIST = ["loan_contract", "repayment_records", "authorization_letter", "work_ids"]


@pytest.fixture
def verified_case(case, agent):  # type: ignore[no-untyped-def]
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    # GENTLER_FIRST: a letter, a call and an SMS in the three days before NOW (inside the pack's 14 days
    # of NOW and of the tests' frozen clock alike), so that a visit may be planned.
    gentler_channels_tried(case, agent, before=NOW)
    case.refresh_from_db()
    return case


@pytest.fixture
def home(verified_case):  # type: ignore[no-untyped-def]
    return verified_home(verified_case)


@pytest.fixture
def plan(verified_case, home, agent, other_agent):  # type: ignore[no-untyped-def]
    """Keyword arguments of a plan that every rule allows; tests change one thing at a time."""
    return {
        "case": verified_case,
        "actor": agent,
        "address_id": home.pk,
        "purpose": "negotiate",
        "window_start": START,
        "window_end": END,
        "agents": [agent, other_agent],
        "checklist": list(CHECKLIST),
        "note": "Debtor said mornings are best.",
        "now": NOW,
    }


@pytest.fixture
def planned(plan) -> Visit:  # type: ignore[no-untyped-def]
    """A visit planned by `agent` (who goes on it with `other_agent`)."""
    return services.visit_plan(**plan)


def plan_with(plan: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**plan, **changes}


# --- on site: a notified visit on Thursday 2026-11-26 10:00–12:00, the agents arriving at 10:05 ------

APPROVED_AT = local(2026, 11, 23, 10)
NOTICE_AT = local(2026, 11, 24, 10)
ARRIVAL = local(2026, 11, 26, 10, 5)


@pytest.fixture
def approved_visit(planned, supervisor) -> Visit:  # type: ignore[no-untyped-def]
    return services.visit_approve(visit=planned, actor=supervisor, now=APPROVED_AT)


@pytest.fixture
def notified(approved_visit, agent) -> Visit:  # type: ignore[no-untyped-def]
    """Approved and notified by phone two days ahead (CN pack: 24 h lead time), through the services."""
    services.notice_record(
        visit=approved_visit,
        actor=agent,
        channel="phone",
        given_at=NOTICE_AT,
        language="zh-hans",
        now=NOTICE_AT + dt.timedelta(minutes=5),
    )
    approved_visit.refresh_from_db()
    return approved_visit


def keyed(prefix: str = "k") -> str:
    """A fresh idempotency key, as the forms generate them."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex}"


@pytest.fixture
def on_site(notified, agent, other_agent) -> Visit:  # type: ignore[no-untyped-def]
    """Both agents checked in at 10:05 and 10:06: the visit (and the case) are on site."""
    services.visit_check_in(visit=notified, actor=agent, idempotency_key=keyed(), now=ARRIVAL)
    services.visit_check_in(
        visit=notified, actor=other_agent, idempotency_key=keyed(), now=ARRIVAL + dt.timedelta(minutes=1)
    )
    notified.refresh_from_db()
    return notified


CHECKS_OK = {
    "relation": "debtor",
    "identification": "known",
    "entry": "doorstep",
    "authorization_shown": True,
    "purpose_stated": True,
    "recording_consent": True,
}


def checks(visit: Visit, **changes: Any) -> dict[str, Any]:
    """The identity and credential checks that pass: every agent showed the work ID."""
    agents = [va.agent_id for va in visit.visit_agents.all()]
    return {**CHECKS_OK, "work_ids_shown": agents, **changes}


def conversation(**changes: Any) -> dict[str, Any]:
    return {
        "started_at": ARRIVAL + dt.timedelta(minutes=5),
        "ended_at": ARRIVAL + dt.timedelta(minutes=35),
        "people_present": "The debtor only",
        "evidence_shown": ["contract", "statement"],
        "talking_points": "Explained the arrears; discussed a plan.",
        "default_reasons": "Lost his job in August.",
        "willingness": "medium",
        "capacity": "low",
        "debtor_state": "calm",
        "safety_incident": False,
        "police_called": False,
        "incident_note": "",
        "statement_shown": True,
        **changes,
    }


@pytest.fixture
def identified(on_site, agent) -> Visit:  # type: ignore[no-untyped-def]
    """On site, the checks confirmed: the person met is the debtor, known from prior contact."""
    services.visit_log_save(
        visit=on_site, actor=agent, step="checks", data=checks(on_site), now=ARRIVAL + dt.timedelta(minutes=3)
    )
    return on_site


@pytest.fixture
def talked(identified, agent) -> Visit:  # type: ignore[no-untyped-def]
    services.visit_log_save(
        visit=identified,
        actor=agent,
        step="conversation",
        data=conversation(),
        now=ARRIVAL + dt.timedelta(minutes=36),
    )
    return identified


def attest_all(visit: Visit, at: dt.datetime | None = None) -> None:
    from visits.models import CONDUCT_ITEMS

    for va in visit.visit_agents.select_related("agent"):
        services.visit_attest(
            visit=visit,
            actor=va.agent,
            idempotency_key=keyed("att"),
            items=[code for code, _label in CONDUCT_ITEMS],
            now=at or ARRIVAL + dt.timedelta(minutes=40),
        )
