"""The debt statement (the debtor's right to know) and the on-site view the wizard pages read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.errors import DomainError
from compliance.models import RuleDecision
from tests.factories import CaseFactory
from visits import selectors

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 26)


def test_an_itemized_statement_shows_how_the_outstanding_amount_is_made_up(creditor, mandate):
    case = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        principal=Decimal("8000.00"),
        interest_fees=Decimal("1500.50"),
        paid_before_placement=Decimal("1000.00"),
        outstanding=Decimal("8500.50"),
    )

    statement = selectors.debt_statement(case, as_of=AS_OF)

    assert statement.itemized
    assert [(str(line.label), line.amount, line.sign) for line in statement.lines] == [
        ("Principal", Decimal("8000.00"), ""),
        ("Interest and fees", Decimal("1500.50"), "+"),
        ("Paid before placement", Decimal("1000.00"), "-"),
        ("Outstanding amount", Decimal("8500.50"), "="),
    ]
    assert statement.computation == "8000.00 + 1500.50 - 1000.00 = 8500.50 CNY"
    assert statement.mandate_number == mandate.number


def test_without_the_breakdown_the_difference_is_shown_as_not_itemized(creditor, mandate):
    case = CaseFactory(
        creditor=creditor, mandate=mandate, principal=Decimal("10000.00"), outstanding=Decimal("8200.50")
    )

    statement = selectors.debt_statement(case, as_of=AS_OF)

    assert not statement.itemized
    middle = statement.lines[1]
    assert middle.amount == Decimal("-1799.50")
    assert middle.sign == "-"
    assert "itemized" in str(middle.note)
    assert statement.lines[-1].amount == Decimal("8200.50")


def test_the_on_site_view_says_how_many_agents_are_missing(notified, agent):
    view = selectors.onsite_view(agent, notified)

    assert view.min_agents == 2
    assert view.waiting_for == 2
    assert view.flags["can_check_in"]
    assert not view.flags["can_fill"]
    assert [s["done"] for s in view.steps] == [False] * 6


def test_the_overrides_of_a_visit_are_found_by_code(planned, supervisor):
    from tests.visits.factories import local
    from visits import services

    assert selectors.overridden_codes(planned) == {}
    services.visit_approve(
        visit=planned,
        actor=supervisor,
        override_reason="Debtor asked for this slot.",
        now=local(2026, 11, 25, 21, 30),
    )

    override = RuleDecision.objects.get(outcome=RuleDecision.Outcome.OVERRIDDEN, object_id=str(planned.pk))
    assert selectors.overridden_codes(planned) == {"NOTICE_LEAD_TIME": override.pk}


def test_an_address_takes_both_coordinates_or_neither(verified_case, agent):
    from cases import services as case_services

    with pytest.raises(DomainError) as refused:
        case_services.address_add(
            case=verified_case,
            actor=agent,
            kind="home",
            text="上海市徐汇区漕溪北路1号",
            time_zone="Asia/Shanghai",
            source="field",
            latitude=Decimal("31.1"),
        )
    address = case_services.address_add(
        case=verified_case,
        actor=agent,
        kind="home",
        text="上海市徐汇区漕溪北路1号",
        time_zone="Asia/Shanghai",
        source="field",
        latitude=Decimal("31.188500"),
        longitude=Decimal("121.436500"),
    )

    assert refused.value.failures[0].field == "latitude"
    assert address.latitude == Decimal("31.188500")
