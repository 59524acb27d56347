"""GENTLER_FIRST (COMPLIANCE.md): a visit is planned only after the pack's number of contact attempts by
other channels within its window (CN: 3 in 14 days); a supervisor may override with a reason. Reached
through the contact service, the plan form and the API, never by writing rows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import VerificationStatus
from common.errors import DomainError
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused
from compliance.rules import check_visit
from tests.api.conftest import token_for
from tests.compliance.test_rules_visits import CN, window
from tests.factories import TODAY, PhoneFactory, audit_actions_since, audit_head, make_verifiable
from tests.visits.conftest import CHECKLIST, END, NOW, START
from tests.visits.factories import local, verified_home
from visits import services
from visits.models import Visit

pytestmark = pytest.mark.django_db


def user_client(user):  # type: ignore[no-untyped-def]
    """An API client with a fresh token of `user` (tests/api/conftest.py caches tokens per test there)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.fixture
def untried(case, agent):  # type: ignore[no-untyped-def]
    """A verified case on which nobody has tried a call, an SMS or a letter yet."""
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    case.refresh_from_db()
    return case


def plan(case, actor, agents, **changes):  # type: ignore[no-untyped-def]
    values = {
        "case": case,
        "actor": actor,
        "address_id": verified_home(case).pk,
        "purpose": "negotiate",
        "window_start": START,
        "window_end": END,
        "agents": agents,
        "checklist": list(CHECKLIST),
        "now": NOW,
        **changes,
    }
    return services.visit_plan(**values)


def tried(case, agent, *tries, phone_id=None):  # type: ignore[no-untyped-def]
    for channel, result, at in tries:
        services.contact_record(
            case=case, actor=agent, channel=channel, at=at, result=result, now=NOW, phone_id=phone_id
        )


# --- the pure rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        ((), ["GENTLER_FIRST"]),
        ((NOW - dt.timedelta(days=1),) * 2, ["GENTLER_FIRST"]),
        ((NOW - dt.timedelta(days=1),) * 3, []),
        ((NOW - dt.timedelta(days=14),) * 3, []),  # exactly the window's length ago: counts
        ((NOW - dt.timedelta(days=14, seconds=1),) * 3, ["GENTLER_FIRST"]),
    ],
)
def test_the_rule_counts_attempts_in_the_window(attempts, expected):
    pack = dataclasses.replace(CN, gentler_attempts=3, gentler_window_days=14)
    facts = dataclasses.replace(window(START, END), gentler_contacts=attempts)
    failures = check_visit(moment="plan", facts=facts, pack=pack, now=NOW, only=["GENTLER_FIRST"])
    assert [f.code for f in failures] == expected


def test_a_pack_asking_for_none_never_refuses():
    facts = window(START, END)
    assert check_visit(moment="plan", facts=facts, pack=CN, now=NOW, only=["GENTLER_FIRST"]) == []


def test_only_planning_judges_it():
    from compliance.rules import CHECKS_BY_MOMENT

    assert "GENTLER_FIRST" in CHECKS_BY_MOMENT["plan"]
    assert "GENTLER_FIRST" not in CHECKS_BY_MOMENT["approve"]


# --- the service: refused, then allowed once gentler channels were tried ------------------------------


def test_no_visit_before_gentler_channels_were_tried(untried, agent, other_agent):
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        plan(untried, agent, [agent, other_agent])

    assert refused.value.codes == ["GENTLER_FIRST"]
    assert refused.value.overridable
    assert "0 recorded" in str(refused.value.failures[0].message)
    assert audit_actions_since(head) == ["rules.refused"]
    assert not Visit.objects.exists()


def test_old_failed_and_visit_contacts_do_not_count_then_three_tries_do(untried, agent, other_agent):
    # The contact gate sends an SMS only to a verified number (SMS_UNVERIFIED): the debtor's number as
    # the creditor placed it, verified (tests/visits/test_notices.py's notice_case does the same).
    phone = PhoneFactory(debtor=untried.debtor, status=VerificationStatus.VERIFIED)
    tried(
        untried,
        agent,
        ("letter", "sent", local(2026, 11, 1, 10)),  # 22 days before: outside the 14 days
        ("sms", "failed", local(2026, 11, 20, 10)),  # never reached anyone
        ("phone", "no_answer", local(2026, 11, 21, 11)),
        ("sms", "sent", local(2026, 11, 22, 10)),
        phone_id=phone.pk,
    )
    # A visit is not a gentler channel: it is recorded by the on-site flow, never as a contact here.
    with pytest.raises(DomainError) as invalid:
        tried(untried, agent, ("visit", "not_met", local(2026, 11, 21, 10)))
    assert invalid.value.codes == ["CHANNEL_INVALID"]
    with pytest.raises(RulesRefused) as refused:
        plan(untried, agent, [agent, other_agent])
    assert "2 recorded" in str(refused.value.failures[0].message)

    tried(untried, agent, ("email", "sent", local(2026, 11, 22, 15)))
    visit = plan(untried, agent, [agent, other_agent])

    assert visit.plan_decision.outcome == RuleDecision.Outcome.ALLOWED
    assert len(visit.plan_decision.inputs["facts"]["gentler_contacts"]) == 3


def test_a_supervisor_overrides_with_a_reason(untried, supervisor, agent, other_agent):
    head = audit_head()

    visit = plan(
        untried,
        supervisor,
        [agent, other_agent],
        override_reason="The debtor's phones are all invalid and letters come back.",
    )

    assert visit.plan_decision.outcome == RuleDecision.Outcome.OVERRIDDEN
    assert audit_actions_since(head) == ["rules.refused", "rules.overridden", "visit.planned"]


def test_the_planning_agent_cannot_override(untried, agent, other_agent):
    with pytest.raises(RulesRefused) as refused:
        plan(untried, agent, [agent, other_agent], override_reason="I think it is fine to go now.")
    assert refused.value.codes == ["GENTLER_FIRST", "OVERRIDE_NOT_PERMITTED"]


# --- the plan form and the API ------------------------------------------------------------------------


def test_the_plan_form_says_to_record_a_call_sms_or_letter_first(untried, agent, other_agent):
    client = Client()
    client.force_login(agent)
    home = verified_home(untried)
    day = (NOW + dt.timedelta(days=3)).date()
    response = client.post(
        reverse("visits:visit-plan", args=[untried.pk]),
        {
            "address": home.pk,
            "purpose": "negotiate",
            "date": day.isoformat(),
            "start_time": "10:00",
            "end_time": "12:00",
            "agents": [agent.pk, other_agent.pk],
            "checklist": CHECKLIST,
            "note": "",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "GENTLER_FIRST" in page
    assert reverse("visits:contact-list", args=[untried.pk]) in page
    assert not Visit.objects.exists()


def test_the_api_refuses_with_409_and_the_decision(untried, agent, other_agent):
    head = audit_head()

    response = user_client(agent).post(
        reverse("api:case-visits", args=[untried.pk]),
        {
            "address_id": verified_home(untried).pk,
            "purpose": "negotiate",
            "window_start": "2026-11-26T10:00:00+08:00",
            "window_end": "2026-11-26T12:00:00+08:00",
            "agents": [agent.pk, other_agent.pk],
            "checklist": CHECKLIST,
        },
        format="json",
    )

    assert response.status_code == 409
    assert [e["code"] for e in response.json()["errors"]] == ["GENTLER_FIRST"]
    assert response.json()["decision"]["overridable"] is True
    assert audit_actions_since(head)[-1] == "rules.refused"
