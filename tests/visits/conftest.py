"""Visit fixtures: a verified case of the `team` with its verified home in Shanghai, and a plan to make.

The clock is injected: it is Monday 2026-11-23 09:00 in Shanghai, and the visit is on Thursday
2026-11-26 10:00–12:00 Shanghai time (CN pack: two agents, 08:00–22:00, 24 h notice lead time).
"""

from __future__ import annotations

from typing import Any

import pytest

from cases import services as case_services
from tests.factories import TODAY, make_verifiable
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
