"""The agreements pages: the case page's repayment section, drafting, signing with drawn signatures,
the debtor's one-time link, payments and their import, follow-ups, escalation and closure; bounded
queries; 404 for every agreements URL with an object id, for every role outside the case."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from agreements import services
from agreements.models import AgreementState, Payment
from cases import services as case_services
from cases.models import Stage
from compliance.models import AuditEvent
from tests.agreements.conftest import key, sign, signature_png, terms
from tests.cases.test_views import CASE_PAGE_QUERIES
from tests.fixtures.placement import csv_bytes
from tests.visits.factories import VisitFactory, local

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def data_url(seed: int) -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png(seed)).decode()


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_the_case_page_shows_the_repayment_section_and_its_actions(owing, agent, supervisor):
    agent_page = signed_in(agent).get(reverse("cases:case-detail", args=[owing.pk])).content.decode()
    boss_page = signed_in(supervisor).get(reverse("cases:case-detail", args=[owing.pk])).content.decode()

    assert 'id="agreements"' in agent_page
    assert reverse("agreements:agreement-new", args=[owing.pk]) in agent_page
    assert reverse("agreements:payment-new", args=[owing.pk]) not in agent_page  # agents handle no money
    assert reverse("agreements:payment-new", args=[owing.pk]) in boss_page
    assert reverse("agreements:close", args=[owing.pk]) in boss_page


def test_an_agent_drafts_and_signs_an_agreement_through_the_pages(owing, agent):
    client = signed_in(agent)
    response = client.post(
        reverse("agreements:agreement-new", args=[owing.pk]),
        {
            "kind": "instalments",
            "total": "8200.50",
            "first_due_date": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
            "instalment_count": "6",
            "frequency": "monthly",
            "method": "bank_transfer",
            "stated_income": "9000",
            "stated_expenses": "5000",
            "language": "zh-hans",
            "schedule": "",
        },
    )
    agreement = owing.agreements.get()
    assert response.url == reverse("agreements:agreement-detail", args=[agreement.pk])
    detail = client.get(response.url).content.decode()
    assert reverse("agreements:agreement-sign", args=[agreement.pk]) in detail

    signed = client.post(
        reverse("agreements:agreement-sign", args=[agreement.pk]),
        {
            "idempotency_key": key(),
            "debtor_signature": data_url(1),
            "agent_signature": data_url(2),
            "witness_signature": data_url(3),
            "witness_name": "Chen Jing",
            "debtor_understood": "on",
        },
    )

    assert signed.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.ACTIVE
    pdf = client.get(reverse("agreements:agreement-pdf", args=[agreement.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="agreement.pdf_viewed").count() == 1


def test_a_sign_page_without_signatures_names_each_missing_one(draft, agent):
    response = signed_in(agent).post(
        reverse("agreements:agreement-sign", args=[draft.pk]),
        {"idempotency_key": key(), "witness_name": "", "debtor_understood": ""},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "[SIGNATURE_MISSING]" in page
    assert "[UNDERSTANDING_REQUIRED]" in page


def test_the_debtor_signs_through_the_link_page(
    draft, agent, settings, tmp_path, django_capture_on_commit_callbacks
):
    from cases.models import DebtorPhone
    from common.pii import phone_digest

    DebtorPhone.objects.create(
        debtor=draft.case.debtor, number="13800138000", digest=phone_digest("13800138000"), status="verified"
    )
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        services.signing_link_send(agreement=draft, actor=agent, channel="sms")
    token = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").split("/agreements/s/")[1].split("/")[0]
    url = reverse("agreements:public-sign", args=[token])
    debtor = Client()

    first = debtor.get(url)
    wrong = debtor.post(url, {"id_last4": "0000"})
    debtor.post(url, {"id_last4": draft.case.debtor.id_number[-4:]})
    terms_page = debtor.get(url)
    done = debtor.post(url, {"signature": data_url(9), "understood": "on"})

    assert "id_last4" in first.content.decode()
    assert "8200.50" not in first.content.decode()  # nothing about the debt before the identity check
    assert "does not match" in wrong.content.decode()
    assert "8200.50" in terms_page.content.decode()
    assert done.status_code == 200
    assert draft.signatures.get(role="debtor").via == "remote"
    assert debtor.get(url).status_code == 404  # used once


def test_a_supervisor_records_a_payment_and_imports_a_file(active, owing, supervisor, creditor):
    client = signed_in(supervisor)

    client.post(
        reverse("agreements:payment-new", args=[owing.pk]),
        {
            "amount": "500.00",
            "paid_on": dt.date.today().isoformat(),
            "method": "bank_transfer",
            "reference": "WEB-1",
        },
    )
    data = csv_bytes(
        [
            {
                "external_ref": owing.external_ref,
                "amount": "100",
                "currency": "CNY",
                "paid_on": "2026-11-20",
                "method": "bank_transfer",
                "reference": "WEB-2",
                "note": "",
            }
        ],
        header=("external_ref", "amount", "currency", "paid_on", "method", "reference", "note"),
    )
    imported = client.post(
        reverse("agreements:payments-import"),
        {"creditor": creditor.pk, "file": SimpleUploadedFile("pay.csv", data, content_type="text/csv")},
        follow=True,
    )

    assert set(Payment.objects.values_list("reference", flat=True)) == {"WEB-1", "WEB-2"}
    assert any("1 payments recorded" in m for m in messages_of(imported))


def test_the_close_page_refuses_naming_the_field_then_closes(owing, supervisor):
    client = signed_in(supervisor)
    url = reverse("agreements:close", args=[owing.pk])

    refused = client.post(
        url, {"reason": "paid_in_full", "creditor_informed_on": "", "creditor_informed_how": ""}
    )
    services.payment_record(
        case=owing,
        actor=supervisor,
        amount=owing.outstanding,
        currency="CNY",
        paid_on=dt.date.today(),
        method="bank_transfer",
        reference="ALL",
    )
    done = client.post(
        url,
        {
            "reason": "paid_in_full",
            "creditor_informed_on": dt.date.today().isoformat(),
            "creditor_informed_how": "e-mail",
            "documents_returned": "Loan contract",
            "documents_returned_on": dt.date.today().isoformat(),
            "documents_returned_how": "By hand",
        },
    )

    assert "[PAYMENTS_SHORT]" in refused.content.decode()
    assert "[CHECKLIST_INCOMPLETE]" in refused.content.decode()
    assert done.status_code == 302
    owing.refresh_from_db()
    assert owing.stage == Stage.CLOSED
    report = client.get(reverse("agreements:closing-report", args=[owing.closures.get().pk]))
    assert b"".join(report.streaming_content).startswith(b"%PDF")


def test_the_follow_up_list_shows_overdue_plans_first(owing, agent):
    services.follow_up_plan(
        case=owing,
        actor=agent,
        next_action="call",
        due_on=dt.date.today() + dt.timedelta(days=2),
        owner=agent,
    )

    page = signed_in(agent).get(reverse("agreements:follow-up-list"))

    assert page.status_code == 200
    assert len(page.context["upcoming"]) == 1
    assert page.context["overdue"] == []


def test_the_case_page_and_the_agreement_page_use_a_bounded_number_of_queries(
    active, owing, supervisor, django_assert_max_num_queries
):
    client = signed_in(supervisor)
    for n in range(5):
        services.payment_record(
            case=owing,
            actor=supervisor,
            amount=Decimal("10.00"),
            currency="CNY",
            paid_on=dt.date.today(),
            method="bank_transfer",
            reference=f"Q-{n}",
        )
    # The agreement page: session, user, permissions, the agreement with its case, instalments and
    # signatures (one prefetch each), its payments, the credit, the rule preview's facts and pack.
    with django_assert_max_num_queries(22):
        assert client.get(reverse("agreements:agreement-detail", args=[active.pk])).status_code == 200


def _case_page_queries(client: Client, case, bound) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    ContentType.objects.clear_cache()
    with bound(CASE_PAGE_QUERIES), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:case-detail", args=[case.pk]))
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_the_case_page_costs_the_same_queries_for_a_small_and_a_big_case(
    request, owing, agent, supervisor, role, django_assert_max_num_queries
):
    # At most CASE_PAGE_QUERIES (15; what they are: tests/cases/test_views.py), whatever the number of
    # visits, agreements, instalments, signatures, payments, complaints and timeline entries: the page
    # reads its lists in one bundle and the repayment section in another (common/bundle.py).
    client = signed_in(request.getfixturevalue(role))
    client.get(reverse("cases:case-detail", args=[owing.pk]))  # process-wide caches (guardian's) warm
    small, _html = _case_page_queries(client, owing, django_assert_max_num_queries)

    superseded = services.agreement_draft(case=owing, actor=agent, **terms())
    sign(superseded, agent)
    for n in range(8):
        services.payment_record(
            case=owing,
            actor=supervisor,
            amount=Decimal("10.00"),
            currency="CNY",
            paid_on=dt.date(2026, 11, 20),
            method="bank_transfer",
            reference=f"BIG-{n}",
        )
    for n in range(6):
        VisitFactory(
            case=owing,
            planned_by=agent,
            agents=[agent],
            window_start=local(2026, 12, 1 + n, 10),
            window_end=local(2026, 12, 1 + n, 12),
        )
    for n in range(3):
        case_services.complaint_record(
            case=owing, actor=agent, channel="phone", text=f"complaint {n}", raised_by="debtor"
        )
    assert AuditEvent.objects.filter(case_id=owing.pk).count() >= 20
    big, html = _case_page_queries(client, owing, django_assert_max_num_queries)

    assert small == big
    assert superseded.number in html
    assert all(f"BIG-{n}" in html for n in range(8))
    assert html.count("visits/") >= 6


# --- outsiders: every agreements URL with an object id answers 404 -----------------------------------


def agreements_object_urls() -> list[tuple[str, URLPattern]]:
    (resolver,) = [
        r for r in get_resolver().url_patterns if isinstance(r, URLResolver) and r.namespace == "agreements"
    ]
    return [
        (f"agreements:{e.name}", e)
        for e in resolver.url_patterns
        if isinstance(e, URLPattern)
        and any(isinstance(c, IntConverter) for c in e.pattern.converters.values())
    ]


@pytest.mark.parametrize("role", ["other_supervisor", "other_team_agent", "administrator"])
def test_every_agreements_object_url_is_404_for_outsiders(active, owing, supervisor, all_roles, role):
    follow_up = services.follow_up_plan(
        case=owing,
        actor=supervisor,
        next_action="call",
        due_on=dt.date.today() + dt.timedelta(days=1),
        owner=supervisor,
    )
    escalation = services.case_escalate(case=owing, actor=supervisor, kind="litigation", law_firm="Firm")
    ids = {
        "case_pk": owing.pk,
        "agreement": active.pk,
        "follow-up-done": follow_up.pk,
        "escalation-document": escalation.pk,
        "closing-report": 999,
    }
    client = signed_in(all_roles[role])
    before = AuditEvent.objects.count()
    for name, pattern in agreements_object_urls():
        kwargs = {}
        for converter in pattern.pattern.converters:
            short = name.split(":")[1]
            kwargs[converter] = ids["case_pk"] if converter == "case_pk" else ids.get(short, ids["agreement"])
        url = reverse(name, kwargs=kwargs)
        got, posted = (
            client.get(url),
            client.post(url, {"reason": "x" * 12, "decision": "approve", "idempotency_key": key()}),
        )
        assert got.status_code in (404, 405), (name, got.status_code)
        assert posted.status_code == 404, (name, posted.status_code)
    assert AuditEvent.objects.count() == before
