"""Repayment agreements: draft (an equal or hand-edited schedule), approval of a settlement discount,
signing on the agent's phone (debtor, agent and witness draw their signatures) or on the debtor's own
phone through a one-time link, the signed PDF with its SHA-256, cancellation and renegotiation.

Decide, then act: the rules of the `sign` moment (DISPUTE_OPEN, CEASE_CONTACT, REPRESENTED,
AFFORDABILITY, LIMITATION) are recorded as a decision before anything is signed; a refusal commits the
decision and is raised afterwards. A signed agreement is never edited: a renegotiated plan is a new
agreement that supersedes it when it is signed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, Stage
from cases.services.stage import case_stage_move
from common.errors import DomainError, Failure
from common.idempotency import checked_key
from common.pdf import render_pdf
from common.pii import digest
from compliance import audit, decisions
from compliance.refusals import RulesRefused, refusals_recorded

from .. import policies, schedule, selectors
from ..models import (
    OPEN_AGREEMENT_STATES,
    Agreement,
    AgreementKind,
    AgreementState,
    Frequency,
    Instalment,
    PaymentMethod,
    Signature,
    SignatureRole,
    SigningLink,
)
from ._shared import fail, local_today, lock_agreement, lock_case, refuse, save
from ._shared import now as _now

DRAFTABLE_STAGES = (
    Stage.VERIFIED,
    Stage.CONVERSATION_LOGGED,
    Stage.FOLLOW_UP,
    Stage.AGREEMENT_SIGNED,
    Stage.ESCALATED,
)
SIGNATURE_MAX_BYTES = 512 * 1024
LINK_VALID = dt.timedelta(hours=72)
LINK_MAX_FAILURES = 5


def _lines(
    *,
    kind: str,
    total: Decimal,
    currency: str,
    first_due: dt.date,
    count: int,
    frequency: str,
    edited: Sequence[tuple[dt.date, Decimal]] | None,
) -> list[schedule.Line]:
    if edited:
        return [schedule.Line(i + 1, day, amount) for i, (day, amount) in enumerate(edited)]
    if kind != AgreementKind.INSTALMENTS:
        count = 1
    return schedule.equal_schedule(
        total=total, currency=currency, first_due=first_due, count=count, frequency=frequency
    )


def _terms_failures(
    *,
    case: Case,
    kind: str,
    total: Any,
    first_due: Any,
    count: Any,
    frequency: str,
    method: str,
    stated_income: Any,
    stated_expenses: Any,
    today: dt.date,
    owed: Decimal,
) -> list[Failure]:
    failures: list[Failure] = []
    if kind not in AgreementKind.values:
        failures.append(fail("INVALID_INPUT", _("Choose the kind of agreement."), "kind"))
    if method not in PaymentMethod.values:
        failures.append(fail("INVALID_INPUT", _("Choose how the debtor pays."), "method"))
    if kind == AgreementKind.INSTALMENTS and (count or 0) < 2:
        failures.append(fail("COUNT_INVALID", _("An instalment plan has at least two instalments."), "count"))
    failures += schedule.terms_problems(
        total=total,
        currency=case.currency,
        first_due=first_due,
        count=count if kind == AgreementKind.INSTALMENTS else 1,
        frequency=frequency if kind == AgreementKind.INSTALMENTS else Frequency.MONTHLY,
        today=today,
    )
    if isinstance(total, Decimal) and total > owed:
        failures.append(
            fail(
                "AMOUNT_TOO_LARGE",
                _("The total (%(total)s) is more than the debtor owes (%(owed)s).")
                % {"total": total, "owed": owed},
                "total",
            )
        )
    for name, value in (("stated_income", stated_income), ("stated_expenses", stated_expenses)):
        if value is None:
            failures.append(
                fail("FIELD_REQUIRED", _("Record the debtor's stated monthly income and expenses."), name)
            )
        elif value < 0:
            failures.append(fail("AMOUNT_INVALID", _("An amount cannot be negative."), name))
    return failures


def _checked_schedule(
    *,
    case: Case,
    kind: str,
    total: Any,
    first_due: Any,
    count: Any,
    frequency: str,
    method: str,
    stated_income: Any,
    stated_expenses: Any,
    edited: Sequence[tuple[dt.date, Decimal]] | None,
    today: dt.date,
    owed: Decimal,
    failures: list[Failure],
) -> list[schedule.Line]:
    """The terms checked (with the caller's own `failures`), then the schedule they make: what a
    draft and a redraft both need. Every problem of the terms is named before the schedule is built."""
    failures = failures + _terms_failures(
        case=case,
        kind=kind,
        total=total,
        first_due=first_due,
        count=count,
        frequency=frequency,
        method=method,
        stated_income=stated_income,
        stated_expenses=stated_expenses,
        today=today,
        owed=owed,
    )
    if failures:
        raise DomainError(failures)
    lines = _lines(
        kind=kind,
        total=total,
        currency=case.currency,
        first_due=first_due,
        count=count,
        frequency=frequency,
        edited=edited,
    )
    problems = schedule.schedule_problems(lines=lines, total=total, currency=case.currency, today=today)
    if problems:
        raise DomainError(problems)
    return lines


def _number(case: Case) -> str:
    return f"AG-{case.pk}-{Agreement.objects.filter(case=case).count() + 1}"


@refusals_recorded("agreement.draft")
@transaction.atomic
def agreement_draft(
    *,
    case: Case,
    actor: User,
    kind: str,
    total: Decimal,
    first_due_date: dt.date,
    method: str,
    stated_income: Decimal | None,
    stated_expenses: Decimal | None,
    instalment_count: int = 1,
    frequency: str = Frequency.MONTHLY,
    method_note: str = "",
    conditions: str = "",
    debtor_requested_terms: bool = False,
    schedule_lines: Sequence[tuple[dt.date, Decimal]] | None = None,
    visit_id: int | None = None,
    language: str = "zh-hans",
    now: dt.datetime | None = None,
) -> Agreement:
    """Draft an agreement for the balance (or less: a settlement discount, which needs a supervisor's
    approval above the creditor's share). The schedule is equal instalments to the cent unless given."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_draft(actor, case))
    failures: list[Failure] = []
    if case.stage not in DRAFTABLE_STAGES:
        failures.append(
            fail(
                "WRONG_STAGE",
                _("An agreement cannot be drafted on a case that is %(stage)s.")
                % {"stage": case.get_stage_display()},
                "stage",
            )
        )
    if Agreement.objects.filter(case=case, state__in=OPEN_AGREEMENT_STATES).exists():
        failures.append(fail("DRAFT_EXISTS", _("This case already has an agreement being drafted."), "case"))
    owed = selectors.balance(case)
    if owed <= 0:
        failures.append(
            fail("NOTHING_OWED", _("The debtor owes nothing: there is no agreement to make."), "total")
        )
    today = local_today(case, now)
    lines = _checked_schedule(
        case=case,
        kind=kind,
        total=total,
        first_due=first_due_date,
        count=instalment_count,
        frequency=frequency,
        method=method,
        stated_income=stated_income,
        stated_expenses=stated_expenses,
        edited=schedule_lines,
        today=today,
        owed=owed,
        failures=failures,
    )
    in_force = selectors.agreement_in_force(case)
    agreement = Agreement(
        case=case,
        number=_number(case),
        kind=kind,
        currency=case.currency,
        balance=owed,
        total=total,
        first_due_date=lines[0].due_date,
        instalment_count=len(lines),
        frequency=frequency if kind == AgreementKind.INSTALMENTS else Frequency.MONTHLY,
        schedule_edited=bool(schedule_lines),
        method=method,
        method_note=(method_note or "").strip()[:300],
        conditions=(conditions or "").strip()[:2000],
        stated_income=stated_income,
        stated_expenses=stated_expenses,
        debtor_requested_terms=debtor_requested_terms,
        visit_id=visit_id,
        supersedes=in_force,
        drafted_by=actor,
        approval_required=(owed - total) / owed > case.creditor.settlement_approval_share,
        language=language if language in ("en", "zh-hans") else "zh-hans",
        state_changed_at=now,
    )
    save(agreement, actor)
    for line in lines:
        save(
            Instalment(agreement=agreement, number=line.number, due_date=line.due_date, amount=line.amount),
            actor,
        )
    audit.record(
        actor=actor,
        action="agreement.drafted",
        obj=agreement,
        case_id=case.pk,
        data={
            "agreement": agreement.number,
            "kind": kind,
            "currency": case.currency,
            "balance": owed,
            "total": total,
            "discount": owed - total,
            "instalments": [[line.due_date, line.amount] for line in lines],
            "approval_required": agreement.approval_required,
            "supersedes": in_force.number if in_force else None,
        },
    )
    return agreement


def agreement_editable(agreement: Agreement) -> bool:
    """A draft is edited until it is submitted for approval or anyone signed it."""
    return agreement.state == AgreementState.DRAFT and not agreement.signatures.exists()


@refusals_recorded("agreement.redraft")
@transaction.atomic
def agreement_redraft(
    *,
    agreement: Agreement,
    actor: User,
    kind: str,
    total: Decimal,
    first_due_date: dt.date,
    method: str,
    stated_income: Decimal | None,
    stated_expenses: Decimal | None,
    instalment_count: int = 1,
    frequency: str = Frequency.MONTHLY,
    method_note: str = "",
    conditions: str = "",
    debtor_requested_terms: bool = False,
    schedule_lines: Sequence[tuple[dt.date, Decimal]] | None = None,
    language: str = "zh-hans",
    now: dt.datetime | None = None,
) -> Agreement:
    """Change the terms of a draft (one that failed affordability, say) instead of cancelling and retyping
    it: the same checks as a new draft, the schedule rebuilt, and a signing link already sent for the old
    terms no longer valid. Refused once submitted for approval or signed by anyone."""
    now = now or _now()
    agreement = lock_agreement(agreement)
    case = lock_case(agreement.case)
    policies.require(policies.can_draft(actor, case))
    if not agreement_editable(agreement):
        raise refuse(
            "NOT_EDITABLE",
            _("Only a draft nobody has signed yet can be edited; cancel it and draft a new one."),
            "state",
        )
    owed = selectors.balance(case)
    today = local_today(case, now)
    lines = _checked_schedule(
        case=case,
        kind=kind,
        total=total,
        first_due=first_due_date,
        count=instalment_count,
        frequency=frequency,
        method=method,
        stated_income=stated_income,
        stated_expenses=stated_expenses,
        edited=schedule_lines,
        today=today,
        owed=owed,
        failures=[],
    )
    before = {"total": agreement.total, "instalments": agreement.instalment_count}
    agreement.kind = kind
    agreement.balance = owed
    agreement.total = total
    agreement.first_due_date = lines[0].due_date
    agreement.instalment_count = len(lines)
    agreement.frequency = frequency if kind == AgreementKind.INSTALMENTS else Frequency.MONTHLY
    agreement.schedule_edited = bool(schedule_lines)
    agreement.method = method
    agreement.method_note = (method_note or "").strip()[:300]
    agreement.conditions = (conditions or "").strip()[:2000]
    agreement.stated_income = stated_income
    agreement.stated_expenses = stated_expenses
    agreement.debtor_requested_terms = debtor_requested_terms
    agreement.approval_required = (owed - total) / owed > case.creditor.settlement_approval_share
    agreement.language = language if language in ("en", "zh-hans") else "zh-hans"
    save(agreement, actor)
    for old in list(agreement.instalments.all()):
        old.delete()
    for line in lines:
        save(
            Instalment(agreement=agreement, number=line.number, due_date=line.due_date, amount=line.amount),
            actor,
        )
    revoked = 0
    for link in agreement.signing_links.filter(used_at__isnull=True, expires_at__gt=now):
        link.expires_at = now
        link.save(update_fields=["expires_at"])
        revoked += 1
    audit.record(
        actor=actor,
        action="agreement.redrafted",
        obj=agreement,
        case_id=case.pk,
        data={
            "agreement": agreement.number,
            "before": before,
            "kind": kind,
            "currency": case.currency,
            "balance": owed,
            "total": total,
            "discount": owed - total,
            "instalments": [[line.due_date, line.amount] for line in lines],
            "debtor_requested_terms": debtor_requested_terms,
            "approval_required": agreement.approval_required,
            "signing_links_revoked": revoked,
        },
    )
    return agreement


def _decide(agreement: Agreement, *, moment: str, actor: Any, now: dt.datetime) -> decisions.Evaluation:
    case = agreement.case
    facts = selectors.facts_of(agreement, today=local_today(case, now))
    params = selectors.params_for(case)
    from compliance.rules.agreements import check_agreement

    failures = check_agreement(moment="sign", facts=facts, params=params)  # approval judges what signing will
    return decisions.record(
        action=f"agreement.{moment}",
        moment=moment,
        failures=failures,
        inputs={"facts": facts.as_trace(), "pack": params.as_trace(), "now": audit.format_at(now)},
        pack=selectors.pack_for(case),
        actor=actor,
        now=now,
        obj=agreement,
        case_id=case.pk,
    )


@refusals_recorded("agreement.submit")
def agreement_submit(*, agreement: Agreement, actor: User, now: dt.datetime | None = None) -> Agreement:
    """draft → awaiting approval (a settlement discount above the creditor's share): the rules run now
    so that the approving supervisor sees their decision."""
    now = now or _now()
    refusal: RulesRefused | None = None
    with transaction.atomic():
        agreement = lock_agreement(agreement)
        lock_case(agreement.case)
        policies.require(policies.can_draft(actor, agreement.case))
        if agreement.state != AgreementState.DRAFT or not agreement.approval_required:
            raise refuse(
                "WRONG_STATE", _("Only a draft that needs approval is submitted for approval."), "state"
            )
        evaluation = _decide(agreement, moment="approve", actor=actor, now=now)
        if evaluation.blocked:
            refusal = evaluation.refusal()
        else:
            agreement.submit(at=now)
            agreement.decision = evaluation.decision
            save(agreement, actor)
            audit.record(
                actor=actor,
                action="agreement.submitted",
                obj=agreement,
                case_id=agreement.case_id,
                data={
                    "agreement": agreement.number,
                    "discount": agreement.discount,
                    "decision": evaluation.decision.pk,
                },
            )
    if refusal is not None:
        raise refusal
    return agreement


@refusals_recorded("agreement.approve")
@transaction.atomic
def agreement_approve(
    *,
    agreement: Agreement,
    actor: User,
    approve: bool = True,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Agreement:
    """A supervisor of the team who did not draft it approves the discount, or sends the draft back."""
    now = now or _now()
    agreement = lock_agreement(agreement)
    policies.require(policies.can_approve(actor, agreement))
    if agreement.state != AgreementState.AWAITING_APPROVAL:
        raise refuse(
            "WRONG_STATE", _("Only an agreement awaiting approval can be approved or sent back."), "state"
        )
    comment = (comment or "").strip()
    if not approve and not comment:
        raise refuse("FIELD_REQUIRED", _("Say why the agreement is sent back."), "comment")
    if approve:
        agreement.approve(by=actor, at=now, comment=comment[:2000])
    else:
        agreement.send_back(at=now, comment=comment[:2000])
    save(agreement, actor)
    audit.record(
        actor=actor,
        action="agreement.approved" if approve else "agreement.sent_back",
        obj=agreement,
        case_id=agreement.case_id,
        data={
            "agreement": agreement.number,
            "comment_digest": digest(comment, kind="note") if comment else "",
        },
    )
    return agreement


@refusals_recorded("agreement.cancel")
@transaction.atomic
def agreement_cancel(
    *, agreement: Agreement, actor: User, reason: str, now: dt.datetime | None = None
) -> Agreement:
    """A draft is given up (the case goes on to follow-up when it was waiting for this agreement)."""
    now = now or _now()
    agreement = lock_agreement(agreement)
    case = lock_case(agreement.case)
    policies.require(policies.can_draft(actor, case))
    if agreement.state not in OPEN_AGREEMENT_STATES:
        raise refuse(
            "WRONG_STATE", _("Only a draft can be cancelled; a signed agreement is superseded."), "state"
        )
    reason = (reason or "").strip()
    if not reason:
        raise refuse("FIELD_REQUIRED", _("Say why the draft is given up."), "reason")
    agreement.cancel(reason=reason[:2000], at=now)
    save(agreement, actor)
    moved = {}
    if case.stage == Stage.CONVERSATION_LOGGED:
        moved = case_stage_move(case=case, transition="back_to_follow_up", actor=actor, at=now)
    audit.record(
        actor=actor,
        action="agreement.cancelled",
        obj=agreement,
        case_id=case.pk,
        data={"agreement": agreement.number, "reason_digest": digest(reason, kind="note"), **moved},
    )
    return agreement


# --- signatures -------------------------------------------------------------------------------------


def parse_signature(value: str | bytes, *, field: str) -> bytes:
    """A drawn signature: a PNG (raw bytes or a `data:image/png;base64,` URL), not blank, not too big."""
    from PIL import Image

    if isinstance(value, str):
        text = value.strip()
        if text.startswith("data:image/png;base64,"):
            text = text.split(",", 1)[1]
        try:
            value = base64.b64decode(text, validate=True)
        except (ValueError, TypeError) as error:
            raise refuse("SIGNATURE_INVALID", _("The signature is not a drawn image."), field) from error
    if not value:
        raise refuse("SIGNATURE_MISSING", _("Sign in the box."), field)
    if len(value) > SIGNATURE_MAX_BYTES or not value.startswith(b"\x89PNG"):
        raise refuse("SIGNATURE_INVALID", _("The signature is not a drawn image."), field)
    try:
        with Image.open(io.BytesIO(value)) as image:
            image.load()
            ink = image.convert("LA").getextrema()
    except Exception as error:  # Pillow's many error types: any means "not an image"
        raise refuse("SIGNATURE_INVALID", _("The signature is not a drawn image."), field) from error
    luminance, alpha = ink
    if alpha[1] == 0 or luminance[0] == luminance[1]:  # fully transparent, or one colour: nothing drawn
        raise refuse("SIGNATURE_MISSING", _("Sign in the box."), field)
    return value


def _store_signature(
    agreement: Agreement,
    *,
    role: str,
    name: str,
    png: bytes,
    signer: Any,
    via: str,
    at: dt.datetime,
    actor: Any,
) -> Signature:
    sha = hashlib.sha256(png).hexdigest()
    signature = Signature(
        agreement=agreement, role=role, name=name, signer=signer, sha256=sha, via=via, signed_at=at
    )
    signature.image.save(f"{role}.png", ContentFile(png), save=False)
    save(signature, actor)
    return signature


def _pdf(agreement: Agreement, *, now: dt.datetime) -> Any:
    signatures = {
        s.role: {
            "signature": s,
            "data_url": "data:image/png;base64," + base64.b64encode(s.image.open("rb").read()).decode(),
        }
        for s in agreement.signatures.all()
    }
    return render_pdf(
        template="agreements/pdf/agreement.html",
        context={
            "agreement": agreement,
            "case": agreement.case,
            "instalments": list(agreement.instalments.order_by("number")),
            "signatures": signatures,
            "agency": settings.AGENCY_NAME,
            "pack": selectors.pack_for(agreement.case),
            "generated_at": now,
        },
        filename=f"{agreement.number}.pdf",
        sign=True,
        language=agreement.language,
    )


@refusals_recorded("agreement.sign")
def agreement_sign(
    *,
    agreement: Agreement,
    actor: User,
    idempotency_key: str,
    agent_signature: str | bytes,
    debtor_signature: str | bytes | None = None,
    witness_name: str = "",
    witness_signature: str | bytes | None = None,
    debtor_understood: bool = False,
    now: dt.datetime | None = None,
) -> Agreement:
    """Sign: the debtor (on this phone, or already through their link), the agent, and a witness (on this
    phone; not needed when the debtor signed on their own phone after the identity check). The signed PDF
    is stored with its SHA-256, the agreement becomes active, any agreement in force is superseded, and
    the case moves to `agreement_signed`."""
    now = now or _now()
    key = checked_key(idempotency_key)
    refusal: RulesRefused | None = None
    with transaction.atomic():
        agreement = lock_agreement(agreement)
        case = lock_case(agreement.case)
        policies.require(policies.can_draft(actor, case))
        if agreement.sign_key == key:
            return agreement
        if agreement.approval_required and agreement.state in (
            AgreementState.DRAFT,
            AgreementState.AWAITING_APPROVAL,
        ):
            raise refuse(
                "APPROVAL_REQUIRED",
                _("The settlement discount needs a supervisor's approval before signing."),
                "state",
            )
        if agreement.state != (
            AgreementState.APPROVED if agreement.approval_required else AgreementState.DRAFT
        ):
            raise refuse(
                "WRONG_STATE",
                _("This agreement cannot be signed now (it is %(state)s).")
                % {"state": agreement.get_state_display()},
                "state",
            )
        remote = agreement.signatures.filter(role=SignatureRole.DEBTOR).first()
        failures: list[Failure] = []
        pngs: dict[str, bytes] = {}
        for role, value, field in (
            ("agent", agent_signature, "agent_signature"),
            ("debtor", debtor_signature if remote is None else None, "debtor_signature"),
            ("witness", witness_signature if remote is None else None, "witness_signature"),
        ):
            if role != "agent" and remote is not None:
                continue
            try:
                pngs[role] = parse_signature(value or b"", field=field)
            except DomainError as error:
                failures += error.failures
        witness_name = (witness_name or "").strip()
        if remote is None and not witness_name:
            failures.append(fail("FIELD_REQUIRED", _("Give the witness's name."), "witness_name"))
        if remote is None and not debtor_understood:
            failures.append(
                fail(
                    "UNDERSTANDING_REQUIRED",
                    _("Confirm the debtor read (or was read) the terms and understood them."),
                    "debtor_understood",
                )
            )
        if failures:
            raise DomainError(failures)
        evaluation = _decide(agreement, moment="sign", actor=actor, now=now)
        if evaluation.blocked:
            refusal = evaluation.refusal()
        else:
            _execute(
                agreement=agreement,
                case=case,
                actor=actor,
                key=key,
                pngs=pngs,
                witness_name=witness_name,
                evaluation=evaluation,
                now=now,
            )
    if refusal is not None:
        raise refusal
    return agreement


def _execute(
    *,
    agreement: Agreement,
    case: Case,
    actor: User,
    key: str,
    pngs: dict[str, bytes],
    witness_name: str,
    evaluation: decisions.Evaluation,
    now: dt.datetime,
) -> None:
    if "debtor" in pngs:
        _store_signature(
            agreement,
            role="debtor",
            name=case.debtor.name,
            png=pngs["debtor"],
            signer=None,
            via=Signature.Via.DEVICE,
            at=now,
            actor=actor,
        )
    _store_signature(
        agreement,
        role="agent",
        name=actor.display_name,
        png=pngs["agent"],
        signer=actor,
        via=Signature.Via.DEVICE,
        at=now,
        actor=actor,
    )
    if "witness" in pngs:
        _store_signature(
            agreement,
            role="witness",
            name=witness_name[:200],
            png=pngs["witness"],
            signer=None,
            via=Signature.Via.DEVICE,
            at=now,
            actor=actor,
        )
    agreement.limitation_warned = any(f.code == "LIMITATION" for f in evaluation.warnings)
    agreement.decision = evaluation.decision
    agreement.sign_key = key
    old_state = agreement.state
    agreement.sign(at=now)
    pdf = _pdf(agreement, now=now)
    agreement.pdf.save(pdf.filename, ContentFile(pdf.content), save=False)
    agreement.pdf_sha256 = pdf.sha256
    agreement.activate(at=now)
    save(agreement, actor)
    superseded = agreement.supersedes
    if superseded is not None and superseded.state in (
        AgreementState.SIGNED,
        AgreementState.ACTIVE,
        AgreementState.BROKEN,
    ):
        superseded = Agreement.objects.select_for_update().get(pk=superseded.pk)
        superseded.supersede(at=now)
        save(superseded, actor)
    move = case_stage_move(case=case, transition="sign_agreement", actor=actor, at=now)
    audit.record(
        actor=actor,
        action="agreement.signed",
        obj=agreement,
        case_id=case.pk,
        data={
            "agreement": agreement.number,
            "state": [old_state, agreement.state],
            "pdf_sha256": pdf.sha256,
            "signatures": {s.role: s.sha256 for s in agreement.signatures.all()},
            "decision": evaluation.decision.pk,
            "warnings": [f.code for f in evaluation.warnings],
            "supersedes": superseded.number if superseded else None,
            **move,
        },
    )


# --- the debtor's own phone: a one-time link -------------------------------------------------------


def _link_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("agreements:public-sign", kwargs={"token": token})


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@refusals_recorded("agreement.signing_link")
@transaction.atomic
def signing_link_send(
    *, agreement: Agreement, actor: User, channel: str, email: str = "", now: dt.datetime | None = None
) -> SigningLink:
    """Send the debtor a one-time link (SMS to their verified phone, or e-mail) to read the agreement and
    sign it on their own phone after confirming their identity. The link is valid 72 hours."""
    from visits.services.gate import Outbound, contact_gate, deliver

    now = now or _now()
    agreement = lock_agreement(agreement)
    case = lock_case(agreement.case)
    policies.require(policies.can_draft(actor, case))
    signable = AgreementState.APPROVED if agreement.approval_required else AgreementState.DRAFT
    if agreement.state != signable:
        raise refuse("WRONG_STATE", _("Only an agreement ready to sign can be sent for signing."), "state")
    debtor = case.debtor
    token = secrets.token_urlsafe(24)
    link = SigningLink(
        agreement=agreement,
        token_digest=token_digest(token),
        channel=channel,
        expires_at=now + LINK_VALID,
        created_by=actor,
    )
    text = str(
        _("%(agency)s: please read and sign your repayment agreement %(number)s: %(link)s")
        % {"agency": settings.AGENCY_NAME, "number": agreement.number, "link": _link_url(token)}
    )
    phone = None
    if channel == "sms":
        # The best number on file: a verified one if any (the gate refuses an SMS to any other).
        phone = debtor.phones.exclude(status="invalid").order_by("-status", "pk").first()
        if phone is None:
            raise refuse("NO_PHONE", _("The debtor has no usable phone number on file."), "channel")
        recipient, recipient_digest = phone.number, phone.digest
    elif channel == "email":
        email = (email or "").strip()
        if "@" not in email:
            raise refuse("FIELD_REQUIRED", _("Give the e-mail address the link goes to."), "email")
        recipient, recipient_digest = email, digest(email.lower(), kind="email")
    else:
        raise refuse("CHANNEL_INVALID", _("Choose SMS or e-mail."), "channel")
    link.save()
    subject = str(_("Your repayment agreement"))
    link_id = link.pk
    # The gate judges the contact (hours, flags, caps, verified number), records it, and sends after
    # commit; a refusal raises here and leaves its decision.
    contact_gate(
        case=case,
        actor=actor,
        channel=channel,
        purpose="signing_link",
        now=now,
        phone=phone,
        recipient_digest=recipient_digest,
        subject=agreement,
        after_commit=lambda: deliver(
            Outbound(
                channel=channel,
                to=recipient,
                text=text,
                idempotency_key=f"sign-{link_id}",
                subject=subject,
            )
        ),
    )
    audit.record(
        actor=actor,
        action="agreement.signing_link_sent",
        obj=agreement,
        case_id=case.pk,
        data={
            "agreement": agreement.number,
            "channel": channel,
            "recipient_digest": recipient_digest,
            "expires_at": link.expires_at,
        },
    )
    return link


def link_lookup(token: str, *, now: dt.datetime | None = None) -> SigningLink | None:
    """The unused, unexpired, unlocked link for `token`, or None (the page answers 404 alike)."""
    now = now or _now()
    link = (
        SigningLink.objects.select_related("agreement__case__debtor", "agreement__case__creditor")
        .filter(token_digest=token_digest(token))
        .first()
    )
    if (
        link is None
        or link.used_at is not None
        or link.expires_at <= now
        or link.failed_attempts >= LINK_MAX_FAILURES
    ):
        return None
    return link


@transaction.atomic
def link_identify(*, link: SigningLink, id_last4: str, now: dt.datetime | None = None) -> bool:
    """The debtor proves it is them: the last 4 characters of their document number (never stored)."""
    link = SigningLink.objects.select_for_update().select_related("agreement__case__debtor").get(pk=link.pk)
    wanted = (link.agreement.case.debtor.id_number or "").strip().upper()
    given = (id_last4 or "").strip().upper()
    ok = len(given) == 4 and wanted.endswith(given)
    if not ok:
        link.failed_attempts += 1
        link.save(update_fields=["failed_attempts"])
    audit.record(
        actor=None,
        action="agreement.signing_link_identified" if ok else "agreement.signing_link_identity_failed",
        obj=link.agreement,
        case_id=link.agreement.case_id,
        data={"agreement": link.agreement.number, "attempts": link.failed_attempts},
    )
    return ok


@transaction.atomic
def agreement_sign_remote(
    *, link: SigningLink, signature: str | bytes, understood: bool, now: dt.datetime | None = None
) -> Signature:
    """The debtor signs on their own phone; the agent then adds their own signature to execute it."""
    now = now or _now()
    link = SigningLink.objects.select_for_update().select_related("agreement__case__debtor").get(pk=link.pk)
    agreement = lock_agreement(link.agreement)
    if link.used_at is not None or link.expires_at <= now:
        raise refuse("LINK_INVALID", _("This link is no longer valid."), "token")
    signable = AgreementState.APPROVED if agreement.approval_required else AgreementState.DRAFT
    if agreement.state != signable or agreement.signatures.filter(role=SignatureRole.DEBTOR).exists():
        raise refuse("WRONG_STATE", _("This agreement cannot be signed now."), "token")
    if not understood:
        raise refuse(
            "UNDERSTANDING_REQUIRED", _("Confirm that you read and understood the agreement."), "understood"
        )
    png = parse_signature(signature, field="signature")
    signed = _store_signature(
        agreement,
        role=SignatureRole.DEBTOR,
        name=agreement.case.debtor.name,
        png=png,
        signer=None,
        via=Signature.Via.REMOTE,
        at=now,
        actor=None,
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    audit.record(
        actor=None,
        action="agreement.debtor_signed_remotely",
        obj=agreement,
        case_id=agreement.case_id,
        data={"agreement": agreement.number, "signature_sha256": signed.sha256},
    )
    return signed
