"""common.bundle: several querysets in one query give back the same objects the querysets give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseAssignment, DebtorAddress
from common import bundle
from compliance import audit
from compliance.models import AuditEvent
from tests.factories import AddressFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:  # type: ignore[no-untyped-def]
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_come_back_equal_to_the_querysets_in_one_query(case, agent, supervisor):
    case.principal, case.outstanding = Decimal("123456789012.34"), Decimal("0.10")
    case.save()
    AddressFactory(
        debtor=case.debtor, verified_by=agent, verified_at=dt.datetime(2026, 1, 2, 3, 4, 5, 678901, dt.UTC)
    )
    AddressFactory(debtor=case.debtor)
    for i in range(3):
        audit.record(
            actor=agent,
            action="test.bundle",
            obj=case,
            case_id=case.pk,
            data={"i": i, "名": ["测试", None, True]},
        )
    parts = {
        "cases": bundle.Part(Case.objects.filter(pk=case.pk), related=("supervisor", "mandate")),
        "addresses": bundle.Part(
            DebtorAddress.objects.filter(debtor_id=case.debtor_id), related=("verified_by",)
        ),
        "events": bundle.Part(AuditEvent.objects.filter(case_id=case.pk).order_by("-seq"), limit=2),
        "none": bundle.Part(CaseAssignment.objects.filter(case_id=-1)),
    }

    with CaptureQueriesContext(connection) as queries:
        rows = bundle.fetch(parts)

    assert len(queries) == 1
    assert rows["none"] == []
    expected_events = list(AuditEvent.objects.filter(case_id=case.pk).order_by("-seq")[:2])
    assert [_fields(e) for e in rows["events"]] == [_fields(e) for e in expected_events]
    assert rows["events"][0].data == {"i": 2, "名": ["测试", None, True], "case": case.pk}
    assert [_fields(a) for a in rows["addresses"]] == [
        _fields(a) for a in DebtorAddress.objects.filter(debtor_id=case.debtor_id)
    ]
    (loaded,) = rows["cases"]
    assert _fields(loaded) == _fields(Case.objects.get(pk=case.pk))
    assert loaded.principal == Decimal("123456789012.34")
    assert str(loaded.outstanding) == "0.10"
    assert loaded.created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as later:
        assert loaded.supervisor == supervisor
        assert loaded.supervisor.display_name == supervisor.display_name
        assert {a.verified_by for a in rows["addresses"]} == {agent, None}
    assert len(later) == 0


def test_a_limit_and_the_order_are_kept(case, agent):
    for i in range(5):
        audit.record(actor=agent, action="test.bundle", obj=case, case_id=case.pk, data={"i": i})

    rows = bundle.fetch(
        {
            "newest": bundle.Part(AuditEvent.objects.filter(case_id=case.pk).order_by("-seq"), limit=3),
            "oldest": bundle.Part(AuditEvent.objects.filter(case_id=case.pk).order_by("seq"), limit=2),
        }
    )

    assert [e.data["i"] for e in rows["newest"]] == [4, 3, 2]
    assert [e.data["i"] for e in rows["oldest"]] == [0, 1]


def test_attach_answers_the_reverse_relation_without_a_query(case, agent):
    other = CaseFactory(
        creditor=case.creditor, mandate=case.mandate, team=case.team, supervisor=case.supervisor
    )
    CaseAssignment.objects.create(
        case=other, agent=UserFactory(team=case.team), assigned_by=agent, assigned_at=dt.datetime.now(dt.UTC)
    )
    rows = bundle.fetch(
        {
            "assignments": bundle.Part(
                CaseAssignment.objects.filter(case__in=[case, other]), related=("agent",)
            )
        }
    )

    bundle.attach([case, other], rows["assignments"], fk="case_id", accessor="assignments")

    with CaptureQueriesContext(connection) as queries:
        assert [a.agent for a in case.assignments.all()] == [agent]
        assert len(other.assignments.all()) == 1
    assert len(queries) == 0


def test_no_parts_cost_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert bundle.fetch({}) == {}
    assert len(queries) == 0
