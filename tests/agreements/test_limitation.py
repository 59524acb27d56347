"""The limitation period computed from the record (compliance/limitation.py): every demand, acknowledgement,
payment and signed agreement the pack names restarts it; the debtor's acknowledgement is recorded with
evidence from the case page and the API. Every state is reached through the recording services."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from agreements import selectors, services
from agreements.models import Acknowledgement, EscalationKind
from cases import services as case_services
from cases.models import Stage
from common.errors import DomainError, PermissionRefused
from compliance import packs
from compliance.limitation import limitation_facts, period_end
from compliance.models import RulePack
from compliance.refusals import RulesRefused
from tests.agreements.conftest import NOW
from tests.api.conftest import token_for
from tests.factories import CaseFactory, audit_actions_since, audit_events_since, audit_head, make_verifiable
from tests.visits.factories import local
from visits import services as visit_services

pytestmark = pytest.mark.django_db


def user_client(user):  # type: ignore[no-untyped-def]
    """An API client with a fresh token of `user` (tests/api/conftest.py caches tokens per test there)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


TODAY = dt.date(2026, 11, 23)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def old_debt(creditor, mandate, team, supervisor, agent):  # type: ignore[no-untyped-def]
    """A verified CN case placed as overdue since 1 March 2022: three years ran out on 1 March 2025."""
    case = CaseFactory(
        creditor=creditor,
        mandate=mandate,
        team=team,
        supervisor=supervisor,
        agents=[agent],
        overdue_since=dt.date(2022, 3, 1),
    )
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    case.refresh_from_db()
    return case


def escalate(case, actor):  # type: ignore[no-untyped-def]
    return services.case_escalate(
        case=case,
        actor=actor,
        kind=EscalationKind.LAWYER_LETTER,
        law_firm="Zhong Lun Law Firm 中伦律师事务所",
        pay_by=TODAY + dt.timedelta(days=14),
        now=NOW,
    )


def evidence(name: str = "letter.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def acknowledge(case, actor, **changes):  # type: ignore[no-untyped-def]
    values = {
        "form": "written",
        "acknowledged_at": local(2025, 9, 1, 10),
        "statement": "I owe the balance and will pay it in instalments.",
        "evidence": evidence(),
        "now": NOW,
        **changes,
    }
    return services.acknowledgement_record(case=case, actor=actor, **values)


# --- the done-when of issue 16: a demand in 2025 on a debt overdue since 2022 --------------------------


def test_without_any_interruption_escalation_is_refused_as_time_barred(old_debt, supervisor):
    limitation = selectors.case_limitation(old_debt)
    assert (limitation.last, limitation.runs_until) == (None, dt.date(2025, 3, 1))

    with pytest.raises(RulesRefused) as refused:
        escalate(old_debt, supervisor)

    assert refused.value.codes == ["LIMITATION"]


def test_a_demand_in_2025_restarts_the_period_and_escalation_is_allowed(old_debt, agent, supervisor):
    # Before the period ran out (1 March 2025), the agent spoke with the debtor and asked for payment.
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="phone", at=local(2025, 2, 20, 10), result="connected"
    )
    limitation = selectors.case_limitation(old_debt)
    assert limitation.last.kind == "connected_contact"
    assert (limitation.last.on, limitation.runs_until) == (dt.date(2025, 2, 20), dt.date(2028, 2, 20))
    assert limitation.last.by == agent.display_name
    head = audit_head()

    escalation = escalate(old_debt, supervisor)

    old_debt.refresh_from_db()
    assert old_debt.stage == Stage.ESCALATED
    # the lawyer's letter is a contact that passes the contact gate, which records it (issue 15)
    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded", "case.escalated.lawyer_letter"]
    decision = audit_events_since(head)[0]
    assert decision.data["inputs"]["facts"]["last_demand_on"] == "2025-02-20"
    assert escalation.pk


@pytest.mark.parametrize(
    ("result", "counts"),
    [("connected", True), ("no_answer", False), ("left_message", False)],
)
def test_only_a_conversation_is_a_demand_on_the_phone(old_debt, agent, result, counts):
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="phone", at=local(2025, 2, 20, 10), result=result
    )
    assert (selectors.case_limitation(old_debt).last is not None) is counts


def test_a_delivered_letter_and_a_lawyers_letter_are_demands(old_debt, agent):
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="letter", at=local(2025, 1, 5, 10), result="delivered"
    )
    assert selectors.case_limitation(old_debt).last.kind == "delivered_notice"
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="lawyer_letter", at=local(2025, 2, 5, 10), result="sent"
    )
    last = selectors.case_limitation(old_debt).last
    assert (last.kind, last.on) == ("lawyer_letter", dt.date(2025, 2, 5))


def test_a_payment_restarts_the_period(old_debt, supervisor):
    services.payment_record(
        case=old_debt,
        actor=supervisor,
        amount=Decimal("100.00"),
        currency=old_debt.currency,
        paid_on=dt.date(2025, 2, 1),
        method="bank_transfer",
        reference="P-2025-1",
    )
    limitation = selectors.case_limitation(old_debt)
    assert (limitation.last.kind, limitation.runs_until) == ("payment", dt.date(2028, 2, 1))


def test_an_event_after_the_period_ran_still_restarts_it_under_the_cn_pack(old_debt, agent, supervisor):
    # Art. 195 names the obligor's agreement to perform: a written acknowledgement after the period ran.
    acknowledge(old_debt, agent)
    assert selectors.case_limitation(old_debt).runs_until == dt.date(2028, 9, 1)
    escalate(old_debt, supervisor)


def test_under_the_uk_pack_only_written_acknowledgements_and_payments_count(
    old_debt, agent, compliance_officer, second_officer
):
    change = packs.creditor_bind_pack(
        creditor=old_debt.creditor, pack_code="uk", actor=compliance_officer, reason="UK portfolio"
    )
    packs.pack_change_approve(change=change, actor=second_officer)  # another jurisdiction: four eyes
    old_debt.creditor.refresh_from_db()
    uk = RulePack.objects.filter(code="uk").order_by("-version").first()
    assert set(uk.limitation_interrupted_by) == {"acknowledgement_written", "payment", "agreement"}
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="phone", at=local(2025, 2, 20, 10), result="connected"
    )
    acknowledge(
        old_debt, agent, form="phone", evidence=evidence("call.pdf"), acknowledged_at=local(2025, 3, 1, 10)
    )
    assert selectors.case_limitation(old_debt).last is None  # a demand, an oral acknowledgement: nothing
    acknowledge(old_debt, agent, acknowledged_at=local(2024, 6, 1, 10))
    limitation = selectors.case_limitation(old_debt)
    assert (limitation.last.kind, limitation.years) == ("acknowledgement_written", 6)
    assert limitation.runs_until == dt.date(2030, 6, 1)


def test_shipped_packs_carry_the_limitation_and_gentler_parameters():
    for code in ("cn-default", "us", "uk"):
        versions = list(RulePack.objects.filter(code=code).order_by("-version"))
        current, first = versions[0], versions[-1]
        assert current.version > first.version  # a new version: the landed one is untouched
        assert first.limitation_interrupted_by == []
        assert first.gentler_attempts == 0
        assert current.limitation_interrupted_by
        assert current.gentler_attempts > 0
        assert "GENTLER_FIRST" in current.overridable
        assert {"limitation", "gentler_first"} <= set(current.sources)


def test_the_period_ends_on_the_same_date_years_later():
    assert period_end(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)


def test_a_pack_that_counts_nothing_ignores_every_event(old_debt, agent):
    v1 = RulePack.objects.get(code="cn-default", version=1)
    visit_services.contact_record(
        case=old_debt, actor=agent, channel="phone", at=local(2025, 2, 20, 10), result="connected"
    )
    assert limitation_facts(case=old_debt, pack=v1).last is None


# --- the acknowledgement: service, refusals, page, API --------------------------------------------------


def test_an_acknowledgement_is_recorded_with_its_evidence_and_audited(old_debt, agent):
    head = audit_head()

    ack = acknowledge(old_debt, agent)

    assert ack.evidence_type == "application/pdf"
    assert len(ack.evidence_sha256) == 64
    assert audit_actions_since(head) == ["acknowledgement.recorded"]
    data = audit_events_since(head)[0].data
    assert data["evidence_sha256"] == ack.evidence_sha256
    assert "instalments" not in str(data)  # the statement only as a digest
    assert selectors.case_limitation(old_debt).last.ref == f"acknowledgement #{ack.pk}"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"form": "telepathy"}, "INVALID_INPUT", "form"),
        ({"acknowledged_at": None}, "FIELD_REQUIRED", "acknowledged_at"),
        ({"acknowledged_at": NOW + dt.timedelta(days=1)}, "GIVEN_IN_FUTURE", "acknowledged_at"),
        ({"acknowledged_at": local(2021, 1, 1, 10)}, "DATE_INVALID", "acknowledged_at"),
        ({"statement": "yes"}, "FIELD_REQUIRED", "statement"),
        ({"evidence": None}, "EVIDENCE_REQUIRED", "evidence"),
        ({"evidence": evidence("x.pdf", b"not a pdf at all")}, "UPLOAD_TYPE", "evidence"),
    ],
)
def test_each_bad_input_is_refused_naming_the_field(old_debt, agent, changes, code, field):
    head = audit_head()

    with pytest.raises(DomainError) as refused:
        acknowledge(old_debt, agent, **changes)

    assert [(f.code, f.field) for f in refused.value.failures] == [(code, field)]
    assert audit_actions_since(head) == ["acknowledgement.record.refused"]
    assert not Acknowledgement.objects.exists()


def test_an_agent_of_another_team_may_not_record_one(old_debt, other_team_agent):
    with pytest.raises(PermissionRefused):
        acknowledge(old_debt, other_team_agent)


def test_the_case_page_shows_the_period_and_records_an_acknowledgement(client, old_debt, agent):
    client.force_login(agent)
    page = client.get(reverse("cases:case-detail", args=[old_debt.pk])).content.decode()
    assert "2025-03-01" in page
    assert reverse("agreements:acknowledgement-new", args=[old_debt.pk]) in page

    url = reverse("agreements:acknowledgement-new", args=[old_debt.pk])
    refused = client.post(
        url, {"form": "written", "acknowledged_at": "2025-09-01T10:00", "statement": "I owe it."}
    )
    assert refused.status_code == 200
    assert "EVIDENCE_REQUIRED" not in refused.content.decode()  # the form's own check: the file is required
    assert not Acknowledgement.objects.exists()
    short = client.post(
        url,
        {
            "form": "written",
            "acknowledged_at": "2025-09-01T10:00",
            "statement": "yes",
            "evidence": evidence(),
        },
    )
    assert "FIELD_REQUIRED" in short.content.decode()

    done = client.post(
        url,
        {
            "form": "written",
            "acknowledged_at": "2025-09-01T10:00",
            "statement": "I owe the balance and will pay.",
            "evidence": evidence(),
        },
    )
    assert done.status_code == 302
    page = client.get(reverse("cases:case-detail", args=[old_debt.pk])).content.decode()
    assert "2028-09-01" in page
    assert agent.display_name in page


def test_a_user_outside_the_case_gets_404_on_the_page(client, old_debt, other_team_agent):
    client.force_login(other_team_agent)
    assert client.get(reverse("agreements:acknowledgement-new", args=[old_debt.pk])).status_code == 404


def test_the_api_reads_the_period_and_records_an_acknowledgement(old_debt, agent, other_team_agent):
    api = user_client(agent)
    url = reverse("api:case-acknowledgements", args=[old_debt.pk])
    body = {
        "form": "written",
        "acknowledged_at": "2025-09-01T02:00:00Z",
        "statement": "I owe the balance and will pay.",
        "evidence": {"name": "letter.pdf", "content_base64": base64.b64encode(PDF).decode()},
    }
    bad = api.post(
        url, {**body, "evidence": {"name": "x.pdf", "content_base64": base64.b64encode(b"nope").decode()}}
    )
    assert bad.status_code == 409
    assert [e["code"] for e in bad.json()["errors"]] == ["UPLOAD_TYPE"]
    not_b64 = api.post(url, {**body, "evidence": {"name": "x.pdf", "content_base64": "***"}})
    assert not_b64.status_code == 422

    created = api.post(url, body)

    assert created.status_code == 201, created.json()
    assert created.json()["evidence_sha256"] == Acknowledgement.objects.get().evidence_sha256
    period = api.get(reverse("api:case-limitation", args=[old_debt.pk])).json()
    assert period["runs_until"] == "2028-09-01"
    assert period["last_interruption"]["kind"] == "acknowledgement_written"
    assert api.get(url).json()["results"][0]["form"] == "written"
    outsider = user_client(other_team_agent)
    assert outsider.get(reverse("api:case-limitation", args=[old_debt.pk])).status_code == 404
    assert outsider.post(url, body).status_code == 404


def test_retention_deletes_the_evidence_and_blanks_the_statement(old_debt, agent):
    from agreements.limitation_sources import anonymize
    from compliance.registry import RetentionContext

    ack = acknowledge(old_debt, agent)
    storage, name = ack.evidence.storage, ack.evidence.name
    context = RetentionContext(case_id=old_debt.pk, now=NOW, dry_run=True)
    assert [(i.what, i.count) for i in anonymize(context)] == [("acknowledgement.evidence", 1)]
    assert storage.exists(name)

    anonymize(RetentionContext(case_id=old_debt.pk, now=NOW, dry_run=False))

    ack.refresh_from_db()
    assert (ack.statement, ack.evidence.name, len(ack.evidence_sha256)) == ("", "", 64)
    assert not storage.exists(name)
    assert not Acknowledgement.history.exclude(statement="").exists()
