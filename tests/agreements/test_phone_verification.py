"""The debtor's phones after import (cases/services/phones.py): added, verified and marked invalid from
the case page, each recorded; an SMS passes the contact gate only once its number is verified."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import DebtorPhone
from common.errors import DomainError, PermissionRefused
from compliance.refusals import RulesRefused
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.factories import local
from visits import services as visit_services
from visits.models import ContactAttempt

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_phone_added_verified_and_invalidated_is_recorded(owing, agent):
    head = audit_head()

    phone = case_services.phone_add(case=owing, actor=agent, number="+86 139-1234-5678", source="debtor")
    assert (phone.number, phone.status, phone.source) == ("13912345678", "unverified", "debtor")
    case_services.phone_verify(case=owing, phone_id=phone.pk, actor=agent, source="field")
    case_services.phone_invalidate(case=owing, phone_id=phone.pk, actor=agent, reason="Wrong person")

    phone.refresh_from_db()
    assert phone.status == "invalid"
    assert phone.history.first().history_user == agent
    assert audit_actions_since(head) == [
        "debtor.phone_added",
        "debtor.phone_verified",
        "debtor.phone_invalidated",
    ]
    for event in audit_events_since(head):  # the number never enters the audit trail
        assert "13912345678" not in str(event.data)
        assert event.data["phone_digest"] == phone.digest


@pytest.mark.parametrize(
    ("number", "field"),
    [("12", "number"), ("call me", "number"), ("13912345678", "source")],
)
def test_a_bad_phone_is_refused_naming_the_field(owing, agent, number, field):
    source = "" if field == "source" else "debtor"
    with pytest.raises(DomainError) as error:
        case_services.phone_add(case=owing, actor=agent, number=number, source=source)
    assert [f.field for f in error.value.failures] == [field]
    assert not DebtorPhone.objects.filter(debtor=owing.debtor, number=number).exists()


def test_the_same_number_twice_is_refused(owing, agent):
    case_services.phone_add(case=owing, actor=agent, number="13912345678", source="debtor")
    with pytest.raises(DomainError) as error:
        case_services.phone_add(case=owing, actor=agent, number="+8613912345678", source="creditor")
    assert error.value.codes == ["DUPLICATE"]


def test_an_agent_of_another_team_may_not_verify(owing, agent, other_team_agent):
    phone = case_services.phone_add(case=owing, actor=agent, number="13912345678", source="debtor")
    head = audit_head()
    with pytest.raises(PermissionRefused):
        case_services.phone_verify(case=owing, phone_id=phone.pk, actor=other_team_agent, source="field")
    phone.refresh_from_db()
    assert phone.status == "unverified"
    assert audit_actions_since(head) == ["debtor.phone_verified.refused"]


def test_an_sms_passes_the_gate_only_once_the_number_is_verified_on_the_case_page(owing, agent):
    client = signed_in(agent)
    page = reverse("cases:case-detail", args=[owing.pk])
    response = client.post(
        reverse("cases:case-phone-add", args=[owing.pk]), {"number": "13912345678", "source": "debtor"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page}#phones"
    phone = DebtorPhone.objects.get(debtor=owing.debtor, number="13912345678")
    at = local(2026, 11, 23, 10)

    with pytest.raises(RulesRefused) as error:
        visit_services.contact_record(
            case=owing, actor=agent, channel="sms", at=at, result="sent", phone_id=phone.pk, now=at
        )
    assert error.value.codes == ["SMS_UNVERIFIED"]

    client.post(reverse("cases:case-phone-verify", args=[owing.pk, phone.pk]), {"source": "field"})
    contact = visit_services.contact_record(
        case=owing, actor=agent, channel="sms", at=at, result="sent", phone_id=phone.pk, now=at
    )
    assert ContactAttempt.objects.filter(pk=contact.pk).exists()

    client.post(
        reverse("cases:case-phone-invalidate", args=[owing.pk, phone.pk]), {"reason": "Out of service"}
    )
    phone.refresh_from_db()
    assert phone.status == "invalid"
    assert "13912345678" not in client.get(page).content.decode()  # masked on the page


def test_a_missing_reason_is_named_on_the_page(owing, agent):
    phone = case_services.phone_add(case=owing, actor=agent, number="13912345678", source="debtor")
    response = signed_in(agent).post(
        reverse("cases:case-phone-invalidate", args=[owing.pk, phone.pk]), {"reason": ""}, follow=True
    )
    phone.refresh_from_db()
    assert phone.status == "unverified"
    assert any("reason" in str(m).lower() for m in response.context["messages"])
