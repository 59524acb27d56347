"""The product as its users use it, in a real browser (Debian's Chromium, Playwright): a case taken from
the creditor's placement file to `closed` (the supervisor and the field agents), the debtor opening the
link of a notice, and the compliance officer following a case's trail into a verified export.

Background tasks go to a real Celery worker on PostgreSQL and Redis (CI), eagerly elsewhere.

The supervisor works on a desktop; the field agents on phones (360x740) in Chinese. Each step's
screenshot is kept in $SCREENSHOT_DIR/<journey>/ (CI artifacts). The clock is the test's: the visit is
planned on Monday 23 November 2026 for Thursday 26 November 10:00–12:00 in Shanghai, and the agents
arrive at 10:05.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from agreements.models import AgreementState
from cases.models import Case, DebtorPhone, Stage
from common.pii import phone_digest
from compliance.audit import verify_chain
from compliance.models import AuditExport
from tests import browser as b
from tests.common.test_signing import validate
from tests.compliance.conftest import real_worker_app  # noqa: F401 - the fixture
from tests.fixtures.placement import csv_bytes, valid_row
from tests.visits.conftest import approved_visit, home, plan, planned, verified_case  # noqa: F401
from tests.visits.factories import local

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def chromium():  # type: ignore[no-untyped-def]
    yield from b.launch()


@pytest.fixture
def tasks_run_by(request) -> str:  # type: ignore[no-untyped-def]
    """The journeys' background tasks (notices, exports) go to a real Celery worker on Redis when the
    database is PostgreSQL and REDIS_URL is set (CI, where REQUIRE_REAL_WORKER=1 makes it a must);
    elsewhere they run eagerly (SQLite's in-memory database is not shared with a worker thread)."""
    if connection.vendor == "postgresql" and os.environ.get("REDIS_URL"):
        request.getfixturevalue("real_worker_app")
        return "worker"
    if os.environ.get("REQUIRE_REAL_WORKER") == "1":
        pytest.fail("the journeys must run on PostgreSQL with REDIS_URL set (a real Celery worker)")
    return "eager"


def wait_for(check, what: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """Poll `check()` until it returns something truthy (work a background task does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_case_from_the_placement_file_to_closed(
    shipped_rule_packs,
    tasks_run_by,
    chromium,
    live_server,
    creditor,
    mandate,
    supervisor,
    agent,
    other_agent,
    tmp_path,
):
    shot = b.shots_for("supervisor-and-agents", tmp_path)
    creditor.default_supervisor = supervisor
    creditor.save()
    boss = b.signed_in_page(chromium, live_server, supervisor, viewport=b.DESKTOP)
    me = b.signed_in_page(chromium, live_server, agent, viewport=b.PHONE, language="zh-hans")
    colleague = b.signed_in_page(chromium, live_server, other_agent, viewport=b.PHONE, language="zh-hans")
    url = live_server.url

    # --- the supervisor imports the creditor's placement file and assigns the case ------------------
    placement = tmp_path / "placement.csv"
    placement.write_bytes(
        csv_bytes(
            [
                valid_row(
                    1, outstanding="8,500.50", principal="8,000.00", interest_fees="1,500.50", paid="1,000.00"
                )
            ]
        )
    )
    boss.goto(f"{url}/cases/import/")
    b.submit(boss, "form[enctype]", {"creditor": creditor.pk, "file": str(placement)})
    shot(boss, "import-preview")
    b.submit(boss, "form.transition")
    case = Case.objects.get(creditor=creditor, external_ref="REF-00001")
    detail = f"{url}/cases/{case.pk}/"
    boss.goto(detail)
    b.submit(boss, f"form[action='/cases/{case.pk}/assign/']", {"agents": [agent.pk]})
    shot(boss, "assigned")

    # --- the agent verifies the debtor on their phone ----------------------------------------------
    me.goto(detail)
    b.submit(me, f"form[action='/cases/{case.pk}/identity/']", {"method": "身份证复印件与债权人KYC比对一致"})
    address = case.debtor.addresses.get()
    b.submit(me, f"form[action='/cases/{case.pk}/addresses/{address.pk}/verify/']", {"source": "database"})
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    b.submit(me, f"form[action='/cases/{case.pk}/documents/']", {"kind": "contract", "file": str(contract)})
    b.submit(
        me,
        f"form[action='/cases/{case.pk}/assessment/']",
        {"capacity": "medium", "willingness": "medium", "note": "在职，收入稳定。"},
    )
    b.submit(me, f"form[action='/cases/{case.pk}/transition/verify/']")
    case.refresh_from_db()
    assert case.stage == Stage.VERIFIED, b.messages(me)
    shot(me, "verified", phone=True)

    # --- the agent plans the visit; the supervisor approves; the agent gives notice by phone --------
    # GENTLER_FIRST: gentler contacts came first (the CN pack: 3 in 14 days); the agent records them on
    # the case's contact history, as sent in the days before.
    me.goto(detail)
    with me.expect_navigation():
        me.click(f"a[href='/visits/cases/{case.pk}/contacts/']")
    for channel, day in (("letter", 18), ("email", 20), ("letter", 21)):
        b.submit(
            me,
            "form:has([name=channel])",
            {"channel": channel, "at": f"2026-11-{day}T10:00", "result": "sent", "note": "逾期提醒。"},
        )
    assert case.contacts.count() == 3, b.messages(me)
    shot(me, "gentler-contacts", phone=True)
    me.goto(f"{url}/visits/plan/{case.pk}/")
    b.submit(
        me,
        "form.wizard-form, main form[method=post]",
        {
            "date": "2026-11-26",
            "start_time": "10:00",
            "end_time": "12:00",
            "agents": [agent.pk, other_agent.pk],
            "purpose": "negotiate",
        },
    )
    visit = case.visits.get()
    shot(me, "planned", phone=True)
    boss.goto(f"{url}/visits/{visit.pk}/")
    b.submit(boss, f"form[action='/visits/{visit.pk}/approve/']")
    me.goto(f"{url}/visits/{visit.pk}/")
    b.submit(
        me,
        f"form[action='/visits/{visit.pk}/notices/new/']",
        {"channel": "phone", "given_at": "2026-11-23T20:05", "language": "zh-hans"},
    )
    visit.refresh_from_db()
    assert visit.state == "notified", b.messages(me)

    # --- Thursday: both agents check in, the checks, the conversation, a photo, attestations --------
    with time_machine.travel(local(2026, 11, 26, 10, 5), tick=True):
        for page, user in ((me, agent), (colleague, other_agent), (boss, supervisor)):
            b.sign_in_again(page, live_server, user)  # three days later: signed in again
        site = f"{url}/visits/{visit.pk}/site/"
        for page in (me, colleague):
            page.goto(f"{site}check-in/")
            shot(page, "check-in", phone=True)
            with page.expect_navigation():
                page.click("form[data-geolocate] button[type=submit]")
        me.goto(f"{site}checks/")
        b.submit(
            me,
            "form.wizard-form",
            {
                "work_ids_shown": [agent.pk, other_agent.pk],
                "authorization_shown": True,
                "purpose_stated": True,
                "relation": "debtor",
                "identification": "known",
                "entry": "doorstep",
                "recording_consent": "yes",
            },
        )
        # Nothing locks before the agent has reviewed the checks: the review page confirms them.
        assert me.query_selector("#checks-review"), b.messages(me)
        shot(me, "checks-review", phone=True)
        b.submit(me, "#checks-review form.wizard-form")
        b.submit(
            me,
            "form.wizard-form",
            {
                "started": "10:05",
                "ended": "10:08",
                "talking_points": "说明逾期情况。",
                "debtor_state": "calm",
                "statement_shown": True,
            },
            button="button.primary",
        )
        b.submit(me, "form.wizard-form", {"outcome": "agreement_to_draft", "summary": "同意分期。"})
        photo = tmp_path / "door.jpg"
        from PIL import Image

        Image.new("RGB", (30, 20), "navy").save(photo, "JPEG")
        b.submit(me, "form.wizard-form", {"files": str(photo)})
        items = [
            "no_threats",
            "no_insults",
            "no_violence",
            "no_disclosure",
            "no_property",
            "no_public_notice",
        ]
        for page in (me, colleague):
            page.goto(f"{site}finish/")
            b.submit(page, "form:has(input[value=attest])", {"items": items})
        b.submit(me, "form[data-client-time]")
        shot(me, "visit-completed", phone=True)
        visit.refresh_from_db()
        assert visit.state == "completed", b.messages(me)

        # --- the supervisor accepts the log ------------------------------------------------------------
        boss.goto(f"{url}/visits/{visit.pk}/")
        b.submit(boss, f"form[action='/visits/{visit.pk}/log/accept/']")
        shot(boss, "log-accepted")

        # --- the agent drafts a settlement (below the creditor's share: the supervisor approves) ---
        me.goto(f"{url}/agreements/case/{case.pk}/new/")
        b.submit(
            me,
            "form.wizard-form",
            {
                "kind": "lump_sum",
                "total": "7500.00",
                "first_due_date": "2026-12-10",
                "stated_income": "9000",
                "stated_expenses": "5000",
            },
        )
        agreement = case.agreements.get()
        assert agreement.approval_required
        b.submit(me, f"form[action='/agreements/{agreement.pk}/submit/']")
        shot(me, "agreement-submitted", phone=True)
        boss.goto(detail)
        with boss.expect_navigation():
            boss.click(f"#agreements a[href='/agreements/{agreement.pk}/'] >> nth=0")
        b.submit(
            boss,
            f"form[action='/agreements/{agreement.pk}/approve/']:has(input[value=approve])",
            {"comment": "同意一次性结清，减免约12%。"},
        )
        shot(boss, "agreement-approved")
        agreement.refresh_from_db()
        assert agreement.state == AgreementState.APPROVED, b.messages(boss)

        # --- the debtor signs on the agent's phone; the agent downloads the signed PDF -------------
        me.goto(f"{url}/agreements/{agreement.pk}/sign/")
        for field in ("debtor_signature", "agent_signature", "witness_signature"):
            b.draw(me, f"[data-signature-for={field}] canvas")
        b.fill(me, "form[data-signing]", {"witness_name": "陈静", "debtor_understood": True})
        shot(me, "signing", phone=True)
        with me.expect_navigation():
            me.click("form[data-signing] button[type=submit]")
        agreement.refresh_from_db()
        assert agreement.state == AgreementState.ACTIVE, b.messages(me)
        me.goto(f"{url}/agreements/{agreement.pk}/")
        shot(me, "agreement-signed", phone=True)
        with me.expect_download() as download:
            me.click(f"a[href='/agreements/{agreement.pk}/agreement.pdf']")
        signed_pdf = tmp_path / "agreement.pdf"
        download.value.save_as(signed_pdf)
        assert hashlib.sha256(signed_pdf.read_bytes()).hexdigest() == agreement.pdf_sha256

    # --- the supervisor records the payment and closes the case -------------------------------------
    with time_machine.travel(local(2026, 12, 10, 15), tick=True):
        b.sign_in_again(boss, live_server, supervisor)
        boss.goto(f"{url}/agreements/case/{case.pk}/payments/new/")
        b.submit(
            boss,
            "form.wizard-form",
            {
                "amount": "7500.00",
                "paid_on": "2026-12-10",
                "method": "bank_transfer",
                "reference": "BANK-20261210-1",
            },
        )
        agreement.refresh_from_db()
        assert agreement.state == AgreementState.COMPLETED
        boss.goto(f"{url}/agreements/case/{case.pk}/close/")
        b.submit(
            boss,
            "form.wizard-form",
            {
                "reason": "settled",
                "documents_returned": "Original loan contract",
                "documents_returned_on": "2026-12-10",
                "documents_returned_how": "Registered post",
                "creditor_informed_on": "2026-12-10",
                "creditor_informed_how": "E-mail",
            },
        )
        shot(boss, "closed")
        closure = case.closures.get()
        with boss.expect_download() as download:
            boss.click(f"a[href='/agreements/closures/{closure.pk}/report.pdf']")
        report = tmp_path / "closing-report.pdf"
        download.value.save_as(report)
        # The closing report is the supervisor's: the field agent on the case is refused it.
        b.sign_in_again(me, live_server, agent)
        refused = me.request.get(f"{url}/agreements/closures/{closure.pk}/report.pdf", max_redirects=0)
        assert refused.status == 302, refused.status  # no PDF: back to the case, with the reason
        assert refused.headers["location"].endswith(f"/cases/{case.pk}/")
        me.goto(detail)
        assert b.messages(me), "the refusal is explained"
        shot(me, "closing-report-refused", phone=True)

    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert report.read_bytes().startswith(b"%PDF")
    for issued in (signed_pdf, report):  # both carry the agency's PAdES signature, intact and trusted
        with ThreadPoolExecutor(1) as pool:  # pyHanko runs its own event loop; Playwright's is running here
            status = pool.submit(validate, issued.read_bytes()).result()
        assert status.bottom_line, issued.name
        assert status.intact, issued.name
        assert status.trusted, issued.name
    assert verify_chain().ok
    assert dt.date(2026, 12, 10) == closure.closed_at.astimezone(local(2026, 1, 1, 0).tzinfo).date()


def test_the_debtor_opens_the_link_of_the_notice_on_a_phone(
    shipped_rule_packs,
    tasks_run_by,
    chromium,
    live_server,
    approved_visit,  # noqa: F811 - the fixture
    agent,
    settings,
    tmp_path,
):
    """The agent sends the notice by SMS from the visit page; the debtor opens the link it carries and
    sees who is coming, on whose authority and when, and nothing about the debt."""
    shot = b.shots_for("debtor", tmp_path)
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    visit, case = approved_visit, approved_visit.case
    DebtorPhone.objects.create(
        debtor=case.debtor, number="13800138000", digest=phone_digest("13800138000"), status="verified"
    )

    with time_machine.travel(local(2026, 11, 24, 10), tick=True):
        me = b.signed_in_page(chromium, live_server, agent, viewport=b.PHONE, language="zh-hans")
        me.goto(f"{live_server.url}/visits/{visit.pk}/")
        b.submit(
            me,
            f"form[action='/visits/{visit.pk}/notices/new/']",
            {"channel": "sms", "given_at": "2026-11-24T10:00", "language": "zh-hans"},
        )
        shot(me, "notice-sent", phone=True)
        sms = wait_for(
            lambda: Path(settings.SMS_FILE_PATH).exists() and Path(settings.SMS_FILE_PATH).read_text("utf-8"),
            "the SMS",
        )
        message = json.loads(sms.splitlines()[-1])
        link = re.search(r"https?://[^\s/]+/visits/v/[A-Za-z0-9_-]+/", message["text"]).group(0)
        assert link.startswith(live_server.url)

        debtor = b.public_page(chromium, viewport=b.PHONE)
        debtor.goto(link)
        shot(debtor, "verification-page", phone=True)
        page = debtor.inner_text("main")

    assert agent.display_name in page
    assert agent.work_id_number in page
    assert case.creditor.name in page
    assert "10:00" in page
    assert "12:00" in page
    for amount in (str(case.outstanding), f"{case.outstanding:,}"):
        assert amount not in page


def test_the_compliance_officer_follows_a_case_exports_and_verifies_its_trail(
    shipped_rule_packs,
    tasks_run_by,
    chromium,
    live_server,
    planned,  # noqa: F811 - the fixture
    supervisor,
    compliance_officer,
    tmp_path,
):
    """The supervisor overrides a refused approval with a reason; the compliance officer finds the case's
    events, exports them (following the progress bar), downloads the file and its manifest, the
    standalone verifier accepts them, and the override is in the exceptions report."""
    shot = b.shots_for("compliance-officer", tmp_path)
    visit, case = planned, planned.case
    url = live_server.url

    # 22 hours before the window and no notice given: the approval is refused, the supervisor overrides.
    with time_machine.travel(local(2026, 11, 25, 12), tick=True):
        boss = b.signed_in_page(chromium, live_server, supervisor, viewport=b.DESKTOP)
        boss.goto(f"{url}/visits/{visit.pk}/")
        b.submit(boss, f"form[action='/visits/{visit.pk}/approve/']")
        assert "NOTICE_LEAD_TIME" in boss.content(), b.messages(boss)
        b.submit(
            boss,
            f"form[action='/visits/{visit.pk}/override/']",
            {"reason": "The debtor asked by phone for this time and agreed to it."},
        )
        shot(boss, "override")
        visit.refresh_from_db()
        assert visit.state == "approved", b.messages(boss)

        officer = b.signed_in_page(chromium, live_server, compliance_officer, viewport=b.DESKTOP)
        officer.goto(f"{url}/cases/{case.pk}/")
        with officer.expect_navigation():
            officer.click(f"#compliance a[href='/compliance/audit/?case={case.pk}']")
        events = officer.inner_text("main")
        assert "rules.overridden" in events
        assert "visit.approved" in events
        shot(officer, "case-events")

        fill_formats = "details#export form"
        b.submit(officer, fill_formats, {"formats": ["jsonl", "csv"]})
        shot(officer, "export-progress")
        officer.wait_for_selector("a[href$='.manifest.json']", timeout=60000)  # the page reloads itself
        shot(officer, "export-done")
        export = AuditExport.objects.get()
        assert export.status == "done"
        saved = {}
        for link in officer.query_selector_all("section.card ul.plain a"):
            name = link.inner_text().strip()
            with officer.expect_download() as download:
                link.click()
            saved[name] = tmp_path / "download" / name
            download.value.save_as(saved[name])
        jsonl = next(path for name, path in saved.items() if name.endswith(".jsonl"))
        manifest = next(path for name, path in saved.items() if name.endswith(".manifest.json"))

        verified = subprocess.run(  # noqa: S603 - our own script, by path
            [sys.executable, str(ROOT / "tools" / "verify_audit_export.py"), str(jsonl), str(manifest)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.startswith("OK")

        officer.goto(f"{url}/compliance/exceptions/")
        shot(officer, "exceptions")
        report = officer.inner_text("main")

    assert "NOTICE_LEAD_TIME" in report
    assert supervisor.display_name in report
    if tasks_run_by == "worker":
        assert AuditExport.objects.get().pk == export.pk  # made by the worker, not in the request
