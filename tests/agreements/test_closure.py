"""Follow-up plans, escalation (a lawyer's letter refused on a time-barred debt), closure with its
checklist and report, a closed case read-only, and a supervisor's reopen."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest

from agreements import services
from agreements.models import ClosureReason, EscalationKind, FollowUp, FollowUpStatus
from cases.models import Stage
from common.errors import DomainError
from compliance.models import AuditEvent
from compliance.refusals import RulesRefused
from tests.agreements.conftest import NOW, terms
from tests.factories import audit_actions_since, audit_events_since, audit_head
from visits.models import Visit, VisitState

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def plan(case, actor, **changes):  # type: ignore[no-untyped-def]
    values = {
        "next_action": "call",
        "due_on": TODAY + dt.timedelta(days=3),
        "owner": actor,
        "now": NOW,
        **changes,
    }
    return services.follow_up_plan(case=case, actor=actor, **values)


# --- follow-up --------------------------------------------------------------------------------------


def test_a_new_plan_supersedes_the_open_one(owing, agent):
    first = plan(
        owing,
        agent,
        capacity="low",
        willingness="medium",
        short_goal="Pay 1,000",
        short_goal_amount=Decimal("1000"),
    )
    head = audit_head()

    second = plan(owing, agent, next_action="visit")

    first.refresh_from_db()
    assert (first.status, second.status) == (FollowUpStatus.SUPERSEDED, FollowUpStatus.OPEN)
    assert audit_actions_since(head) == ["follow_up.planned"]
    assert audit_events_since(head)[0].data["superseded"] == [first.pk]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"due_on": TODAY - dt.timedelta(days=1)}, "DATE_INVALID"),
        ({"next_action": "threaten"}, "FIELD_REQUIRED"),
        ({"review_every_days": 0}, "INVALID_INPUT"),
    ],
)
def test_bad_plans_are_refused(owing, agent, changes, code):
    with pytest.raises(DomainError) as refused:
        plan(owing, agent, **changes)

    assert code in refused.value.codes


def test_the_owner_works_in_the_cases_team(owing, agent, other_team_agent):
    with pytest.raises(DomainError) as refused:
        plan(owing, agent, owner=other_team_agent)

    assert refused.value.codes == ["OWNER_INVALID"]


def test_a_plan_is_marked_done(owing, agent):
    task = plan(owing, agent)

    services.follow_up_done(follow_up=task, actor=agent, note="Called, no answer.", now=NOW)
    with pytest.raises(DomainError) as again:
        services.follow_up_done(follow_up=task, actor=agent, now=NOW)

    task.refresh_from_db()
    assert task.status == FollowUpStatus.DONE
    assert again.value.codes == ["WRONG_STATE"]


# --- escalation -------------------------------------------------------------------------------------


def escalate(case, actor, **changes):  # type: ignore[no-untyped-def]
    values = {
        "kind": EscalationKind.LAWYER_LETTER,
        "law_firm": "Zhong Lun Law Firm 中伦律师事务所",
        "pay_by": TODAY + dt.timedelta(days=14),
        "now": NOW,
        **changes,
    }
    return services.case_escalate(case=case, actor=actor, **values)


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils")
def test_a_lawyers_letter_is_a_pdf_and_escalates_the_case(owing, supervisor, tmp_path):
    head = audit_head()

    escalation = escalate(owing, supervisor)

    owing.refresh_from_db()
    assert owing.stage == Stage.ESCALATED
    path = tmp_path / "letter.pdf"
    path.write_bytes(escalation.document.read())
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    assert "WenQuanYi" in fonts
    # the contact gate's decision and the contact (a lawyer's letter reaches the debtor), then the escalation
    assert audit_actions_since(head) == ["rules.allowed", "contact.recorded", "case.escalated.lawyer_letter"]
    assert audit_events_since(head)[-1].data["document_sha256"] == escalation.document_sha256


def test_no_legal_threat_on_a_time_barred_debt(owing, supervisor):
    owing.overdue_since = dt.date(2022, 1, 1)
    owing.save()
    head = audit_head()

    with pytest.raises(RulesRefused) as refused:
        escalate(owing, supervisor)

    assert refused.value.codes == ["LIMITATION"]
    assert audit_actions_since(head) == ["rules.refused"]
    owing.refresh_from_db()
    assert owing.stage == Stage.VERIFIED


def test_a_litigation_referral_needs_no_letter(owing, supervisor):
    escalation = escalate(owing, supervisor, kind=EscalationKind.LITIGATION, pay_by=None)

    assert not escalation.document


@pytest.mark.parametrize("role", ["agent", "compliance_officer", "other_supervisor"])
def test_only_the_teams_supervisor_escalates(owing, all_roles, role):
    with pytest.raises(DomainError) as refused:
        escalate(owing, all_roles[role])

    assert refused.value.codes == ["PERMISSION_DENIED"]


# --- closure ----------------------------------------------------------------------------------------


def close(case, actor, **changes):  # type: ignore[no-untyped-def]
    values = {
        "reason": ClosureReason.PAID_IN_FULL,
        "creditor_informed_on": TODAY,
        "creditor_informed_how": "E-mail to the creditor's collections desk",
        "documents_returned": "Original loan contract and the IOU",
        "documents_returned_on": TODAY,
        "documents_returned_how": "Registered post",
        "now": NOW,
        **changes,
    }
    return services.case_close(case=case, actor=actor, **values)


def pay_all(case, actor):  # type: ignore[no-untyped-def]
    services.payment_record(
        case=case,
        actor=actor,
        amount=case.outstanding,
        currency="CNY",
        paid_on=TODAY,
        method="bank_transfer",
        reference=f"ALL-{case.pk}",
        now=NOW,
    )


def test_paid_in_full_needs_the_payments(owing, supervisor):
    with pytest.raises(DomainError) as refused:
        close(owing, supervisor)

    assert refused.value.codes == ["PAYMENTS_SHORT"]


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils")
def test_a_case_paid_in_full_is_closed_with_its_report_and_the_audit_head(owing, supervisor, tmp_path):
    pay_all(owing, supervisor)
    head = audit_head()
    last = AuditEvent.objects.get(seq=head)

    closure = close(owing, supervisor)

    owing.refresh_from_db()
    assert owing.stage == Stage.CLOSED
    assert (closure.audit_head_seq, closure.audit_head_hash) == (head, last.hash)
    path = tmp_path / "report.pdf"
    path.write_bytes(closure.report.read())
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    assert "WenQuanYi" in fonts
    assert audit_actions_since(head) == ["case.closed"]
    data = audit_events_since(head)[0].data
    assert data["report_sha256"] == closure.report_sha256
    assert data["audit_head"] == [head, last.hash]


def test_the_closing_checklist_is_required(owing, supervisor):
    pay_all(owing, supervisor)

    with pytest.raises(DomainError) as refused:
        close(owing, supervisor, documents_returned="", creditor_informed_on=None)

    assert {f.field for f in refused.value.failures} == {"documents_returned", "creditor_informed_on"}


@pytest.mark.parametrize(
    ("reason", "changes", "code"),
    [
        (ClosureReason.SETTLED, {}, "NOT_SETTLED"),
        (ClosureReason.LITIGATION, {}, "NO_REFERRAL"),
        (ClosureReason.RECALLED, {"creditor_reference": ""}, "FIELD_REQUIRED"),
        (ClosureReason.DECEASED, {"detail": "dead"}, "FIELD_REQUIRED"),
    ],
)
def test_each_reason_needs_its_evidence(owing, supervisor, reason, changes, code):
    with pytest.raises(DomainError) as refused:
        close(owing, supervisor, reason=reason, **changes)

    assert code in refused.value.codes


def test_a_recalled_case_closes_and_its_live_visit_is_cancelled(notified, supervisor):
    case = notified.case

    close(
        case,
        supervisor,
        reason=ClosureReason.RECALLED,
        creditor_reference="RECALL-2026-17",
        documents_returned="",
    )

    notified.refresh_from_db()
    case.refresh_from_db()
    assert notified.state == VisitState.CANCELLED
    assert case.stage == Stage.CLOSED


def test_a_settled_case_closes_after_the_settlement_is_paid(owing, agent, supervisor):
    from tests.agreements.conftest import sign

    settlement = services.agreement_draft(
        case=owing, actor=agent, **terms(kind="lump_sum", total=Decimal("7500.00"))
    )
    sign(settlement, agent)
    services.payment_record(
        case=owing,
        actor=supervisor,
        amount=Decimal("7500.00"),
        currency="CNY",
        paid_on=TODAY,
        method="bank_transfer",
        reference="SETTLE",
        now=NOW,
    )

    close(owing, supervisor, reason=ClosureReason.SETTLED)

    owing.refresh_from_db()
    assert owing.stage == Stage.CLOSED


def test_a_case_on_site_cannot_be_closed(on_site, supervisor):
    with pytest.raises(DomainError) as refused:
        close(on_site.case, supervisor, reason=ClosureReason.RECALLED, creditor_reference="R-1")

    assert "WRONG_STAGE" in refused.value.codes


@pytest.fixture
def closed(owing, supervisor):  # type: ignore[no-untyped-def]
    pay_all(owing, supervisor)
    close(owing, supervisor)
    owing.refresh_from_db()
    return owing


def test_a_closed_case_is_read_only(closed, agent, supervisor):
    with pytest.raises(DomainError) as draft:
        services.agreement_draft(case=closed, actor=agent, **terms())
    with pytest.raises(DomainError) as payment:
        services.payment_record(
            case=closed,
            actor=supervisor,
            amount=Decimal("1"),
            currency="CNY",
            paid_on=TODAY,
            method="bank_transfer",
            reference="LATE",
            now=NOW,
        )
    with pytest.raises(DomainError) as follow_up:
        plan(closed, agent)

    assert draft.value.codes == ["PERMISSION_DENIED"]
    assert payment.value.codes == ["CASE_CLOSED"]
    assert follow_up.value.codes == ["PERMISSION_DENIED"]


def test_a_supervisor_reopens_with_a_reason(closed, supervisor):
    head = audit_head()

    services.case_reopen(
        case=closed, actor=supervisor, reason="The creditor reported a returned payment.", now=NOW
    )

    closed.refresh_from_db()
    assert closed.stage == Stage.FOLLOW_UP
    assert closed.closures.get().reopened_by == supervisor
    assert FollowUp.objects.get(case=closed, status="open").trigger == "reopened"
    assert audit_actions_since(head) == ["follow_up.planned", "case.reopened"]


@pytest.mark.parametrize(
    ("role", "reason", "code"),
    [("agent", "A long enough reason", "PERMISSION_DENIED"), ("supervisor", "short", "FIELD_REQUIRED")],
)
def test_reopening_is_for_a_supervisor_with_a_reason(closed, all_roles, role, reason, code):
    with pytest.raises(DomainError) as refused:
        services.case_reopen(case=closed, actor=all_roles[role], reason=reason, now=NOW)

    assert refused.value.codes == [code]


def test_visits_cannot_be_planned_on_a_closed_case(closed, agent):
    assert not Visit.objects.filter(case=closed).exists()
    from visits import policies

    assert policies.can_plan(agent, closed) is False
