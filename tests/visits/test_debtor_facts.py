"""Debtor facts and consents: the recording services (happy path, each refusal, exactly the audit
events), and for each check that reads them a user path: the fact recorded through the case page or
the API, then the refused action (no direct model write anywhere)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api import services as api_services
from cases import services
from cases.models import Debtor
from common.errors import DomainError, PermissionRefused
from compliance.models import AuditEvent
from compliance.refusals import RulesRefused
from tests.debtor_fact_helpers import officer, record_fact
from tests.factories import PDF_BYTES, AddressFactory, audit_actions_since, audit_events_since, audit_head
from tests.visits.conftest import NOW, plan_with
from tests.visits.factories import local
from visits import services as visit_services

pytestmark = pytest.mark.django_db

GIVEN = local(2026, 11, 23, 9)  # before the frozen clock (2026-11-23 20:00 Shanghai)


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def user_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    secret = api_services.user_token_issue(user=user, actor=user).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def pdf(name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def refused_codes(plan_kwargs) -> set[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesRefused) as caught:
        visit_services.visit_plan(**plan_kwargs)
    return set(caught.value.codes)


def flags(case) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    debtor = Debtor.objects.get(pk=case.debtor_id)
    return {n: getattr(debtor, n) for n in ("contact_ceased", "represented", "vulnerable")}


def fact_url(case, kind: str) -> str:  # type: ignore[no-untyped-def]
    return reverse("cases:case-fact-add", args=[case.pk, kind])


# --- the services ----------------------------------------------------------------------------------


def test_a_cease_contact_request_is_recorded_with_its_document(verified_case, agent):
    seq = audit_head()

    fact = services.debtor_fact_record(
        case=verified_case,
        actor=agent,
        kind="cease_contact",
        scope="all",
        received_on=dt.date(2026, 11, 20),
        received_via="letter",
        upload=pdf(),
    )

    assert fact.in_force
    assert fact.document.kind == "debtor_letter"
    assert flags(verified_case) == {"contact_ceased": True, "represented": False, "vulnerable": False}
    assert audit_actions_since(seq) == ["case.document_added", "debtor.fact_recorded"]
    event = audit_events_since(seq)[1]
    assert event.data["kind"] == "cease_contact"
    assert event.data["scope"] == "all"
    assert event.data["received_on"] == "2026-11-20"
    assert fact.history.count() == 1


def test_a_representation_keeps_the_lawyer_out_of_the_audit_trail(verified_case, agent):
    seq = audit_head()
    record_fact(verified_case, "represented", actor=agent)

    event = AuditEvent.objects.get(seq=seq + 1)
    assert event.action == "debtor.fact_recorded"
    assert "lawyer_digest" in event.data
    assert "Zhao" not in str(event.data)


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("cease_contact", {"scope", "received_on", "received_via"}),
        ("representation", {"scope", "lawyer_name", "lawyer_contact"}),
        ("vulnerability", {"category", "reported_by", "review_due"}),
        ("inconvenient_place", {"address", "note"}),
    ],
)
def test_each_missing_field_is_named(verified_case, agent, kind, fields):
    seq = audit_head()
    with pytest.raises(DomainError) as caught:
        services.debtor_fact_record(case=verified_case, actor=agent, kind=kind)
    assert {f.field for f in caught.value.failures} == fields
    assert set(caught.value.codes) == {"FIELD_REQUIRED"}
    assert audit_actions_since(seq) == ["debtor.fact_recorded.refused"]


def test_dates_in_the_wrong_direction_are_refused(verified_case, agent):
    with pytest.raises(DomainError) as caught:
        services.debtor_fact_record(
            case=verified_case,
            actor=agent,
            kind="vulnerability",
            category="health",
            reported_by="debtor",
            review_due=dt.date(2026, 11, 1),
        )
    assert [(f.code, f.field) for f in caught.value.failures] == [("INVALID_INPUT", "review_due")]


def test_another_teams_agent_may_not_record_a_fact(verified_case, other_team_agent):
    seq = audit_head()
    with pytest.raises(PermissionRefused):
        record_fact(verified_case, "vulnerable", actor=other_team_agent)
    assert audit_actions_since(seq) == ["debtor.fact_recorded.refused"]


def test_a_vulnerability_is_lifted_by_a_supervisor_with_a_reason(verified_case, agent, supervisor):
    fact = record_fact(verified_case, "vulnerable", actor=agent)
    with pytest.raises(PermissionRefused):
        services.debtor_fact_lift(
            case=verified_case, actor=agent, fact_id=fact.pk, reason="Reviewed, fine now."
        )
    with pytest.raises(DomainError) as short:
        services.debtor_fact_lift(case=verified_case, actor=supervisor, fact_id=fact.pk, reason="ok")
    assert short.value.failures[0].field == "reason"
    seq = audit_head()

    lifted = services.debtor_fact_lift(
        case=verified_case, actor=supervisor, fact_id=fact.pk, reason="Reviewed with the carer by phone."
    )

    assert lifted.lifted_by == supervisor
    assert flags(verified_case)["vulnerable"] is False
    assert audit_actions_since(seq) == ["debtor.fact_lifted"]
    with pytest.raises(DomainError) as again:
        services.debtor_fact_lift(
            case=verified_case, actor=supervisor, fact_id=fact.pk, reason="Reviewed with the carer by phone."
        )
    assert again.value.codes == ["FACT_LIFTED"]


def test_a_consent_needs_who_when_how_and_its_evidence(verified_case, agent):
    seq = audit_head()
    with pytest.raises(DomainError) as caught:
        services.consent_record(
            case=verified_case,
            actor=agent,
            kind="place",
            given_by="",
            given_at=NOW + dt.timedelta(days=3),
            method="written",
            valid_until=NOW,
        )
    assert {(f.code, f.field) for f in caught.value.failures} == {
        ("FIELD_REQUIRED", "given_by"),
        ("INVALID_INPUT", "given_at"),
        ("FIELD_REQUIRED", "document"),
        ("INVALID_INPUT", "valid_until"),
        ("FIELD_REQUIRED", "address"),
    }
    assert audit_actions_since(seq) == ["debtor.consent_recorded.refused"]


def test_a_consent_is_recorded_and_withdrawn(verified_case, agent):
    seq = audit_head()
    consent = services.consent_record(
        case=verified_case,
        actor=agent,
        kind="hours",
        given_by="The debtor",
        given_at=GIVEN,
        method="written",
        upload=pdf("consent.pdf"),
    )
    assert consent.valid_from == GIVEN
    assert consent.document.kind == "consent"
    with pytest.raises(DomainError) as no_reason:
        services.consent_withdraw(case=verified_case, actor=agent, consent_id=consent.pk, reason=" ")
    assert no_reason.value.failures[0].field == "reason"

    services.consent_withdraw(case=verified_case, actor=agent, consent_id=consent.pk, reason="Debtor phoned.")

    assert audit_actions_since(seq) == [
        "case.document_added",
        "debtor.consent_recorded",
        "debtor.consent_withdrawn.refused",
        "debtor.consent_withdrawn",
    ]
    event = audit_events_since(seq)[1]
    assert "The debtor" not in str(event.data)
    assert event.data["given_by_digest"]


# --- each check, from the case page and the API ------------------------------------------------------


def test_cease_contact_from_the_case_page_refuses_the_plan(plan, agent):
    response = signed_in(agent).post(
        fact_url(plan["case"], "cease_contact"),
        {"received_on": "2026-11-20", "received_via": "letter", "scope": "all", "file": pdf()},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#facts")

    assert "CEASE_CONTACT" in refused_codes(plan)


def test_a_cease_contact_scoped_to_sms_refuses_sms_only(plan, agent):
    client = user_client(agent)
    url = reverse("api:case-debtor-facts", args=[plan["case"].pk])
    body = {"kind": "cease_contact", "scope": "sms", "received_on": "2026-11-20", "received_via": "email"}
    assert client.post(url, body, format="json").status_code == 201

    contacts = reverse("api:case-contacts", args=[plan["case"].pk])
    sms = client.post(contacts, {"channel": "sms", "at": "2026-11-23T10:00:00+08:00", "result": "sent"})
    assert sms.status_code == 409
    # The gate also names the unverified number (no phone given); the request is what matters here.
    assert "CEASE_CONTACT" in [e["code"] for e in sms.json()["errors"]]
    letter = client.post(contacts, {"channel": "letter", "at": "2026-11-23T10:00:00+08:00", "result": "sent"})
    assert letter.status_code == 201
    visit_services.visit_plan(**plan)  # visits are not covered by an SMS-only request


def test_representation_from_the_api_refuses_contact_and_routes_to_the_lawyer(plan, agent):
    client = user_client(agent)
    url = reverse("api:case-debtor-facts", args=[plan["case"].pk])
    body = {
        "kind": "representation",
        "scope": "all",
        "lawyer_name": "Zhao Lei",
        "lawyer_firm": "Zhao & Partners",
        "lawyer_contact": "+86 10 1234 5678",
    }
    created = client.post(url, body, format="json")
    assert created.status_code == 201
    assert created.json()["lawyer_name_masked"] == "Z*******"
    assert created.json()["in_force"] is True

    contacts = reverse("api:case-contacts", args=[plan["case"].pk])
    call = client.post(
        contacts, {"channel": "phone", "at": "2026-11-23T10:00:00+08:00", "result": "connected"}
    )
    assert call.status_code == 409
    assert [e["code"] for e in call.json()["errors"]] == ["REPRESENTED"]
    assert "REPRESENTED" in refused_codes(plan)
    page = signed_in(agent).get(reverse("cases:case-detail", args=[plan["case"].pk])).content.decode()
    assert "Route to the lawyer" in page
    assert "Zhao Lei" in page


def test_vulnerability_from_the_case_page_refuses_until_lifted_on_the_page(plan, agent, supervisor):
    response = signed_in(agent).post(
        fact_url(plan["case"], "vulnerability"),
        {"category": "health", "reported_by": "family", "review_due": "2026-12-20"},
    )
    assert response.status_code == 302
    assert "VULNERABLE" in refused_codes(plan)
    fact = plan["case"].debtor.facts.get()

    lifted = signed_in(supervisor).post(
        reverse("cases:case-fact-lift", args=[plan["case"].pk, fact.pk]),
        {"reason": "Reviewed with the debtor's carer; visits are fine."},
    )

    assert lifted.status_code == 302
    assert visit_services.visit_plan(**plan).pk


def test_a_fact_lifted_through_the_api_needs_a_supervisor(plan, agent, supervisor):
    fact = record_fact(plan["case"], "vulnerable", actor=agent)
    url = reverse("api:debtor-fact-lift", args=[fact.pk])
    assert user_client(agent).post(url, {"reason": "I think it is over now."}).status_code == 403
    answer = user_client(supervisor).post(url, {"reason": "Reviewed with the debtor's carer."})
    assert answer.status_code == 200
    assert answer.json()["in_force"] is False


def test_a_missing_field_through_the_page_is_named(plan, agent):
    client = signed_in(agent)
    response = client.post(fact_url(plan["case"], "representation"), {"scope": "all"}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("Lawyer's name:") for t in texts)
    assert not plan["case"].debtor.facts.exists()


def test_dispute_from_the_complaint_page_refuses_the_plan(plan, agent):
    response = signed_in(agent).post(
        reverse("cases:case-complaint-add", args=[plan["case"].pk]),
        {"kind": "complaint", "channel": "phone", "raised_by": "debtor", "text": "The amount is wrong."},
    )
    assert response.status_code == 302
    assert "DISPUTE_OPEN" in refused_codes(plan)
    page = signed_in(agent).get(reverse("cases:case-detail", args=[plan["case"].pk])).content.decode()
    assert "An open dispute or complaint blocks visits" in page


EARLY = {"window_start": local(2026, 11, 26, 7), "window_end": local(2026, 11, 26, 7, 45)}


def test_an_hours_consent_recorded_through_the_api_lets_an_early_visit_be_planned(plan, agent):
    assert "CONTACT_WINDOW" in refused_codes(plan_with(plan, **EARLY))
    url = reverse("api:case-consents", args=[plan["case"].pk])
    body = {
        "kind": "hours",
        "given_by": "The debtor",
        "given_at": "2026-11-23T09:00:00+08:00",
        "method": "phone",
    }
    created = user_client(agent).post(url, body, format="json")
    assert created.status_code == 201

    visit = visit_services.visit_plan(**plan_with(plan, **EARLY))

    assert visit.plan_decision.inputs["facts"]["consents"]["hours"] is True


def test_a_withdrawn_or_expired_hours_consent_covers_nothing(plan, agent):
    expired = services.consent_record(
        case=plan["case"],
        actor=agent,
        kind="hours",
        given_by="The debtor",
        given_at=GIVEN,
        method="phone",
        valid_until=local(2026, 11, 25, 12),
    )
    assert expired.pk
    withdrawn = services.consent_record(
        case=plan["case"], actor=agent, kind="hours", given_by="The debtor", given_at=GIVEN, method="phone"
    )
    url = reverse("api:consent-withdraw", args=[withdrawn.pk])
    assert user_client(agent).post(url, {"reason": "The debtor phoned to withdraw it."}).status_code == 200

    assert "CONTACT_WINDOW" in refused_codes(plan_with(plan, **EARLY))


def test_a_place_consent_from_the_case_page_allows_that_address_only(plan, agent):
    work = AddressFactory(debtor=plan["case"].debtor, kind="work", status="verified")
    other = AddressFactory(debtor=plan["case"].debtor, kind="other", status="verified")
    assert "PLACE_ALLOWED" in refused_codes(plan_with(plan, address_id=work.pk, place_consent=True))

    response = signed_in(agent).post(
        reverse("cases:case-consent-add", args=[plan["case"].pk]),
        {
            "kind": "place",
            "given_by": "The debtor",
            "given_at": "2026-11-23T09:00",
            "method": "in_person",
            "address": str(work.pk),
        },
    )
    assert response.status_code == 302

    assert "PLACE_ALLOWED" in refused_codes(plan_with(plan, address_id=other.pk))
    assert visit_services.visit_plan(**plan_with(plan, address_id=work.pk)).address == work


def test_a_place_marked_inconvenient_on_the_case_page_refuses_it(plan, agent, home):
    response = signed_in(agent).post(
        fact_url(plan["case"], "inconvenient_place"),
        {"address": str(home.pk), "note": "Elderly parents live there; visit the office."},
    )
    assert response.status_code == 302
    assert "PLACE_ALLOWED" in refused_codes(plan)


def test_the_case_page_masks_the_details_for_a_role_without_need(plan, agent, compliance_officer):
    record_fact(plan["case"], "represented", actor=officer())
    page = signed_in(agent).get(reverse("cases:case-detail", args=[plan["case"].pk]))
    assert page.context["can_see_fact_details"] is True
    assert page.context["can_record_fact"] is True
    assert page.context["can_lift_fact"] is False
    assert [f.kind for f in page.context["lawyers"]] == ["representation"]


@pytest.mark.parametrize("role", ["other_team_agent"])
def test_another_team_gets_404_on_the_fact_endpoints(plan, request, role):
    user = request.getfixturevalue(role)
    fact = record_fact(plan["case"], "vulnerable")
    client = signed_in(user)
    assert client.post(fact_url(plan["case"], "vulnerability"), {}).status_code == 404
    assert (
        client.post(reverse("cases:case-fact-lift", args=[plan["case"].pk, fact.pk]), {}).status_code == 404
    )
    api = user_client(user)
    assert api.get(reverse("api:case-debtor-facts", args=[plan["case"].pk])).status_code == 404
    assert api.post(reverse("api:debtor-fact-lift", args=[fact.pk]), {"reason": "x" * 20}).status_code == 404


# --- work and means: the agreement form's income pre-fill reads the recorded value -------------------


def test_work_and_means_from_the_case_page_prefill_the_agreement_income(verified_case, agent):
    client = signed_in(agent)
    seq = audit_head()
    response = client.post(
        reverse("cases:case-finances", args=[verified_case.pk]),
        {
            "occupation": "Driver",
            "employer": "Shanghai Taxi Co.",
            "monthly_income": "5200.00",
            "income_currency": "CNY",
            "assets": "A 2019 car",
            "source": "debtor",
        },
    )
    assert response.status_code == 302

    assert audit_actions_since(seq) == ["debtor.finances_recorded"]
    event = audit_events_since(seq)[0]
    assert event.data["fields"] == ["assets", "employer", "monthly_income", "occupation"]
    assert "5200" not in str(event.data)
    form = client.get(reverse("agreements:agreement-new", args=[verified_case.pk])).context["form"]
    assert form.initial["stated_income"] == Decimal("5200.00")


def test_work_and_means_through_the_api_and_their_refusals(verified_case, agent, compliance_officer):
    url = reverse("api:case-debtor-finances", args=[verified_case.pk])
    body = {"occupation": "Teacher", "monthly_income": "-1", "income_currency": "CNY", "source": "debtor"}
    refused = user_client(agent).post(url, body, format="json")
    assert refused.status_code == 409
    assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [
        ("INVALID_INPUT", "monthly_income")
    ]
    assert user_client(compliance_officer).post(url, {**body, "monthly_income": "1"}).status_code == 403

    answer = user_client(agent).post(url, {**body, "monthly_income": "8000.50"}, format="json")

    assert answer.status_code == 200
    assert Debtor.objects.get(pk=verified_case.debtor_id).monthly_income == Decimal("8000.50")
