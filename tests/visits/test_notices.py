"""Prior notice: recording (rules, refusals, exactly the audit events), templates, the debtor's answer,
resuming visits after a refusal.

The clock is injected: notices are given on Tuesday 2026-11-24 around 10:00 Shanghai time for a
visit on Thursday 2026-11-26 10:00–12:00 (CN pack: 08:00–22:00, 24 h lead time).

This module is also the URLconf of the notice tests (`pytest.mark.urls`): the project's URLs plus
the notice URLs under the `visits` namespace, for as long as visits/urls.py does not include them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from django.urls import include, path

from cases import services as case_services
from cases.models import DebtorPhone, Stage, VerificationStatus
from common.errors import DomainError
from common.pii import phone_digest
from compliance.models import AuditEvent, RuleDecision
from config.urls import urlpatterns as project_urlpatterns
from tests.debtor_fact_helpers import put_facts
from tests.factories import TODAY, audit_actions_since, audit_events_since, audit_head, make_verifiable
from tests.visits.factories import VisitFactory, local
from visits import notice_texts, services
from visits.models import (
    Channel,
    ContactAttempt,
    ContactResult,
    DeliveryStatus,
    Notice,
    NoticeAnswer,
    NoticeGroup,
    NoticeTemplate,
    Visit,
    VisitState,
    VisitToken,
)
from visits.notice_urls import notice_urlpatterns
from visits.services._shared import token_digest

if any(getattr(p, "namespace", None) == "visits" for p in project_urlpatterns):
    urlpatterns = list(project_urlpatterns)  # visits/urls.py includes the notice URLs
else:
    urlpatterns = [
        *project_urlpatterns,
        path("visits/", include((notice_urlpatterns, "visits"), namespace="visits")),
    ]
URLS = "tests.visits.test_notices"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

GIVEN = local(2026, 11, 24, 10)
NOW = local(2026, 11, 24, 10, 5)


@pytest.fixture(autouse=True)
def outbox(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "visits.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.PUBLIC_BASE_URL = "https://verify.example.test"
    settings.AGENCY_NAME = "Anxin Collections"
    return Path(settings.SMS_FILE_PATH)


def outbox_lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def notice_case(case, agent):  # type: ignore[no-untyped-def]
    """A verified case with a verified phone, in `visit_planned` (planning itself is tested elsewhere)."""
    make_verifiable(case, agent)
    case_services.case_verify(case=case, actor=agent, today=TODAY)
    DebtorPhone.objects.create(
        debtor=case.debtor,
        number="13800138000",
        digest=phone_digest("13800138000"),
        status=VerificationStatus.VERIFIED,
    )
    case.refresh_from_db()
    case.plan_visit(at=NOW)
    case.save()
    return case


@pytest.fixture
def approved(notice_case, agent, other_agent, supervisor) -> Visit:  # type: ignore[no-untyped-def]
    visit = VisitFactory(case=notice_case, planned_by=agent, agents=[agent, other_agent])
    visit.approve(by=supervisor, at=local(2026, 11, 23, 15))
    visit.save()
    return visit


def record(visit: Visit, actor, **changes) -> Notice:  # type: ignore[no-untyped-def]
    kwargs = {
        "visit": visit,
        "actor": actor,
        "channel": Channel.PHONE,
        "given_at": GIVEN,
        "language": "zh-hans",
        "now": NOW,
        **changes,
    }
    return services.notice_record(**kwargs)


# --- notice texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("group", list(NoticeGroup.values))
def test_default_texts_use_only_known_placeholders_and_carry_the_link(language, group):
    assert notice_texts.placeholder_problems(notice_texts.DEFAULTS[(language, group)]) == []


def test_rendered_text_names_date_window_purpose_agency_creditor_and_link_but_no_amount(approved, agent):
    notice = record(approved, agent, language="en")

    assert "2026-11-26" in notice.text
    assert "10:00–12:00" in notice.text
    assert "negotiate a repayment plan" in notice.text
    assert "Anxin Collections" in notice.text
    assert approved.case.creditor.name in notice.text
    assert "https://verify.example.test/visits/v/" in notice.text
    for amount in ("8200", "8,200", "10000", "10,000", str(approved.case.outstanding)):
        assert amount not in notice.text
    assert notice.text_sha256 == hashlib.sha256(notice.text.encode()).hexdigest()


def test_a_saved_template_replaces_the_default_and_keeps_history(approved, agent, supervisor):
    head = audit_head()
    services.notice_template_save(
        language="zh-hans",
        group=NoticeGroup.LETTER,
        body="{agency}：{date} {window} 拜访（{creditor}）。核实：{link}",
        actor=supervisor,
    )
    template = services.notice_template_save(
        language="zh-hans",
        group=NoticeGroup.LETTER,
        body="{agency}将于{date} {window}上门。核实：{link}",
        actor=supervisor,
    )

    assert audit_actions_since(head) == ["notice_template.saved", "notice_template.saved"]
    assert template.history.count() == 2
    notice = record(approved, agent)
    assert notice.text.startswith("Anxin Collections将于2026-11-26 10:00–12:00上门。核实：https://")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Visit {date} {window}, you owe {amount}. {link}", "unknown:amount"),
        ("Visit on {date}.", "missing:window"),
        ("Visit {date} {window} {link", "malformed"),
    ],
)
def test_a_template_with_unknown_or_missing_placeholders_is_refused(supervisor, body, problem):
    head = audit_head()

    with pytest.raises(DomainError) as error:
        services.notice_template_save(language="en", group=NoticeGroup.SMS, body=body, actor=supervisor)

    assert error.value.codes == ["TEMPLATE_PLACEHOLDERS"]
    assert problem in str(error.value)
    assert audit_actions_since(head) == ["notice_template.saved.refused"]
    assert not NoticeTemplate.objects.exists()


def test_agents_cannot_edit_templates(agent):
    with pytest.raises(DomainError) as error:
        services.notice_template_save(
            language="en", group=NoticeGroup.SMS, body="{date} {window} {link}", actor=agent
        )

    assert error.value.codes == ["PERMISSION_DENIED"]


# --- recording a notice ------------------------------------------------------------------------------


def test_phone_notice_moves_visit_and_case_and_records_contact_token_and_audit(approved, agent):
    head = audit_head()

    notice = record(approved, agent)

    approved.refresh_from_db()
    case = approved.case
    case.refresh_from_db()
    assert (approved.state, case.stage) == (VisitState.NOTIFIED, Stage.NOTICE_GIVEN)
    assert notice.delivery_status == DeliveryStatus.RECORDED
    assert len(notice.idempotency_key) == 32
    contact = ContactAttempt.objects.get(notice=notice)
    assert (contact.channel, contact.result, contact.at, contact.visit_id) == (
        Channel.PHONE,
        ContactResult.CONNECTED,
        GIVEN,
        approved.pk,
    )
    token = VisitToken.objects.get(notice=notice)
    assert token.expires_at == approved.window_end
    link = notice_texts.link_in(notice.text)
    assert token.token_digest == token_digest(link.rstrip("/").rsplit("/", 1)[1])
    # the notice's visit decision, the contact gate's decision and contact, then the notice
    assert audit_actions_since(head) == [
        "rules.allowed",
        "rules.allowed",
        "contact.recorded",
        "notice.recorded",
    ]
    event = audit_events_since(head)[-1]
    assert event.data["channel"] == "phone"
    assert event.data["visit"] == approved.pk
    assert event.data["text_sha256"] == notice.text_sha256
    assert event.data["visit_state"] == ["approved", "notified"]
    assert event.data["stage"] == {"from": "visit_planned", "to": "notice_given", "transition": "give_notice"}
    payload = json.dumps(event.data, ensure_ascii=False)
    assert notice.text not in payload
    assert "13800138000" not in payload


def test_sms_notice_is_queued_and_sent_after_commit_once(
    approved, agent, outbox, django_capture_on_commit_callbacks
):
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = record(approved, agent, channel=Channel.SMS)

    assert len(callbacks) == 1
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT
    assert notice.recipient == "13800138000"
    lines = outbox_lines(outbox)
    assert len(lines) == 1
    assert (lines[0]["to"], lines[0]["text"], lines[0]["idempotency_key"]) == (
        "13800138000",
        notice.text,
        notice.idempotency_key,
    )
    # ... and the gate asked again when the task sends it (its decision, then `notice.sent`)
    assert audit_actions_since(head) == [
        "rules.allowed",
        "rules.allowed",
        "contact.recorded",
        "notice.recorded",
        "rules.allowed",
        "notice.sent",
    ]
    recorded = audit_events_since(head)[3]
    assert recorded.data["delivery"] == "queued"
    assert recorded.data["recipient_digest"] == phone_digest("13800138000")
    assert "13800138000" not in json.dumps([e.data for e in audit_events_since(head)])


def test_nothing_is_sent_when_the_transaction_does_not_commit(approved, agent, outbox):
    # Without running on_commit callbacks (the test's transaction never commits), nothing leaves.
    notice = record(approved, agent, channel=Channel.SMS)

    assert Notice.objects.get(pk=notice.pk).delivery_status == DeliveryStatus.QUEUED
    assert outbox_lines(outbox) == []


def test_email_notice_needs_an_address_and_is_sent_by_email(
    approved, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(DomainError) as error:
        record(approved, agent, channel=Channel.EMAIL)
    assert error.value.codes == ["FIELD_REQUIRED"]

    with django_capture_on_commit_callbacks(execute=True):
        notice = record(approved, agent, channel=Channel.EMAIL, email="debtor@example.test", language="en")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["debtor@example.test"]
    assert mailoutbox[0].body == notice.text
    assert "2026-11-26" in mailoutbox[0].subject
    notice.refresh_from_db()
    assert notice.delivery_status == DeliveryStatus.SENT


def test_a_letter_is_not_judged_at_its_instant_but_a_call_is(approved, agent):
    night = local(2026, 11, 23, 23, 30)
    with pytest.raises(DomainError) as error:
        record(approved, agent, channel=Channel.PHONE, given_at=night)
    assert error.value.codes == ["CONTACT_WINDOW"]

    notice = record(approved, agent, channel=Channel.LETTER, given_at=night)

    assert notice.channel == Channel.LETTER


def test_a_refused_rule_commits_its_decision_and_changes_nothing_else(approved, agent):
    put_facts(approved.case, represented=True)
    head = audit_head()

    with pytest.raises(DomainError) as error:
        record(approved, agent)

    assert error.value.codes == ["REPRESENTED"]
    assert audit_actions_since(head) == ["rules.refused"]
    decision = RuleDecision.objects.get()
    assert (decision.action, decision.outcome) == ("notice.record", "refused")
    approved.refresh_from_db()
    assert approved.state == VisitState.APPROVED
    assert not Notice.objects.exists()
    assert not ContactAttempt.objects.exists()
    assert not VisitToken.objects.exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"channel": "visit"}, "CHANNEL_INVALID"),
        ({"language": "fr"}, "LANGUAGE_INVALID"),
        ({"given_at": local(2026, 11, 26, 10, 30)}, "NOTICE_AFTER_START"),
    ],
)
def test_invalid_input_is_refused_and_audited(approved, agent, change, code):
    head = audit_head()

    with pytest.raises(DomainError) as error:
        record(approved, agent, **change)

    assert code in error.value.codes
    assert audit_actions_since(head) == ["notice.recorded.refused"]


def test_only_an_approved_visit_takes_a_notice(notice_case, agent):
    planned = VisitFactory(case=notice_case, planned_by=agent, agents=[agent])
    head = audit_head()

    with pytest.raises(DomainError) as error:
        record(planned, agent)

    assert error.value.codes == ["VISIT_NOT_APPROVED"]
    assert audit_actions_since(head) == ["notice.recorded.refused"]


@pytest.mark.parametrize("who", ["other_agent", "other_team_agent", "compliance_officer"])
def test_only_who_may_plan_on_the_case_records_notices(approved, all_roles, who):
    with pytest.raises(DomainError) as error:
        record(approved, all_roles[who])

    assert error.value.codes == ["PERMISSION_DENIED"]


def test_the_supervisor_may_record_a_notice(approved, supervisor):
    assert record(approved, supervisor).recorded_by == supervisor


# --- the answer -------------------------------------------------------------------------------------


def test_accepted_and_no_answer_are_recorded_and_audited(approved, agent):
    notice = record(approved, agent)
    head = audit_head()

    services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.NO_ANSWER, now=NOW)
    services.notice_answer(
        notice=notice, actor=agent, answer=NoticeAnswer.ACCEPTED, note="OK for Thursday", now=NOW
    )

    notice.refresh_from_db()
    assert (notice.answer, notice.answer_note) == (NoticeAnswer.ACCEPTED, "OK for Thursday")
    assert audit_actions_since(head) == ["notice.answered", "notice.answered"]
    assert "OK for Thursday" not in json.dumps(audit_events_since(head)[-1].data)
    with pytest.raises(DomainError) as error:
        services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.REFUSED, now=NOW)
    assert error.value.codes == ["NOTICE_ALREADY_ANSWERED"]


def test_reschedule_needs_and_keeps_the_proposed_window(approved, agent):
    notice = record(approved, agent)
    with pytest.raises(DomainError) as error:
        services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.RESCHEDULE, now=NOW)
    assert error.value.codes == ["FIELD_REQUIRED"]
    start, end = local(2026, 11, 28, 14), local(2026, 11, 28, 16)

    services.notice_answer(
        notice=notice,
        actor=agent,
        answer=NoticeAnswer.RESCHEDULE,
        proposed_window_start=start,
        proposed_window_end=end,
        now=NOW,
    )

    notice.refresh_from_db()
    approved.refresh_from_db()
    assert (notice.proposed_window_start, notice.proposed_window_end) == (start, end)
    assert approved.state == VisitState.NOTIFIED  # the planner re-plans


def test_a_refusal_flags_the_debtor_refuses_the_visit_and_tells_the_supervisor(
    approved, agent, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    supervisor.email = "sup@example.test"
    supervisor.save()
    notice = record(approved, agent)
    head = audit_head()

    with django_capture_on_commit_callbacks(execute=True):
        services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.REFUSED, now=NOW)

    approved.refresh_from_db()
    case = approved.case
    case.refresh_from_db()
    case.debtor.refresh_from_db()
    assert case.debtor.visits_refused is True
    assert case.debtor.history.first().visits_refused is True
    assert approved.state == VisitState.REFUSED
    assert case.stage == Stage.VISITS_REFUSED
    assert audit_actions_since(head) == ["notice.answered", "debtor.visits_refused"]
    assert audit_events_since(head)[1].data["stage"] == {
        "from": "notice_given",
        "to": "visits_refused",
        "transition": "refuse_visits",
    }
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["sup@example.test"]
    assert case.debtor.name not in mailoutbox[0].body


def test_after_a_refusal_the_visit_refused_rule_blocks_and_a_supervisor_resumes(
    approved, agent, supervisor, django_capture_on_commit_callbacks
):
    from compliance.rules import check_visit
    from compliance.rules.visits import PackParams
    from visits import selectors

    notice = record(approved, agent)
    services.notice_answer(notice=notice, actor=agent, answer=NoticeAnswer.REFUSED, now=NOW)
    case = approved.case
    case.refresh_from_db()

    def plan_codes() -> list[str]:
        facts = selectors.visit_facts(
            case=case,
            address=approved.address,
            agents=[agent, supervisor],
            window_start=local(2026, 12, 3, 10),
            window_end=local(2026, 12, 3, 12),
        )
        pack = PackParams.from_pack(selectors.pack_for_case(case))
        return [f.code for f in check_visit(moment="plan", facts=facts, pack=pack, now=NOW)]

    assert "VISIT_REFUSED" in plan_codes()

    with pytest.raises(DomainError) as error:
        services.visits_resume(case=case, actor=agent, reason="The debtor called and asked us to come.")
    assert error.value.codes == ["PERMISSION_DENIED"]
    with pytest.raises(DomainError) as error:
        services.visits_resume(case=case, actor=supervisor, reason="short")
    assert error.value.codes == ["OVERRIDE_REASON"]
    head = audit_head()

    services.visits_resume(case=case, actor=supervisor, reason="The debtor called and asked us to come.")

    case.refresh_from_db()
    case.debtor.refresh_from_db()
    assert (case.stage, case.debtor.visits_refused) == (Stage.VERIFIED, False)
    assert audit_actions_since(head) == ["case.visits_resumed"]
    event = audit_events_since(head)[0]
    assert event.data["overrides"] == "VISIT_REFUSED"
    assert "asked us to come" not in json.dumps(event.data)
    assert "VISIT_REFUSED" not in plan_codes()


def test_no_audit_event_names_a_phone_or_an_address(approved, agent):
    record(approved, agent, channel=Channel.SMS)
    texts = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)), ensure_ascii=False)

    assert "13800138000" not in texts
    assert "漕溪北路" not in texts


def test_a_second_notice_on_another_visit_keeps_the_case_stage(approved, agent, other_agent, supervisor):
    record(approved, agent)
    second = VisitFactory(
        case=approved.case,
        planned_by=agent,
        agents=[agent, other_agent],
        window_start=local(2026, 11, 27, 10),
        window_end=local(2026, 11, 27, 12),
    )
    second.approve(by=supervisor, at=GIVEN - dt.timedelta(hours=1))
    second.save()

    record(second, agent, given_at=GIVEN + dt.timedelta(minutes=1))

    second.refresh_from_db()
    assert second.state == VisitState.NOTIFIED
    assert Visit.objects.get(pk=approved.pk).case.stage == Stage.NOTICE_GIVEN
