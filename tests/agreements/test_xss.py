"""XSS in the repayment pages: the payloads of tests/test_xss.py typed into every free-text field of the
agreements forms come back escaped on the pages (case, agreement, follow-ups) and printed as text in the
agreement, the lawyer's letter, the closing report and the dossier.

tests/test_xss.py lists these fields (its `FIELDS`) and points here for them."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.models import AgreementState
from cases.models import Stage
from tests.agreements.conftest import key
from tests.agreements.test_views import data_url
from tests.test_xss import PAYLOAD, SHORT, assert_escaped_html, assert_shown_as_text_in_pdf

pytestmark = pytest.mark.django_db

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def content(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def terms(**changes: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "kind": "instalments",
        "total": "8200.50",
        "first_due_date": (today + dt.timedelta(days=20)).isoformat(),
        "instalment_count": "6",
        "frequency": "monthly",
        "method": "bank_transfer",
        "method_note": PAYLOAD,
        "conditions": PAYLOAD,
        "stated_income": "9000",
        "stated_expenses": "5000",
        "language": "zh-hans",
        "schedule": "",
        **changes,
    }


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_payloads_in_the_repayment_forms_render_escaped_in_pages_and_pdfs(
    owing, agent, supervisor, compliance_officer, tmp_path
):
    ag, sup, co = signed_in(agent), signed_in(supervisor), signed_in(compliance_officer)
    at_case = lambda name: reverse(name, args=[owing.pk])  # noqa: E731
    today = timezone.localdate()

    # A schedule that does not parse is refused, and the page shows the form back escaped.
    refused = ag.post(at_case("agreements:agreement-new"), terms(schedule=PAYLOAD))
    assert refused.status_code == 200
    assert_escaped_html(refused.content.decode(), "agreement-new refused")
    # A first draft, cancelled with a reason.
    ag.post(at_case("agreements:agreement-new"), terms())
    first = owing.agreements.get()
    assert (
        ag.post(reverse("agreements:agreement-cancel", args=[first.pk]), {"reason": PAYLOAD}).status_code
        == 302
    )
    # A settlement below the creditor's share: submitted, approved with a comment, signed before a witness.
    ag.post(at_case("agreements:agreement-new"), terms(total="7000.00"))
    second = owing.agreements.exclude(pk=first.pk).get()
    ag.post(reverse("agreements:agreement-submit", args=[second.pk]))
    sup.post(
        reverse("agreements:agreement-approve", args=[second.pk]), {"decision": "approve", "comment": PAYLOAD}
    )
    signed = ag.post(
        reverse("agreements:agreement-sign", args=[second.pk]),
        {
            "idempotency_key": key(),
            "debtor_signature": data_url(1),
            "agent_signature": data_url(2),
            "witness_signature": data_url(3),
            "witness_name": PAYLOAD,
            "debtor_understood": "on",
        },
    )
    assert signed.status_code == 302
    second.refresh_from_db()
    assert second.state == AgreementState.ACTIVE
    # A payment, a follow-up plan done, a lawyer's letter.
    sup.post(
        at_case("agreements:payment-new"),
        {
            "amount": "100.00",
            "paid_on": today.isoformat(),
            "method": "bank_transfer",
            "reference": SHORT,
            "note": PAYLOAD,
        },
    )
    assert owing.payments.get().note == PAYLOAD
    ag.post(
        at_case("agreements:follow-up-new"),
        {
            "capacity": "low",
            "willingness": "medium",
            "assessment_note": PAYLOAD,
            "short_goal": PAYLOAD,
            "long_goal": PAYLOAD,
            "next_action": "call",
            "next_action_note": PAYLOAD,
            "due_on": (today + dt.timedelta(days=3)).isoformat(),
            "owner": agent.pk,
            "review_every_days": "30",
        },
    )
    follow_up = owing.follow_ups.get()
    ag.post(reverse("agreements:follow-up-done", args=[follow_up.pk]), {"note": PAYLOAD})
    sup.post(
        at_case("agreements:escalate"),
        {
            "kind": "lawyer_letter",
            "law_firm": PAYLOAD,
            "lawyer": PAYLOAD,
            "pay_by": (today + dt.timedelta(days=14)).isoformat(),
            "note": PAYLOAD,
            "language": "zh-hans",
        },
    )
    escalation = owing.escalations.get()
    # Closed on the creditor's recall, then reopened with a reason.
    closed = sup.post(
        at_case("agreements:close"),
        {
            "reason": "recalled",
            "detail": PAYLOAD,
            "creditor_reference": SHORT,
            "documents_returned": PAYLOAD,
            "documents_returned_on": today.isoformat(),
            "documents_returned_how": PAYLOAD,
            "creditor_informed_on": today.isoformat(),
            "creditor_informed_how": PAYLOAD,
        },
    )
    assert closed.status_code == 302
    owing.refresh_from_db()
    assert owing.stage == Stage.CLOSED
    closure = owing.closures.get()
    report = content(sup.get(reverse("agreements:closing-report", args=[closure.pk])))
    sup.post(at_case("agreements:reopen"), {"reason": PAYLOAD})
    owing.refresh_from_db()
    assert owing.stage != Stage.CLOSED

    # --- the pages ---
    shown = 0
    for client, url in [
        (ag, at_case("cases:case-detail")),
        (sup, at_case("cases:case-detail")),
        (co, at_case("cases:case-detail")),
        (ag, reverse("agreements:agreement-detail", args=[first.pk])),
        (sup, reverse("agreements:agreement-detail", args=[second.pk])),
        (ag, reverse("agreements:follow-up-list")),
        (sup, reverse("agreements:follow-up-list") + "?status=done"),
    ]:
        html = content(client.get(url)).decode()
        assert_escaped_html(html, url)
        shown += html.count(ESCAPED)
    assert shown > 10  # the payloads were rendered (escaped), not dropped

    # --- the PDFs ---
    agreement_pdf = content(ag.get(reverse("agreements:agreement-pdf", args=[second.pk])))
    assert_shown_as_text_in_pdf(agreement_pdf, tmp_path, "agreement")
    letter = content(sup.get(reverse("agreements:escalation-document", args=[escalation.pk])))
    assert_shown_as_text_in_pdf(letter, tmp_path, "lawyer's letter")
    assert_shown_as_text_in_pdf(report, tmp_path, "closing report")
    dossier = co.post(at_case("cases:case-dossier"), {"profile": "regulator"})
    with zipfile.ZipFile(io.BytesIO(content(dossier))) as zf:
        pdf_name = next(n for n in zf.namelist() if n.endswith(".pdf"))
        assert_shown_as_text_in_pdf(zf.read(pdf_name), tmp_path, "dossier")
