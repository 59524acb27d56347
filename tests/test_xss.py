"""XSS: payloads typed into every free-text field of the forms come back escaped, in the HTML pages and
in the PDFs (visit report, debt statement, case dossier, audit export).

`FIELDS` names every free-text field of every form of the project (read from the forms modules);
`test_every_free_text_field_is_listed` fails when a new one appears until it is listed — with the
journey step that submits the payload, or with why its value is never shown back. The journey then
submits the payloads (through the pages where a plain form does it, through the same services where a
multi-step wizard does; the repayment forms in tests/agreements/test_xss.py), and every page of each role and every PDF is searched: the payload must never
appear as markup, `{{7*7}}` never as 49, and no `javascript:` URL in an attribute.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import Case
from compliance import exports, retention, search
from compliance.alerts import alert_acknowledge, alert_raise
from compliance.models import Complaint
from tests.factories import JPEG_BYTES, PDF_BYTES, TODAY, gentler_channels_tried
from tests.fixtures.placement import csv_bytes, valid_row
from tests.visits.conftest import (
    APPROVED_AT,
    ARRIVAL,
    CHECKLIST,
    END,
    NOTICE_AT,
    NOW,
    START,
    attest_all,
    checks,
    conversation,
    keyed,
)
from visits import services as visit_services

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{IMG}{TEMPLATE}{JS_URL}"
SHORT = SCRIPT  # for fields of at most 64 characters

FORM_MODULES = [
    "cases.forms",
    "cases.import_views",
    "visits.forms",
    "visits.onsite_forms",
    "visits.notice_forms",
    "compliance.forms",
    "compliance.pack_views",
    "agreements.forms",
    "accounts.two_factor_views",
    "accounts.views",
]
JOURNEY = "journey"
FIELDS: dict[str, str] = {
    "cases.forms.AddressForm.text": JOURNEY,
    "cases.forms.AssessmentForm.note": JOURNEY,
    "cases.forms.BulkSelectForm.page_ids": "digits and commas only (validated); never shown back but as ids",
    "cases.forms.CaseFilterForm.pd": "a phone digest: 64 hex digits (validated), never shown back",
    "cases.forms.CaseFilterForm.phone": "turned into its digest; the number is never shown back",
    "cases.forms.PhoneAddForm.number": "refused unless 5 to 15 digits (an optional +); shown only masked",
    "cases.forms.CaseFilterForm.q": JOURNEY,
    "cases.forms.ComplaintForm.text": JOURNEY,
    "cases.forms.IdentityCheckForm.method": JOURNEY,
    "cases.forms.ResolveForm.reason": JOURNEY,
    "cases.forms.RevokeForm.reason": JOURNEY,
    "cases.forms.SavedFilterForm.name": JOURNEY,
    "cases.forms.SavedFilterForm.query": "only re-encoded into the case list's link (keys checked by the service)",
    "cases.forms.UnverifyForm.reason": JOURNEY,
    "cases.forms.WorkspaceComplaintForm.text": JOURNEY,
    "visits.forms.OverrideForm.reason": "the supervisor's override reason: stored and shown as VisitPlanForm.override_reason's (journey)",
    "visits.forms.ReasonForm.reason": JOURNEY,
    "visits.forms.VisitPlanForm.note": JOURNEY,
    "visits.forms.VisitPlanForm.override_reason": JOURNEY,
    "visits.onsite_forms.AbortForm.reason": "stored as a digest only (visit.aborted data.reason_digest)",
    "visits.onsite_forms.AttestForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.CheckInForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.ChecksForm.authorization_number": JOURNEY,
    "visits.onsite_forms.ChecksForm.id_last4": "compared with the document on file, never stored",
    "visits.onsite_forms.CommentForm.comment": JOURNEY,
    "visits.onsite_forms.CompleteForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.ConversationForm.people_present": JOURNEY,
    "visits.onsite_forms.ConversationForm.talking_points": JOURNEY,
    "visits.onsite_forms.ConversationForm.default_reasons": JOURNEY,
    "visits.onsite_forms.ConversationForm.incident_note": JOURNEY,
    "visits.onsite_forms.EvidenceForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.EvidenceForm.caption": JOURNEY,
    "visits.onsite_forms.HandOverForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.KeyedForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "visits.onsite_forms.NotDebtorForm.third_party_note": "the 'debtor not met' branch: tests/visits/test_onsite_views.py renders it",
    "visits.onsite_forms.OutcomeForm.dispute_text": "the dispute outcome opens a complaint: its text is ComplaintForm.text's",
    "visits.onsite_forms.OutcomeForm.reschedule_note": JOURNEY,
    "visits.onsite_forms.OutcomeForm.summary": JOURNEY,
    "visits.notice_forms.AnswerForm.note": JOURNEY,
    "visits.notice_forms.ComplaintForm.text": JOURNEY,
    "visits.notice_forms.ContactForm.note": JOURNEY,
    "visits.notice_forms.NoticeForm.email": "an EmailField: a payload is not an e-mail address and is refused",
    "visits.notice_forms.NoticeForm.text": JOURNEY,
    "visits.notice_forms.ResumeForm.reason": "stored as a digest only (case.visits_resumed data.reason_digest)",
    "visits.notice_forms.TemplateForm.subject": JOURNEY,
    "visits.notice_forms.TemplateForm.body": JOURNEY,
    "compliance.forms.AccessLogForm.actor": JOURNEY,
    "compliance.forms.AlertAcknowledgeForm.note": JOURNEY,
    "compliance.forms.AuditSearchForm.case": "cleaned to a case id; an unknown reference is echoed only in the form error (autoescaped)",
    "compliance.forms.ExportForm.case": "cleaned to a case id; an unknown reference is echoed only in the form error (autoescaped)",
    "compliance.forms.AuditSearchForm.debtor": JOURNEY,
    "compliance.forms.AuditSearchForm.actor": JOURNEY,
    "compliance.forms.AuditSearchForm.action": JOURNEY,
    "compliance.forms.AuditSearchForm.code": JOURNEY,
    "compliance.forms.DebtorLookupForm.id_number": "posted, turned into a digest, never shown back",
    "compliance.forms.DecisionFilterForm.action": JOURNEY,
    "compliance.forms.ExportForm.debtor": "the same fields as AuditSearchForm, in the export's filter (PDF)",
    "compliance.forms.ExportForm.actor": "the same fields as AuditSearchForm, in the export's filter (PDF)",
    "compliance.forms.ExportForm.action": JOURNEY,
    "compliance.forms.ExportForm.code": "the same fields as AuditSearchForm, in the export's filter (PDF)",
    "compliance.forms.LegalHoldForm.reason": JOURNEY,
    "compliance.forms.LegalHoldLiftForm.reason": JOURNEY,
    "compliance.pack_views.DecideForm.note": "posted with a script and checked escaped on the change pages "
    "(tests/compliance/test_pack_four_eyes.py::test_reason_and_note_come_back_escaped)",
    "compliance.forms.MonthForm.month": JOURNEY,
    "compliance.forms.ReportFilterForm.code": JOURNEY,
    "compliance.forms.ReportFilterForm.actor": JOURNEY,
    "agreements.forms.AgreementForm.method_note": "tests/agreements/test_xss.py",
    "agreements.forms.AgreementForm.conditions": "tests/agreements/test_xss.py",
    "agreements.forms.AgreementForm.schedule": "tests/agreements/test_xss.py",
    "agreements.forms.ApprovalForm.comment": "tests/agreements/test_xss.py",
    "agreements.forms.CloseForm.detail": "tests/agreements/test_xss.py",
    "agreements.forms.CloseForm.creditor_reference": "tests/agreements/test_xss.py",
    "agreements.forms.CloseForm.documents_returned": "tests/agreements/test_xss.py",
    "agreements.forms.CloseForm.documents_returned_how": "tests/agreements/test_xss.py",
    "agreements.forms.CloseForm.creditor_informed_how": "tests/agreements/test_xss.py",
    "agreements.forms.DoneForm.note": "tests/agreements/test_xss.py",
    "agreements.forms.AcknowledgementRecordForm.statement": (
        "kept with the acknowledgement of the debt, shown on no page (the audit holds its digest)"
    ),
    "agreements.forms.EscalationForm.law_firm": "tests/agreements/test_xss.py",
    "agreements.forms.EscalationForm.lawyer": "tests/agreements/test_xss.py",
    "agreements.forms.EscalationForm.note": "tests/agreements/test_xss.py",
    "agreements.forms.FollowUpForm.assessment_note": "tests/agreements/test_xss.py",
    "agreements.forms.FollowUpForm.short_goal": "tests/agreements/test_xss.py",
    "agreements.forms.FollowUpForm.long_goal": "tests/agreements/test_xss.py",
    "agreements.forms.FollowUpForm.next_action_note": "tests/agreements/test_xss.py",
    "agreements.forms.IdentifyForm.id_last4": "compared with the ID number on file, never stored",
    "agreements.forms.KeyedForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "agreements.forms.PaymentForm.reference": "tests/agreements/test_xss.py",
    "agreements.forms.PaymentForm.note": "tests/agreements/test_xss.py",
    "agreements.forms.ReasonForm.reason": "tests/agreements/test_xss.py",
    "agreements.forms.RemoteSignForm.signature": "a drawn signature as a data: URL: decoded to a PNG or refused, never shown as text",
    "agreements.forms.SignForm.idempotency_key": "a hidden key the form makes; checked, never shown",
    "agreements.forms.SignForm.debtor_signature": "a drawn signature as a data: URL: decoded to a PNG or refused, never shown as text",
    "agreements.forms.SignForm.agent_signature": "a drawn signature as a data: URL: decoded to a PNG or refused, never shown as text",
    "agreements.forms.SignForm.witness_signature": "a drawn signature as a data: URL: decoded to a PNG or refused, never shown as text",
    "agreements.forms.SignForm.witness_name": "tests/agreements/test_xss.py",
    "agreements.forms.SigningLinkForm.email": "an EmailField: a payload is not an e-mail address and is refused",
    "accounts.two_factor_views.CodeForm.code": "a one-time code: compared, never stored or shown",
    "accounts.views.LoginForm.username": JOURNEY,
    "accounts.views.LoginForm.password": "a password: never shown",
}


def free_text_fields() -> set[str]:
    found = set()
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module_name:
                continue
            for field_name, field in getattr(cls, "base_fields", {}).items():
                if isinstance(field, forms.CharField):
                    found.add(f"{module_name}.{name}.{field_name}")
    # Forms defined in the auth views (Django's own) come in through accounts.views' subclass.
    found |= {f"accounts.views.LoginForm.{f}" for f in ("username", "password")}
    return found


def test_every_free_text_field_is_listed():
    found = free_text_fields()

    assert found - set(FIELDS) == set(), (
        "list the new free-text field in FIELDS (journey, or why it is never shown)"
    )
    assert set(FIELDS) - found == set(), "FIELDS lists a field that no longer exists"


# --- what an escaped page looks like -------------------------------------------------------------------

JS_IN_ATTRIBUTE = re.compile(
    r"""(href|src|action|formaction|data)\s*=\s*["']?\s*javascript:""", re.IGNORECASE
)


def assert_escaped_html(html: str, where: str) -> None:
    assert SCRIPT not in html, where
    assert "<img src=x onerror" not in html, where
    assert not JS_IN_ATTRIBUTE.search(html), where


def pdf_text(content: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return re.sub(r"\s+", "", out.stdout)


def assert_shown_as_text_in_pdf(content: bytes, tmp_path, where: str) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(content, tmp_path)
    # Escaped, the payload is printed as the characters typed; as markup it would vanish (a script
    # element renders nothing) and leave no "<script>" text behind.
    assert re.sub(r"\s+", "", SCRIPT) in text, where
    assert "{{7*7}}" in text, where


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_payloads_in_every_free_text_field_render_escaped_in_pages_and_pdfs(
    shipped_rule_packs,
    creditor,
    mandate,
    supervisor,
    agent,
    other_agent,
    compliance_officer,
    django_capture_on_commit_callbacks,
    tmp_path,
):
    sup, ag, co = Client(), Client(), Client()
    sup.force_login(supervisor)
    ag.force_login(agent)
    co.force_login(compliance_officer)
    # --- the import: the creditor's file carries the payloads in its text cells ---
    row = valid_row(
        3, debtor_name=f"李{PAYLOAD}", home_address=f"上海市{PAYLOAD}", product=SHORT, contract_no=SHORT
    )
    preview = case_services.placement_upload_preview(
        creditor=creditor,
        upload=SimpleUploadedFile("p.csv", csv_bytes([row])),
        actor=supervisor,
        supervisor=supervisor,
    )
    case_services.placement_upload_confirm(placement_import=preview, actor=supervisor)
    case = Case.objects.get(external_ref=row["external_ref"])
    case_services.case_assign_agents(case=case, agents=[agent, other_agent], actor=supervisor)
    at_case = lambda name, *args: reverse(name, args=[case.pk, *args])  # noqa: E731
    # --- the case page's forms, as the agent fills them ---
    assert ag.post(at_case("cases:case-identity"), {"method": PAYLOAD}).status_code == 302
    assert (
        ag.post(
            at_case("cases:case-address-add"),
            {"kind": "work", "text": PAYLOAD, "time_zone": "Asia/Shanghai", "source": "creditor"},
        ).status_code
        == 302
    )
    extra = case.debtor.addresses.get(kind="work", text=PAYLOAD)
    assert ag.post(at_case("cases:case-address-invalidate", extra.pk), {"reason": PAYLOAD}).status_code == 302
    home = case.debtor.addresses.get(kind="home")
    assert ag.post(at_case("cases:case-address-verify", home.pk), {"source": "field"}).status_code == 302
    assert (
        ag.post(
            at_case("cases:case-document-add"),
            {"kind": "contract", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)},
        ).status_code
        == 302
    )
    assert (
        ag.post(
            at_case("cases:case-assessment"), {"capacity": "low", "willingness": "medium", "note": PAYLOAD}
        ).status_code
        == 302
    )
    assert ag.post(at_case("cases:case-transition", "verify")).status_code == 302
    assert ag.post(at_case("cases:case-transition", "unverify"), {"reason": PAYLOAD}).status_code == 302
    assert ag.post(at_case("cases:case-transition", "verify")).status_code == 302
    case.refresh_from_db()
    assert case.stage == "verified"
    # --- planning: a plan sent back with a reason, resubmitted, approved; the notice and its answer ---
    gentler_channels_tried(case, agent, before=NOW)  # GENTLER_FIRST: a letter, a call, an SMS first
    visit = visit_services.visit_plan(
        case=case,
        actor=agent,
        address_id=home.pk,
        purpose="negotiate",
        window_start=START,
        window_end=END,
        agents=[agent, other_agent],
        checklist=CHECKLIST,
        note=PAYLOAD,
        override_reason=PAYLOAD,
        now=NOW,
    )
    assert (
        sup.post(reverse("visits:visit-send-back", args=[visit.pk]), {"reason": PAYLOAD}).status_code == 302
    )
    visit_services.visit_resubmit(
        visit=visit,
        actor=agent,
        window_start=START,
        window_end=END,
        agents=[agent, other_agent],
        checklist=CHECKLIST,
        note=PAYLOAD,
        now=NOW,
    )
    visit_services.visit_approve(visit=visit, actor=supervisor, now=APPROVED_AT)
    with django_capture_on_commit_callbacks(execute=True):
        notice = visit_services.notice_record(
            visit=visit,
            actor=agent,
            channel="phone",
            given_at=NOTICE_AT,
            language="zh-hans",
            text=PAYLOAD,
            now=NOTICE_AT + dt.timedelta(minutes=5),
        )
        visit_services.notice_answer(
            notice=notice,
            actor=agent,
            answer="accepted",
            note=PAYLOAD,
            now=NOTICE_AT + dt.timedelta(minutes=6),
        )
        visit_services.contact_record(
            case=case,
            actor=agent,
            channel="phone",
            at=NOTICE_AT,
            result="connected",
            note=PAYLOAD,
            now=NOTICE_AT,
        )
    visit_services.notice_template_save(
        language="en",
        group="letter",
        subject=PAYLOAD,
        body=f"{PAYLOAD} {{date}} {{window}} {{link}}",
        actor=supervisor,
    )
    # --- on site (the wizard's steps, through the same services its views call) ---
    visit_services.visit_check_in(visit=visit, actor=agent, idempotency_key=keyed(), now=ARRIVAL)
    visit_services.visit_check_in(
        visit=visit, actor=other_agent, idempotency_key=keyed(), now=ARRIVAL + dt.timedelta(minutes=1)
    )
    visit.refresh_from_db()
    visit_services.visit_log_save(
        visit=visit,
        actor=agent,
        step="checks",
        data=checks(visit, authorization_number=SHORT),
        now=ARRIVAL + dt.timedelta(minutes=3),
    )
    visit_services.visit_log_save(
        visit=visit,
        actor=agent,
        step="conversation",
        data=conversation(
            people_present=PAYLOAD,
            talking_points=PAYLOAD,
            default_reasons=PAYLOAD,
            safety_incident=True,
            incident_note=PAYLOAD,
        ),
        now=ARRIVAL + dt.timedelta(minutes=36),
    )
    visit_services.evidence_add(
        visit=visit,
        actor=agent,
        idempotency_key=keyed(),
        caption=PAYLOAD,
        upload=SimpleUploadedFile("door.jpg", JPEG_BYTES, content_type="image/jpeg"),
    )
    visit_services.visit_log_save(
        visit=visit,
        actor=agent,
        step="outcome",
        data={
            "outcome": "promise_to_pay",
            "promise_amount": Decimal("100.00"),
            "promise_date": dt.date(2026, 12, 20),
            "summary": PAYLOAD,
            "reschedule_note": PAYLOAD,
        },
        now=ARRIVAL + dt.timedelta(minutes=38),
    )
    attest_all(visit)
    with django_capture_on_commit_callbacks(execute=True):
        visit_services.visit_complete(
            visit=visit, actor=agent, idempotency_key=keyed(), now=ARRIVAL + dt.timedelta(minutes=45)
        )
    assert sup.post(reverse("visits:log-return", args=[visit.pk]), {"comment": PAYLOAD}).status_code == 302
    # --- complaints and the compliance workspace ---
    assert (
        ag.post(
            at_case("cases:case-complaint-add"),
            {"kind": "complaint", "channel": "phone", "raised_by": "debtor", "text": PAYLOAD},
        ).status_code
        == 302
    )
    assert (
        co.post(
            reverse("cases:complaint-record"),
            {
                "kind": "complaint",
                "channel": "letter",
                "raised_by": "debtor",
                "text": PAYLOAD,
                "case": case.pk,
            },
        ).status_code
        == 302
    )
    complaint = Complaint.objects.filter(case_id=case.pk).order_by("pk").first()
    assert (
        co.post(
            reverse("cases:complaint-resolve", args=[complaint.pk]), {"outcome": "upheld", "reason": PAYLOAD}
        ).status_code
        == 302
    )
    alert = alert_raise(kind="chain_broken", key="xss", data={"bad_seq": 1, "reason": PAYLOAD})
    alert_acknowledge(alert=alert, actor=compliance_officer, note=PAYLOAD)
    hold = retention.legal_hold_set(case_id=case.pk, reason=PAYLOAD, actor=compliance_officer)
    assert (
        co.post(reverse("compliance:legal-hold-lift", args=[hold.pk]), {"reason": PAYLOAD}).status_code == 302
    )
    retention.legal_hold_set(case_id=case.pk, reason=PAYLOAD, actor=compliance_officer)
    # A failed sign-in with the payload as the username: the login form shows it back.
    login_page = Client().post(reverse("accounts:login"), {"username": PAYLOAD, "password": "x"})
    assert_escaped_html(login_page.content.decode(), "login")

    # A saved case-list filter named with the payload (the name is shown on the saved-filters page).
    saved = sup.post(
        reverse("cases:saved-filter-create"), {"name": f"{SCRIPT}{IMG}{TEMPLATE}", "query": "q=x"}
    )
    assert saved.status_code == 302

    # --- every page of each role, with the payloads in the search fields too ---
    searches = {
        "q": PAYLOAD,
        "actor": PAYLOAD,
        "action": PAYLOAD,
        "code": PAYLOAD,
        "debtor": PAYLOAD,
        "month": PAYLOAD,
    }
    pages = {
        ag: [
            at_case("cases:case-detail"),
            reverse("cases:case-list"),
            reverse("visits:visit-detail", args=[visit.pk]),
            reverse("visits:agenda"),
            reverse("visits:contact-list", args=[case.pk]),
            reverse("visits:notice-detail", args=[notice.pk]),
            reverse("visits:site-conversation", args=[visit.pk]),
            reverse("visits:site-outcome", args=[visit.pk]),
            reverse("visits:site-evidence", args=[visit.pk]),
            reverse("visits:log-version", args=[visit.pk, 1]),
            reverse("visits:statement", args=[visit.pk]),
        ],
        sup: [
            at_case("cases:case-detail"),
            reverse("visits:visit-detail", args=[visit.pk]),
            reverse("visits:calendar"),
            reverse("cases:case-list"),
            reverse("cases:saved-filter-list"),
            at_case("cases:case-assign"),
            reverse("visits:notice-template-list"),
            reverse("visits:notice-template-edit", args=["en", "letter"]),
        ],
        co: [
            at_case("cases:case-detail"),
            reverse("compliance:dashboard"),
            reverse("compliance:audit-list"),
            reverse("compliance:alert-list"),
            reverse("compliance:complaint-list"),
            reverse("compliance:complaint-detail", args=[complaint.pk]),
            reverse("compliance:exceptions"),
            reverse("compliance:agents"),
            reverse("compliance:access-log"),
            reverse("compliance:retention"),
            reverse("compliance:decision-list"),
            reverse("visits:visit-detail", args=[visit.pk]),
        ],
    }
    shown = 0
    for client, urls in pages.items():
        for url in urls:
            for query in ({}, searches):
                response = client.get(url, query)
                assert response.status_code == 200, (url, response.status_code)
                html = response.content.decode()
                assert_escaped_html(html, url)
                shown += html.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert shown > 30  # the payloads were rendered (escaped), not dropped

    # --- the PDFs: visit report, debt statement, dossier, audit export ---
    report = sup.get(reverse("visits:visit-report", args=[visit.pk]))
    assert_shown_as_text_in_pdf(
        b"".join(report.streaming_content) if report.streaming else report.content, tmp_path, "report"
    )
    # The statement preview is for staff (compliance/documents.py: agents hand it over on site).
    statement = sup.get(reverse("visits:statement-pdf", args=[visit.pk]))
    assert_shown_as_text_in_pdf(
        b"".join(statement.streaming_content) if statement.streaming else statement.content,
        tmp_path,
        "statement",
    )
    dossier = co.post(at_case("cases:case-dossier"), {"profile": "regulator"})
    assert dossier.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(dossier.streaming_content))) as zf:
        pdf_name = next(n for n in zf.namelist() if n.endswith(".pdf"))
        assert_shown_as_text_in_pdf(zf.read(pdf_name), tmp_path, "dossier")
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(
            actor=compliance_officer, filter=search.AuditFilter(action=PAYLOAD[:60]), formats=["pdf"]
        )
    export.refresh_from_db()
    entry = next(f for f in export.files if f["format"] == "pdf")
    with default_storage.open(entry["path"], "rb") as handle:
        text = pdf_text(handle.read(), tmp_path)
    assert re.sub(r"\s+", "", SCRIPT) in text  # the filter, printed as typed
    assert TODAY  # the journey ran on the test calendar
