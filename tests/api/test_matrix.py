"""Role × endpoint: every user endpoint that names an object, for every role that may not use it.

Outsiders get 404, exactly as for an object that does not exist, and nothing is written or recorded;
the compliance officer sees everything and may change nothing (403, one `.refused` event). The URL
list comes from the URLconf: a new API URL with an object id fails `test_every_object_url_is_covered`
until it is described here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from agreements import services as agreement_services
from agreements.models import Agreement, FollowUp, FollowUpReview, Payment
from cases.models import Case, DebtorPhone, VerificationStatus
from common.pii import phone_digest
from compliance.models import AuditEvent
from tests.api.conftest import user_client
from tests.factories import audit_head
from visits import services as visit_services
from visits.models import Notice, Visit, VisitCheckIn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signed_in")]

START, END = "2026-11-27T10:00:00+08:00", "2026-11-27T12:00:00+08:00"


def plan_body(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "address_id": world["visit"].address_id,
        "purpose": "negotiate",
        "window_start": START,
        "window_end": END,
        "agents": [world["agent"].pk, world["other_agent"].pk],
        "checklist": ["authorization_letter", "work_ids"],
    }


KEY = "matrix-key-0001"
DRAFT = {
    "kind": "lump_sum",
    "total": "100.00",
    "first_due_date": "2026-12-15",
    "method": "bank_transfer",
    "stated_income": "9000.00",
    "stated_expenses": "5000.00",
}
PAYMENT = {"amount": "10.00", "paid_on": "2026-11-20", "method": "bank_transfer", "reference": "M-1"}


def follow_up_body(world: dict[str, Any]) -> dict[str, Any]:
    return {"next_action": "call", "due_on": "2026-11-30", "owner": world["agent"].pk}


@dataclass(frozen=True)
class Spec:
    obj: str  # what `pk` names: case, visit, notice, agreement or follow_up
    methods: tuple[str, ...] = ("GET",)
    body: Any = field(default_factory=dict)  # or a function of the world


SPECS: dict[str, Spec] = {
    "api:case-detail": Spec("case"),
    "api:case-verify": Spec("case", ("POST",)),
    "api:case-unverify": Spec("case", ("POST",), {"reason": "wrong"}),
    "api:case-agents": Spec("case", ("POST",), {"agents": []}),
    "api:case-visits": Spec("case", ("GET", "POST"), plan_body),
    "api:case-contacts": Spec(
        "case", ("GET", "POST"), {"channel": "letter", "at": "2026-11-23T19:00:00+08:00", "result": "sent"}
    ),
    "api:case-resume-visits": Spec("case", ("POST",), {"reason": "The debtor agreed on the phone."}),
    "api:visit-detail": Spec("visit"),
    "api:visit-approve": Spec("visit", ("POST",)),
    "api:visit-send-back": Spec("visit", ("POST",), {"reason": "x"}),
    "api:visit-resubmit": Spec("visit", ("POST",), plan_body),
    "api:visit-cancel": Spec("visit", ("POST",), {"reason": "x"}),
    "api:visit-notices": Spec(
        "visit", ("POST",), {"channel": "letter", "given_at": "2026-11-23T20:01:00+08:00", "language": "en"}
    ),
    "api:notice-answer": Spec("notice", ("POST",), {"answer": "accepted"}),
    # on site
    "api:visit-check-in": Spec("visit", ("POST",), {"idempotency_key": KEY}),
    "api:visit-log": Spec("visit"),
    "api:visit-checks": Spec("visit", ("POST",), {"relation": "debtor"}),
    "api:visit-conversation": Spec("visit", ("POST",), {"talking_points": "x"}),
    "api:visit-not-debtor": Spec("visit", ("POST",), {"nothing_about_debt_said": True}),
    "api:visit-outcome": Spec("visit", ("POST",), {"outcome": "debtor_not_met"}),
    "api:visit-attest": Spec("visit", ("POST",), {"idempotency_key": KEY, "items": ["no_threats"]}),
    "api:visit-complete": Spec("visit", ("POST",), {"idempotency_key": KEY}),
    "api:visit-log-accept": Spec("visit", ("POST",)),
    "api:visit-log-return": Spec("visit", ("POST",), {"comment": "x"}),
    "api:visit-abort": Spec("visit", ("POST",), {"reason": "x"}),
    # agreements, payments, follow-up
    "api:case-agreements": Spec("case", ("GET", "POST"), DRAFT),
    "api:case-payments": Spec("case", ("GET", "POST"), PAYMENT),
    "api:case-follow-ups": Spec("case", ("GET", "POST"), follow_up_body),
    "api:agreement-detail": Spec("agreement"),
    "api:agreement-submit": Spec("agreement", ("POST",)),
    "api:agreement-approve": Spec("agreement", ("POST",)),
    "api:agreement-sign": Spec(
        "agreement", ("POST",), {"idempotency_key": KEY, "agent_signature": "iVBORw0KGgo="}
    ),
    "api:agreement-cancel": Spec("agreement", ("POST",), {"reason": "x"}),
    "api:follow-up-done": Spec("follow_up", ("POST",)),
    "api:follow-up-review-done": Spec("review", ("POST",), {"note": "Reviewed: call again."}),
    # the limitation period and the debtor's acknowledgements of the debt
    "api:case-limitation": Spec("case"),
    "api:case-acknowledgements": Spec(
        "case",
        ("GET", "POST"),
        {
            "form": "written",
            "acknowledged_at": "2026-11-20T10:00:00+08:00",
            "statement": "I owe it and will pay.",
            "evidence": {"name": "ack.pdf", "content_base64": "JVBERi0xLjQKJSVFT0YK"},
        },
    ),
}
# Read by the audience only once the visit has started (the world's visit is notified, not on site):
# tests/api/test_user_stages.py reads it on a visit under way.
NEEDS_A_STARTED_VISIT = {"api:visit-log"}
# Creditor URLs: another creditor's case is 404 (tests/api/test_creditor.py, test_creditor_stages.py).
CREDITOR_URLS = {
    "api:creditor-case-detail",
    "api:creditor-case-visits",
    "api:creditor-case-audit-events",
    "api:creditor-case-recall",
    "api:creditor-case-agreement",
    "api:creditor-case-payments",
}
# Debtor facts, consents, time zones, work and means (issue 16): described for every outsider, the
# compliance officer included, in tests/test_object_urls.py; the 404s in tests/visits/test_debtor_facts.py.
DEBTOR_FACT_URLS = {
    "api:case-debtor-facts",
    "api:debtor-fact-lift",
    "api:case-consents",
    "api:consent-withdraw",
    "api:address-time-zone",
    "api:case-debtor-finances",
}

# Who may not see the `north` case assigned to `agent`; its visit is also seen by `other_agent`, who goes.
OUTSIDERS = {
    "case": ["other_agent", "other_supervisor", "other_team_agent"],
    "visit": ["other_supervisor", "other_team_agent"],
    "notice": ["other_agent", "other_supervisor", "other_team_agent"],
    "agreement": ["other_agent", "other_supervisor", "other_team_agent"],
    "follow_up": ["other_agent", "other_supervisor", "other_team_agent"],
    "review": ["other_agent", "other_supervisor", "other_team_agent"],
}
AUDIENCE = {
    "case": ["supervisor", "agent", "compliance_officer"],
    "agreement": ["supervisor", "agent", "compliance_officer"],
    "visit": ["supervisor", "agent", "other_agent", "compliance_officer"],
}


def api_object_urls() -> set[str]:
    (api,) = [r for r in get_resolver().url_patterns if isinstance(r, URLResolver) and r.namespace == "api"]
    return {
        f"api:{p.name}"
        for p in api.url_patterns
        if isinstance(p, URLPattern)
        and any(isinstance(c, IntConverter) for c in p.pattern.converters.values())
    }


def test_every_object_url_is_covered():
    assert api_object_urls() == set(SPECS) | CREDITOR_URLS | DEBTOR_FACT_URLS


@pytest.fixture
def world(signed_in, verified_case, home, agent, other_agent, supervisor):  # type: ignore[no-untyped-def]
    # The agreement is drafted while the case is verified (the world then plans its visit).
    agreement = agreement_services.agreement_draft(
        case=verified_case,
        actor=agent,
        kind="lump_sum",
        total=Decimal("100.00"),
        first_due_date=dt.date(2026, 12, 15),
        method="bank_transfer",
        stated_income=Decimal("9000.00"),
        stated_expenses=Decimal("5000.00"),
    )
    follow_up = agreement_services.follow_up_plan(
        case=verified_case, actor=agent, next_action="call", due_on=dt.date(2026, 11, 30), owner=agent
    )
    visit = visit_services.visit_plan(
        case=verified_case,
        actor=agent,
        address_id=home.pk,
        purpose="negotiate",
        window_start=dt.datetime.fromisoformat(START),
        window_end=dt.datetime.fromisoformat(END),
        agents=[agent, other_agent],
        checklist=["authorization_letter", "work_ids"],
    )
    visit = visit_services.visit_approve(visit=visit, actor=supervisor)
    DebtorPhone.objects.create(
        debtor=verified_case.debtor,
        number="13800138000",
        digest=phone_digest("13800138000"),
        status=VerificationStatus.VERIFIED,
    )
    notice = visit_services.notice_record(
        visit=visit, actor=agent, channel="letter", given_at=visit.approved_at, language="en"
    )
    return {
        **signed_in,
        "case": verified_case,
        "visit": visit,
        "notice": notice,
        "agreement": agreement,
        "follow_up": follow_up,
        "review": FollowUpReview.objects.get(
            pk=agreement_services.reviews_schedule(today=dt.date(2026, 11, 23) + dt.timedelta(days=60))[0]
        ),
    }


def snapshot(world: dict[str, Any]) -> tuple:  # type: ignore[type-arg]
    case = Case.objects.get(pk=world["case"].pk)
    visit = Visit.objects.get(pk=world["visit"].pk)
    notice = Notice.objects.get(pk=world["notice"].pk)
    return (
        case.stage,
        visit.state,
        notice.answer,
        Notice.objects.count(),
        case.assignments.count(),
        case.contacts.count(),
        list(Agreement.objects.values_list("pk", "state")),
        list(FollowUp.objects.values_list("pk", "status")),
        Payment.objects.count(),
        VisitCheckIn.objects.count(),
    )


def calls() -> list[tuple[str, str, str]]:
    return [
        (name, method, role)
        for name, spec in SPECS.items()
        for method in spec.methods
        for role in OUTSIDERS[spec.obj]
    ]


def call(world: dict[str, Any], role: str, name: str, method: str, pk: int | None = None):  # type: ignore[no-untyped-def]
    spec = SPECS[name]
    url = reverse(name, args=[pk if pk is not None else world[spec.obj].pk])
    client = user_client(world[role])
    body = spec.body(world) if callable(spec.body) else spec.body
    return client.get(url) if method == "GET" else client.post(url, body, format="json")


@pytest.mark.parametrize(("name", "method", "role"), calls(), ids=[f"{n}-{m}-{r}" for n, m, r in calls()])
def test_outsiders_get_404_like_a_missing_object(world, name, method, role):
    before, head = snapshot(world), audit_head()

    response = call(world, role, name, method)
    missing = call(world, role, name, method, pk=999_999)

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert snapshot(world) == before
    assert audit_head() == head


WRITES = [(name, "POST") for name, spec in SPECS.items() if "POST" in spec.methods]


@pytest.mark.parametrize(("name", "method"), WRITES, ids=[n for n, _m in WRITES])
def test_the_compliance_officer_is_refused_every_change(world, name, method):
    before, head = snapshot(world), audit_head()

    response = call(world, "compliance_officer", name, method)

    assert response.status_code == 403, response.json()
    assert [e["code"] for e in response.json()["errors"]] == ["PERMISSION_DENIED"]
    refusals = list(AuditEvent.objects.filter(seq__gt=head).values_list("action", flat=True))
    assert len(refusals) == 1
    assert refusals[0].endswith(".refused")
    assert snapshot(world) == before


READS = [
    (name, role)
    for name, spec in SPECS.items()
    if "GET" in spec.methods and name not in NEEDS_A_STARTED_VISIT
    for role in AUDIENCE.get(spec.obj, [])
]


@pytest.mark.parametrize(("name", "role"), READS, ids=[f"{n}-{r}" for n, r in READS])
def test_the_audience_reads(world, name, role):
    assert call(world, role, name, "GET").status_code == 200
