"""No personal data in logs: every log record of every logger, at DEBUG, during a full journey through
the services — import → verify → plan → approve → notice → check-in → checks → conversation → outcome
→ attestations → complete → review, with the statement and report PDFs and a reveal of the masked data
— is searched for the debtor's ID number, phone number, name and addresses."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import Case
from common.pii import normalize_phone
from tests.factories import TODAY, gentler_channels_tried, make_verifiable
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
from visits import services

pytestmark = pytest.mark.django_db

DEBTOR = valid_row(
    7,
    debtor_name="王秀英",
    phone="13912345678",
    home_address="上海市徐汇区天钥桥路1188号",
    work_address="上海市黄浦区南京东路99号",
)


@pytest.fixture
def every_record(monkeypatch):  # type: ignore[no-untyped-def]
    """Every record any logger creates, whatever its level, handlers or propagation."""
    records: list[logging.LogRecord] = []
    original = logging.Logger.handle

    def handle(self, record):  # type: ignore[no-untyped-def]
        records.append(record)
        return original(self, record)

    monkeypatch.setattr(logging.Logger, "handle", handle)
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.disable(logging.NOTSET)
    yield records
    for logger, level in levels.items():
        logger.setLevel(level)


def text_of(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_a_full_journey_logs_no_personal_data(
    shipped_rule_packs,
    creditor,
    mandate,
    supervisor,
    agent,
    other_agent,
    every_record,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        # Import (the upload page's path: preview, then confirm).
        preview = case_services.placement_upload_preview(
            creditor=creditor,
            upload=SimpleUploadedFile("placement.csv", csv_bytes([DEBTOR])),
            actor=supervisor,
            supervisor=supervisor,
        )
        case_services.placement_upload_confirm(placement_import=preview, actor=supervisor)
        case = Case.objects.select_related("debtor").get(external_ref=DEBTOR["external_ref"])
        case_services.case_assign_agents(case=case, agents=[agent], actor=supervisor)
        # Verify.
        make_verifiable(case, agent)
        case_services.case_verify(case=case, actor=agent, today=TODAY)
        home = case.debtor.addresses.filter(status="verified").first()
        # Plan (after a letter, a call and an SMS: GENTLER_FIRST), approve, notify.
        gentler_channels_tried(case, agent, before=NOW)
        visit = services.visit_plan(
            case=case,
            actor=agent,
            address_id=home.pk,
            purpose="negotiate",
            window_start=START,
            window_end=END,
            agents=[agent, other_agent],
            checklist=CHECKLIST,
            note="Mornings are best.",
            now=NOW,
        )
        services.visit_approve(visit=visit, actor=supervisor, now=APPROVED_AT)
        services.notice_record(
            visit=visit,
            actor=agent,
            channel="phone",
            given_at=NOTICE_AT,
            language="zh-hans",
            now=NOTICE_AT + dt.timedelta(minutes=5),
        )
        # On site: check-in, identity checks (the ID card's last four compared), conversation, outcome.
        services.visit_check_in(visit=visit, actor=agent, idempotency_key=keyed(), now=ARRIVAL)
        services.visit_check_in(
            visit=visit, actor=other_agent, idempotency_key=keyed(), now=ARRIVAL + dt.timedelta(minutes=1)
        )
        visit.refresh_from_db()
        services.visit_log_save(
            visit=visit,
            actor=agent,
            step="checks",
            data=checks(visit, identification="id_card", id_last4=DEBTOR["id_number"][-4:]),
            now=ARRIVAL + dt.timedelta(minutes=3),
        )
        services.visit_log_save(
            visit=visit,
            actor=agent,
            step="conversation",
            data=conversation(),
            now=ARRIVAL + dt.timedelta(minutes=36),
        )
        services.statement_hand_over(
            visit=visit,
            actor=agent,
            idempotency_key=keyed(),
            language="zh-hans",
            now=ARRIVAL + dt.timedelta(minutes=37),
        )
        services.visit_log_save(
            visit=visit,
            actor=agent,
            step="outcome",
            data={
                "outcome": "promise_to_pay",
                "promise_amount": Decimal("500.00"),
                "promise_date": dt.date(2026, 12, 20),
            },
            now=ARRIVAL + dt.timedelta(minutes=38),
        )
        attest_all(visit)
        services.visit_complete(
            visit=visit, actor=agent, idempotency_key=keyed(), now=ARRIVAL + dt.timedelta(minutes=45)
        )
        services.visit_log_accept(
            visit=visit, actor=supervisor, comment="Clear log.", now=ARRIVAL + dt.timedelta(hours=2)
        )
        services.visit_report(
            visit=visit, actor=supervisor, language="zh-hans", now=ARRIVAL + dt.timedelta(hours=3)
        )
    # The pages too: the case page, a reveal of the masked ID number (recorded), a failed sign-in.
    client = Client()
    client.force_login(supervisor)
    assert client.get(reverse("cases:case-detail", args=[case.pk])).status_code == 200
    assert (
        DEBTOR["id_number"]
        in client.post(reverse("cases:case-reveal", args=[case.pk, "id_number"])).content.decode()
    )
    Client().post(reverse("accounts:login"), {"username": DEBTOR["phone"], "password": "x"})

    logging.getLogger("weasyprint").debug("canary")  # configured at WARNING: captured all the same
    assert any(r.getMessage() == "canary" for r in every_record)
    assert len(every_record) > 10  # the journey did log (tasks, PDF rendering, sign-in lockout, ...)
    logged = "\n".join(text_of(record) for record in every_record)
    secrets = {
        "ID number": DEBTOR["id_number"],
        "ID number's digits": DEBTOR["id_number"][:17],
        "phone": DEBTOR["phone"],
        "phone as typed": normalize_phone(DEBTOR["phone"]),
        "name": DEBTOR["debtor_name"],
        "home address": DEBTOR["home_address"],
        "work address": DEBTOR["work_address"],
        "verified address": "上海市徐汇区漕溪北路88号",
    }
    assert {label: value for label, value in secrets.items() if value in logged} == {}
