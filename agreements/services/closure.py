"""Escalation (a lawyer's letter, a litigation referral) and the closure of a case, and its reopening.

A lawyer's letter or a litigation referral is a threat of legal action: refused when the limitation
period may have run (LIMITATION; no threat of suit on a time-barred debt), while a dispute is open, when
contact must cease or the debtor is represented. Closing needs its reason's evidence (paid in full: the
payments reach the outstanding amount; settled: the settlement agreement completed; litigation: a
referral; written off or recalled: the creditor's reference; deceased: how it is known), the creditor
informed and, when the debt is repaid, the credit documents returned to the debtor. The closing report
PDF covers the whole case and names the audit chain's head at closure. A closed case is read-only until
a supervisor reopens it with a reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Stage
from cases.services.stage import case_can_move, case_stage_move
from common.errors import DomainError, Failure
from common.money import format_money
from common.pdf import render_pdf
from common.pii import digest
from compliance import audit, decisions
from compliance.models import AuditEvent
from compliance.refusals import RulesRefused, refusals_recorded
from compliance.rules.agreements import check_agreement

from .. import policies, selectors
from ..models import (
    OPEN_AGREEMENT_STATES,
    RUNNING_AGREEMENT_STATES,
    Agreement,
    AgreementState,
    Closure,
    ClosureReason,
    Escalation,
    EscalationKind,
    FollowUp,
    FollowUpStatus,
    NextAction,
)
from ._shared import fail, local_today, lock_case, refuse, save
from ._shared import now as _now
from .followups import _create as _plan_follow_up


def _legal_threat_decision(case: Case, *, action: str, actor: Any, now: dt.datetime) -> decisions.Evaluation:
    facts = selectors.agreement_facts(
        case=case,
        instalments=[],
        frequency="monthly",
        stated_income=None,
        stated_expenses=None,
        debtor_requested=False,
        today=local_today(case, now),
    )
    params = selectors.params_for(case)
    return decisions.record(
        action=action,
        moment="legal_threat",
        failures=check_agreement(moment="legal_threat", facts=facts, params=params),
        inputs={"facts": facts.as_trace(), "pack": params.as_trace(), "now": audit.format_at(now)},
        pack=selectors.pack_for(case),
        actor=actor,
        now=now,
        obj=case,
        case_id=case.pk,
    )


@refusals_recorded("case.escalate")
def case_escalate(
    *,
    case: Case,
    actor: User,
    kind: str,
    law_firm: str,
    lawyer: str = "",
    pay_by: dt.date | None = None,
    note: str = "",
    language: str = "zh-hans",
    now: dt.datetime | None = None,
) -> Escalation:
    """A lawyer's letter (a PDF from the template, kept with its SHA-256) or a litigation referral; the
    case moves to `escalated`."""
    now = now or _now()
    refusal: RulesRefused | None = None
    with transaction.atomic():
        case = lock_case(case)
        policies.require(policies.can_close(actor, case))
        failures: list[Failure] = []
        if kind not in EscalationKind.values:
            failures.append(
                fail("INVALID_INPUT", _("Choose a lawyer's letter or a litigation referral."), "kind")
            )
        # the machine says which stages escalate; an escalated case may get a second letter
        if not (case_can_move(case, "escalate") or case.stage == Stage.ESCALATED):
            failures.append(
                fail(
                    "WRONG_STAGE",
                    _("A case that is %(stage)s cannot be escalated.") % {"stage": case.get_stage_display()},
                    "stage",
                )
            )
        if not (law_firm or "").strip():
            failures.append(fail("FIELD_REQUIRED", _("Name the law firm."), "law_firm"))
        today = local_today(case, now)
        if kind == EscalationKind.LAWYER_LETTER and (pay_by is None or pay_by <= today):
            failures.append(
                fail(
                    "DATE_INVALID",
                    _("Give a date in the future by which the debtor is asked to pay."),
                    "pay_by",
                )
            )
        if failures:
            raise DomainError(failures)
        if kind == EscalationKind.LAWYER_LETTER:
            # A lawyer's letter is a contact with the debtor that threatens legal action: the contact
            # gate judges it (LIMITATION, flags, caps), records it, and refuses with its decision.
            from visits.services.gate import contact_gate

            contact = contact_gate(
                case=case,
                actor=actor,
                channel="lawyer_letter",
                purpose="lawyer_letter",
                now=now,
                legal_threat=True,
                note=f"lawyer's letter ({law_firm.strip()[:150]})",
            )
            evaluation = contact.evaluation  # type: ignore[attr-defined]
        else:
            evaluation = _legal_threat_decision(case, action=f"escalation.{kind}", actor=actor, now=now)
        if evaluation.blocked:
            refusal = evaluation.refusal()
        else:
            escalation = Escalation(
                case=case,
                kind=kind,
                law_firm=law_firm.strip()[:200],
                lawyer=(lawyer or "").strip()[:200],
                pay_by=pay_by,
                note=(note or "").strip()[:2000],
                language=language if language in ("en", "zh-hans") else "zh-hans",
                decision=evaluation.decision,
                created_by=actor,
            )
            if kind == EscalationKind.LAWYER_LETTER:
                pdf = render_pdf(
                    template="agreements/pdf/lawyer_letter.html",
                    context={
                        "case": case,
                        "escalation": escalation,
                        "balance": selectors.balance(case),
                        "agency": settings.AGENCY_NAME,
                        "today": today,
                    },
                    filename=f"lawyer-letter-{case.external_ref}-{today:%Y%m%d}.pdf",
                    language=escalation.language,
                    sign=True,
                )
                escalation.document.save(pdf.filename, ContentFile(pdf.content), save=False)
                escalation.document_sha256 = pdf.sha256
            save(escalation, actor)
            moved: dict[str, Any] = {}
            if case.stage != Stage.ESCALATED:  # a second letter leaves the case where it is
                moved = case_stage_move(case=case, transition="escalate", actor=actor, at=now)
            audit.record(
                actor=actor,
                action=f"case.escalated.{kind}",
                obj=escalation,
                case_id=case.pk,
                data={
                    "kind": kind,
                    "law_firm": escalation.law_firm,
                    "pay_by": pay_by,
                    "document_sha256": escalation.document_sha256,
                    "decision": evaluation.decision.pk,
                    **moved,
                },
            )
    if refusal is not None:
        raise refusal
    return escalation


# --- closure ------------------------------------------------------------------------------------------


def _reason_failures(
    case: Case, reason: str, *, detail: str, creditor_reference: str, documents: dict[str, Any]
) -> list[Failure]:
    failures: list[Failure] = []
    if reason not in ClosureReason.values:
        return [fail("INVALID_INPUT", _("Choose why the case is closed."), "reason")]
    paid, owed = selectors.paid_total(case), case.outstanding
    if reason == ClosureReason.PAID_IN_FULL and paid < owed:
        failures.append(
            fail(
                "PAYMENTS_SHORT",
                _("Paid in full needs payments of %(owed)s; %(paid)s are recorded.")
                % {"owed": owed, "paid": paid},
                "reason",
            )
        )
    if (
        reason == ClosureReason.SETTLED
        and not Agreement.objects.filter(
            case=case, state=AgreementState.COMPLETED, total__lt=F("balance")
        ).exists()
    ):
        failures.append(
            fail(
                "NOT_SETTLED",
                _("Settled needs a completed settlement agreement (a discount, fully paid)."),
                "reason",
            )
        )
    if (
        reason == ClosureReason.LITIGATION
        and not Escalation.objects.filter(case=case, kind=EscalationKind.LITIGATION).exists()
    ):
        failures.append(fail("NO_REFERRAL", _("Record the litigation referral first."), "reason"))
    if reason in (ClosureReason.WRITTEN_OFF, ClosureReason.RECALLED) and not creditor_reference:
        failures.append(
            fail(
                "FIELD_REQUIRED", _("Give the creditor's reference for this decision."), "creditor_reference"
            )
        )
    if reason in (ClosureReason.WRITTEN_OFF, ClosureReason.DECEASED) and len(detail) < 10:
        failures.append(
            fail(
                "FIELD_REQUIRED",
                _("Say how this is known (at least 10 characters), e.g. the death certificate's reference."),
                "detail",
            )
        )
    if reason in (ClosureReason.PAID_IN_FULL, ClosureReason.SETTLED):
        for name, message in (
            ("documents_returned", _("Say which credit documents were returned to the debtor.")),
            ("documents_returned_on", _("Give the date the documents were returned.")),
            ("documents_returned_how", _("Say how the documents were returned.")),
        ):
            if not documents.get(name):
                failures.append(fail("CHECKLIST_INCOMPLETE", message, name))
    return failures


def _head() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, audit.GENESIS_HASH)


def _balance_meaning(reason: str, balance: Decimal) -> str:
    """What the balance left at closure is: nothing, forgiven, written off, still owed, ..."""
    if balance <= 0:
        return str(_("nothing left to pay"))
    return str(
        {
            ClosureReason.SETTLED: _("forgiven under the settlement: not owed any more"),
            ClosureReason.PAID_IN_FULL: _("still shown as owed"),
            ClosureReason.WRITTEN_OFF: _("written off by the creditor"),
            ClosureReason.LITIGATION: _("claimed in the litigation"),
            ClosureReason.RECALLED: _("returned to the creditor, still owed to them"),
            ClosureReason.DECEASED: _("left to the creditor (the debtor died)"),
        }.get(reason, _("still owed"))
    )


def _zone_name() -> str:
    """The zone the closure's local times are shown in (the current zone, as the `date` filter uses)."""
    from django.utils import timezone as tz

    return str(tz.get_current_timezone())


def _report(case: Case, closure: Closure, *, now: dt.datetime) -> Any:
    from compliance.dossier import dossier_pdf

    balance = case.outstanding - closure.paid_total
    currency = case.currency
    preface = mark_safe(  # noqa: S308 - rendered by the template, escaped
        render_to_string(
            "agreements/pdf/_closure.html",
            {
                "closure": closure,
                "case": case,
                # Money with its currency's decimals; what was not paid, said for what it is.
                "outstanding": format_money(case.outstanding, currency),
                "paid": format_money(closure.paid_total, currency),
                "balance": format_money(balance, currency),
                "balance_meaning": _balance_meaning(closure.reason, balance),
                "zone": _zone_name(),
            },
        )
    )
    _parts, pdf = dossier_pdf(
        case_id=case.pk,
        profile="regulator",
        now=now,
        with_files=False,
        title=str(_("Closing report")),
        preface=preface,
    )
    return pdf


def _cancel_live(case: Case, *, actor: User, reason: str, now: dt.datetime) -> list[int]:
    """Visits not yet made are cancelled; agreement drafts given up; a running agreement ends."""
    from visits import services as visit_services
    from visits.policies import LIVE_STATES

    cancelled = []
    for visit in case.visits.filter(state__in=LIVE_STATES):
        visit_services.visit_cancel(visit=visit, actor=actor, reason=reason, now=now)
        cancelled.append(visit.pk)
    for agreement in Agreement.objects.select_for_update().filter(
        case=case, state__in=[*OPEN_AGREEMENT_STATES, *RUNNING_AGREEMENT_STATES]
    ):
        agreement.cancel(reason=reason, at=now)
        save(agreement, actor)
    for plan in FollowUp.objects.select_for_update().filter(case=case, status=FollowUpStatus.OPEN):
        plan.status = FollowUpStatus.SUPERSEDED
        save(plan, actor)
    return cancelled


@refusals_recorded("case.close")
@transaction.atomic
def case_close(
    *,
    case: Case,
    actor: User,
    reason: str,
    creditor_informed_on: dt.date | None,
    creditor_informed_how: str,
    detail: str = "",
    creditor_reference: str = "",
    documents_returned: str = "",
    documents_returned_on: dt.date | None = None,
    documents_returned_how: str = "",
    now: dt.datetime | None = None,
) -> Closure:
    """Close the case (the only way to `closed`): the reason's evidence, the checklist, the closing report."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_close(actor, case))
    detail, creditor_reference = (detail or "").strip(), (creditor_reference or "").strip()
    documents = {
        "documents_returned": (documents_returned or "").strip(),
        "documents_returned_on": documents_returned_on,
        "documents_returned_how": (documents_returned_how or "").strip(),
    }
    failures: list[Failure] = []
    if not case_can_move(case, "close"):
        failures.append(
            fail(
                "WRONG_STAGE",
                _("A case that is %(stage)s cannot be closed (agents on site, or a dispute open).")
                % {"stage": case.get_stage_display()},
                "stage",
            )
        )
    failures += _reason_failures(
        case, reason, detail=detail, creditor_reference=creditor_reference, documents=documents
    )
    if creditor_informed_on is None or not (creditor_informed_how or "").strip():
        failures.append(
            fail(
                "CHECKLIST_INCOMPLETE",
                _("Say when and how the creditor was informed."),
                "creditor_informed_on",
            )
        )
    elif creditor_informed_on > local_today(case, now):
        failures.append(
            fail(
                "DATE_INVALID",
                _("The creditor cannot have been informed in the future."),
                "creditor_informed_on",
            )
        )
    if failures:
        raise DomainError(failures)
    cancelled = _cancel_live(case, actor=actor, reason=str(_("The case is closed.")), now=now)
    case.refresh_from_db()
    head_seq, head_hash = _head()
    closure = Closure(
        case=case,
        reason=reason,
        detail=detail[:2000],
        creditor_reference=creditor_reference[:64],
        documents_returned=documents["documents_returned"][:300],
        documents_returned_on=documents_returned_on,
        documents_returned_how=documents["documents_returned_how"][:200],
        creditor_informed_on=creditor_informed_on,
        creditor_informed_how=creditor_informed_how.strip()[:200],
        paid_total=selectors.paid_total(case),
        audit_head_seq=head_seq,
        audit_head_hash=head_hash,
        closed_by=actor,
        closed_at=now,
    )
    move = case_stage_move(case=case, transition="close", actor=actor, at=now)
    save(closure, actor)
    pdf = _report(case, closure, now=now)
    closure.report.save(f"closing-report-{case.external_ref}.pdf", ContentFile(pdf.content), save=False)
    closure.report_sha256 = pdf.sha256
    save(closure, actor)
    audit.record(
        actor=actor,
        action="case.closed",
        obj=case,
        case_id=case.pk,
        data={
            "reason": reason,
            "closure": closure.pk,
            **move,
            "paid_total": closure.paid_total,
            "outstanding": case.outstanding,
            "report_sha256": pdf.sha256,
            "audit_head": [head_seq, head_hash],
            "visits_cancelled": cancelled,
            "detail_digest": digest(detail, kind="note") if detail else "",
        },
    )
    return closure


@refusals_recorded("case.reopen")
@transaction.atomic
def case_reopen(*, case: Case, actor: User, reason: str, now: dt.datetime | None = None) -> Case:
    """closed → follow_up by a supervisor of the team, with a reason; a follow-up task opens."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_close(actor, case))
    if case.stage != Stage.CLOSED:
        raise refuse("WRONG_STAGE", _("Only a closed case can be reopened."), "stage")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise refuse("FIELD_REQUIRED", _("Say why the case is reopened (at least 10 characters)."), "reason")
    closure = (
        Closure.objects.select_for_update()
        .filter(case=case, reopened_at__isnull=True)
        .order_by("-closed_at")
        .first()
    )
    if closure is not None:
        closure.reopened_by, closure.reopened_at, closure.reopen_reason = actor, now, reason[:2000]
        save(closure, actor)
    move = case_stage_move(case=case, transition="reopen", actor=actor, at=now)
    _plan_follow_up(
        case=case,
        actor=actor,
        now=now,
        trigger=FollowUp.Trigger.REOPENED,
        next_action=NextAction.DECIDE,
        next_action_note=reason[:300],
        due_on=local_today(case, now) + dt.timedelta(days=1),
        owner=actor,
        review_every_days=7,
    )
    audit.record(
        actor=actor,
        action="case.reopened",
        obj=case,
        case_id=case.pk,
        data={
            **move,
            "closure": closure.pk if closure else None,
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return case


@refusals_recorded("case.recall")
@transaction.atomic
def case_recall(
    *,
    case: Case,
    actor: User,
    reason: str,
    creditor_reference: str,
    end_agreement: bool = False,
    now: dt.datetime | None = None,
) -> Closure:
    """The creditor withdraws the case (its mandate for this debt ends; PRC Civil Code art. 933): closed
    as recalled, through `case_close`, with the creditor informed at once (it is the creditor's own
    decision) and its reference kept. Live visits are cancelled and drafts given up as on any closure.

    Refused when the case is already closed (CASE_CLOSED), while agents are on site or a dispute holds
    it (WRONG_STAGE: the visit ends or the dispute is answered first), and while the debtor has a
    signed agreement running (AGREEMENT_RUNNING) unless the creditor says `end_agreement`: the debtor
    signed terms in the creditor's name, so ending them is never a side effect."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_close(actor, case))
    reason, creditor_reference = (reason or "").strip(), (creditor_reference or "").strip()
    if case.stage == Stage.CLOSED:
        raise refuse("CASE_CLOSED", _("The case is already closed."), "case")
    failures: list[Failure] = []
    if not reason:
        failures.append(fail("FIELD_REQUIRED", _("Say why the case is recalled."), "reason"))
    if not creditor_reference:
        failures.append(
            fail("FIELD_REQUIRED", _("Give your reference for this recall."), "creditor_reference")
        )
    if not case_can_move(case, "close"):
        failures.append(
            fail(
                "WRONG_STAGE",
                _("A case that is %(stage)s cannot be recalled now (agents on site, or a dispute open).")
                % {"stage": case.get_stage_display()},
                "stage",
            )
        )
    running = list(
        Agreement.objects.filter(case=case, state__in=RUNNING_AGREEMENT_STATES).values_list(
            "number", flat=True
        )
    )
    if running and not end_agreement:
        failures.append(
            fail(
                "AGREEMENT_RUNNING",
                _(
                    "The debtor has a signed repayment agreement running (%(numbers)s): recall with "
                    "end_agreement to end it, or wait until it is completed."
                )
                % {"numbers": ", ".join(running)},
                "end_agreement",
            )
        )
    if failures:
        raise DomainError(failures)
    closure = case_close(
        case=case,
        actor=actor,
        reason=ClosureReason.RECALLED,
        creditor_informed_on=local_today(case, now),
        creditor_informed_how=str(_("Recalled by the creditor")),
        detail=reason,
        creditor_reference=creditor_reference,
        now=now,
    )
    audit.record(
        actor=actor,
        action="case.recalled",
        obj=case,
        case_id=case.pk,
        data={
            "closure": closure.pk,
            "creditor_reference": creditor_reference[:64],
            "agreements_ended": running,
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return closure
