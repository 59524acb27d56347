"""The product as its users use it, in a real browser (Debian's Chromium, Playwright): a case taken from
the creditor's placement file to `closed`.

The supervisor works on a desktop; the field agents on phones (360x740) in Chinese. Each step's
screenshot is kept in $SCREENSHOT_DIR/<journey>/ (CI artifacts). The clock is the test's: the visit is
planned on Monday 23 November 2026 for Thursday 26 November 10:00–12:00 in Shanghai, and the agents
arrive at 10:05.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from agreements.models import AgreementState
from cases.models import Case, Stage
from compliance.audit import verify_chain
from tests import browser as b
from tests.fixtures.placement import csv_bytes, valid_row
from tests.visits.factories import local

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def chromium():  # type: ignore[no-untyped-def]
    yield from b.launch()


def test_a_case_from_the_placement_file_to_closed(
    shipped_rule_packs, chromium, live_server, creditor, mandate, supervisor, agent, other_agent, tmp_path
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

        # --- the agent drafts the agreement and has it signed on the phone --------------------------
        me.goto(f"{url}/agreements/case/{case.pk}/new/")
        b.submit(
            me,
            "form.wizard-form",
            {
                "kind": "lump_sum",
                "total": "8500.50",
                "first_due_date": "2026-12-10",
                "stated_income": "9000",
                "stated_expenses": "5000",
            },
        )
        agreement = case.agreements.get()
        me.goto(f"{url}/agreements/{agreement.pk}/sign/")
        for field in ("debtor_signature", "agent_signature", "witness_signature"):
            b.draw(me, f"[data-signature-for={field}] canvas")
        b.fill(me, "form[data-signing]", {"witness_name": "陈静", "debtor_understood": True})
        shot(me, "signing", phone=True)
        with me.expect_navigation():
            me.click("form[data-signing] button[type=submit]")
        agreement.refresh_from_db()
        assert agreement.state == AgreementState.ACTIVE, b.messages(me)

    # --- the supervisor records the payment and closes the case -------------------------------------
    with time_machine.travel(local(2026, 12, 10, 15), tick=True):
        b.sign_in_again(boss, live_server, supervisor)
        boss.goto(f"{url}/agreements/case/{case.pk}/payments/new/")
        b.submit(
            boss,
            "form.wizard-form",
            {
                "amount": "8500.50",
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
                "reason": "paid_in_full",
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

    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert report.read_bytes().startswith(b"%PDF")
    assert verify_chain().ok
    assert dt.date(2026, 12, 10) == closure.closed_at.astimezone(local(2026, 1, 1, 0).tzinfo).date()
