"""The debtor's time zones come from their addresses (picked, or derived from the coordinates with
timezonefinder), can be corrected from the case page and the API, and every check uses all of them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api import services as api_services
from cases import services as case_services
from cases.models import DebtorAddress
from cases.zones import zone_from_coordinates
from common.errors import DomainError
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_head
from tests.visits.conftest import plan_with
from tests.visits.factories import local
from visits import services

pytestmark = pytest.mark.django_db

NEW_YORK = (Decimal("40.712800"), Decimal("-74.006000"))
LOS_ANGELES = (Decimal("34.052200"), Decimal("-118.243700"))


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_services.user_token_issue(user=user, actor=user).secret}"
    )
    return client


def add_from_page(agent, case, text: str, point: tuple[Decimal, Decimal]) -> DebtorAddress:  # type: ignore[no-untyped-def]
    """Added on the case page with no zone picked (derived from the coordinates), then verified."""
    response = signed_in(agent).post(
        reverse("cases:case-address-add", args=[case.pk]),
        {
            "kind": "home",
            "text": text,
            "time_zone": "",
            "source": "debtor",
            "latitude": point[0],
            "longitude": point[1],
        },
    )
    assert response.status_code == 302
    address = DebtorAddress.objects.filter(debtor_id=case.debtor_id).latest("pk")
    case_services.address_verify(case=case, address_id=address.pk, actor=agent, source="field")
    return address


def test_zones_are_derived_from_coordinates():
    assert zone_from_coordinates(*NEW_YORK) == "America/New_York"
    assert zone_from_coordinates(*LOS_ANGELES) == "America/Los_Angeles"
    assert zone_from_coordinates(Decimal("31.230000"), Decimal("121.470000")) == "Asia/Shanghai"
    assert zone_from_coordinates(Decimal("0"), Decimal("-30")) is None  # the open sea


@pytest.fixture
def us_case(plan, agent, creditor, home):  # type: ignore[no-untyped-def]
    """The plan's case under the US pack, its Shanghai home replaced by New York and Los Angeles homes
    added on the case page (zones derived from the coordinates)."""
    creditor.rule_pack_code = "us"  # the administrator's setting (admin)
    creditor.save()
    ny = add_from_page(agent, plan["case"], "1 Liberty St, New York, NY", NEW_YORK)
    la = add_from_page(agent, plan["case"], "200 N Spring St, Los Angeles, CA", LOS_ANGELES)
    case_services.address_invalidate(
        case=plan["case"], address_id=home.pk, actor=agent, reason="Moved to the US."
    )
    return {"plan": plan, "ny": ny, "la": la}


def test_a_us_debtor_in_new_york_and_los_angeles_is_judged_in_both_zones(us_case):
    plan, ny, la = us_case["plan"], us_case["ny"], us_case["la"]
    assert (ny.time_zone, ny.time_zone_source) == ("America/New_York", "coordinates")
    assert la.time_zone == "America/Los_Angeles"
    # 07:30 in Los Angeles is 10:30 in New York: refused for Los Angeles.
    early = plan_with(
        plan,
        address_id=ny.pk,
        window_start=local(2026, 11, 26, 7, 30, zone="America/Los_Angeles"),
        window_end=local(2026, 11, 26, 8, 30, zone="America/Los_Angeles"),
    )
    with pytest.raises(RulesRefused) as caught:
        services.visit_plan(**early)
    assert caught.value.codes == ["CONTACT_WINDOW"]
    assert "America/Los_Angeles" in str(caught.value.failures[0].message)

    noon = plan_with(
        plan,
        address_id=ny.pk,
        window_start=local(2026, 11, 26, 12, zone="America/New_York"),
        window_end=local(2026, 11, 26, 13, zone="America/New_York"),
    )
    visit = services.visit_plan(**noon)
    assert visit.plan_decision.inputs["facts"]["time_zones"] == ["America/New_York", "America/Los_Angeles"]


def test_a_zone_corrected_on_the_page_and_through_the_api(us_case, agent):
    plan, la = us_case["plan"], us_case["la"]
    seq = audit_head()
    response = signed_in(agent).post(
        reverse("cases:case-address-time-zone", args=[plan["case"].pk, la.pk]),
        {"source": "agent", "time_zone": "America/Denver"},
    )
    assert response.status_code == 302
    la.refresh_from_db()
    assert (la.time_zone, la.time_zone_source) == ("America/Denver", "agent")

    answer = api_client(agent).post(reverse("api:address-time-zone", args=[la.pk]), {"source": "coordinates"})
    assert answer.status_code == 200
    assert answer.json()["time_zone"] == "America/Los_Angeles"
    assert answer.json()["time_zone_source"] == "coordinates"
    assert [a for a in audit_actions_since(seq) if a.startswith("debtor.")] == [
        "debtor.address_time_zone_set",
        "debtor.address_time_zone_set",
    ]


def test_a_zone_needs_a_choice_or_coordinates(plan, agent):
    with pytest.raises(DomainError) as caught:
        case_services.address_add(
            case=plan["case"], actor=agent, kind="work", text="Somewhere", time_zone="", source="debtor"
        )
    assert [(f.code, f.field) for f in caught.value.failures] == [("FIELD_REQUIRED", "time_zone")]
    with pytest.raises(DomainError) as bad:
        case_services.address_time_zone_set(
            case=plan["case"],
            address_id=plan["address_id"],
            actor=agent,
            time_zone="Mars/Olympus",
            source="agent",
        )
    assert bad.value.failures[0].field == "time_zone"
