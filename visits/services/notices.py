"""Prior notice of a visit, the debtor's answer, every other contact, and the sending of SMS/email.

Each service checks who may act, evaluates the rules where COMPLIANCE.md says so (decide, then act:
a refused decision commits with its audit event, then the refusal is raised), writes, and appends
exactly its audit events in one transaction. Side effects (SMS, email) run after commit in Celery tasks.
Audit payloads carry ids, channels and digests: never a phone number, an email address or a text.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.models import Case, DebtorPhone, VerificationStatus
from cases.services.stage import case_can_move, case_stage_move
from common.errors import DomainError, Failure, PermissionRefused
from common.outbox import outbox_enqueue, outbox_pending
from common.pii import digest, phone_digest
from compliance import audit, decisions
from compliance.refusals import refusals_recorded

from .. import notice_texts, selectors, sms
from ..models import (
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
from ..policies import can_edit_templates, can_record_notice
from ._shared import (
    INSTANT_CHANNELS,
    NOTICE_CHANNELS,
    SENT_BY_TASK,
    SOURCE_PROCEDURE,
    _fail,
    _now,
    _require,
    sha256_hex,
    token_digest,
)
from .clock import TypedTime, typed_time
from .gate import contact_evaluate, contact_gate

logger = logging.getLogger("fieldledger.notices")

# --- links ----------------------------------------------------------------------------------------


def public_link(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:public-verify", kwargs={"token": token})


# --- recording a notice ---------------------------------------------------------------------------


def _recipient(
    *, visit: Visit, channel: str, phone_id: int | None, email: str
) -> tuple[str, str, DebtorPhone | None]:
    """(address to send to, its digest, the phone) for SMS, e-mail and calls; empty for letters.

    Without a chosen phone, the first verified one. With none verified: for an SMS the first usable one,
    which the contact gate refuses (SMS_UNVERIFIED); for a call no number, and the limited content."""
    if channel in (Channel.SMS, Channel.PHONE):
        phones = DebtorPhone.objects.filter(debtor_id=visit.case.debtor_id).exclude(
            status=VerificationStatus.INVALID
        )
        verified = phones.filter(status=VerificationStatus.VERIFIED).order_by("pk").first()
        if phone_id:
            phone = phones.filter(pk=phone_id).first()
        elif channel == Channel.SMS:
            phone = verified or phones.order_by("pk").first()
        else:
            phone = verified  # a call without a chosen number: the first verified one, as the form says
        if phone is None and (phone_id or channel == Channel.SMS):
            raise _fail("NO_PHONE", _("The debtor has no usable phone number on file."), "phone_id")
        if phone is None:
            return "", "", None
        return (phone.number if channel == Channel.SMS else ""), phone_digest(phone.number), phone
    if channel == Channel.EMAIL:
        email = (email or "").strip()
        if "@" not in email:
            raise _fail("FIELD_REQUIRED", _("Give the email address the notice goes to."), "email")
        return email, digest(email.lower(), kind="email"), None
    return "", "", None


@refusals_recorded("notice.recorded")
def notice_record(
    *,
    visit: Visit,
    actor: Any,
    channel: str,
    given_at: dt.datetime,
    language: str,
    text: str | None = None,
    now: dt.datetime | None = None,
    phone_id: int | None = None,
    email: str = "",
) -> Notice:
    """Record (and for SMS/email, queue) the prior notice of an approved visit.

    The text is the template in force rendered for this visit unless the agent wrote their own (a
    phone call's script as actually said); either way it must carry the verification link.
    """
    now = now or _now()
    if channel in SENT_BY_TASK:
        # An SMS or e-mail goes out now, whatever time was typed: judge (and record) it at `now`.
        given_at = now
    refusal: DomainError | None = None
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("case__creditor", "case__debtor", "case__mandate", "address")
            .get(pk=visit.pk)
        )
        case = visit.case
        _require(can_record_notice(actor, case))
        pack = selectors.pack_for_case(case)
        # The typed time against the server's clock (clock.py): never before the approval nor in the
        # future; earlier than the pack's grace it is a late recording, counted from now less the grace.
        clock = typed_time(
            typed=given_at, now=now, pack=pack, field="given_at", approved_at=visit.approved_at
        )
        problems = [f for f in clock.failures if f.code == "GIVEN_BEFORE_APPROVAL"]
        if visit.state != VisitState.APPROVED:
            problems.append(
                Failure(
                    "VISIT_NOT_APPROVED",
                    _("A notice can be recorded only for an approved visit (this one is %(state)s).")
                    % {"state": visit.get_state_display()},
                    SOURCE_PROCEDURE,
                    "visit",
                )
            )
        if channel not in NOTICE_CHANNELS:
            problems.append(
                Failure(
                    "CHANNEL_INVALID", _("Choose phone, SMS, letter or email."), SOURCE_PROCEDURE, "channel"
                )
            )
        if language not in notice_texts.LANGUAGES:
            problems.append(
                Failure("LANGUAGE_INVALID", _("Choose English or Chinese."), SOURCE_PROCEDURE, "language")
            )
        if given_at >= visit.window_start:
            problems.append(
                Failure(
                    "NOTICE_AFTER_START",
                    _("A notice must be given before the visit window starts."),
                    SOURCE_PROCEDURE,
                    "given_at",
                )
            )
        problems += [f for f in clock.failures if f.code == "GIVEN_IN_FUTURE"]
        if problems:
            raise DomainError(problems)
        recipient, recipient_digest, phone = _recipient(
            visit=visit, channel=channel, phone_id=phone_id, email=email
        )

        facts = selectors.visit_facts(
            case=case,
            address=visit.address,
            agents=list(visit.agents.all()),
            window_start=visit.window_start,
            window_end=visit.window_end,
            visit=visit,
            at=given_at if channel in INSTANT_CHANNELS else None,
        )
        evaluation = decisions.evaluate(
            action="notice.record",
            moment="notice",
            facts=facts,
            pack=pack,
            actor=actor,
            now=now,
            obj=visit,
            case_id=case.pk,
        )
        if evaluation.blocked:
            refusal = evaluation.refusal()
        else:
            notice = _create_notice(
                visit=visit,
                actor=actor,
                channel=channel,
                given_at=given_at,
                language=language,
                text=text,
                now=now,
                recipient=recipient,
                recipient_digest=recipient_digest,
                phone=phone,
                decision_id=evaluation.decision.pk,
                clock=clock,
            )
    if refusal is not None:
        raise refusal
    return notice


def _create_notice(
    *,
    visit: Visit,
    actor: Any,
    channel: str,
    given_at: dt.datetime,
    language: str,
    text: str | None,
    now: dt.datetime,
    recipient: str,
    recipient_digest: str,
    phone: DebtorPhone | None,
    decision_id: int,
    clock: TypedTime,
) -> Notice:
    case = visit.case
    token = secrets.token_urlsafe(24)
    link = public_link(token)
    content = notice_texts.content_level(
        pack_level=selectors.pack_for_case(case).notice_content, channel=channel, phone=phone
    )
    context = notice_texts.context_for(visit=visit, language=language, link=link)
    if text is None or not text.strip():
        if content == notice_texts.LIMITED:
            text, source = notice_texts.render(notice_texts.LIMITED_TEXTS[language], context), "limited"
        else:
            words = notice_texts.wording(language=language, group=notice_texts.group_for(channel))
            text, source = notice_texts.render(words.body, context), words.source
    else:
        text = text.strip()
        if content == notice_texts.LIMITED and context["creditor"].casefold() in text.casefold():
            raise _fail(
                "NOTICE_CONTENT",
                _(
                    "This notice may not name the creditor, the debt or the purpose: the holder of the number is not verified."
                ),
                "text",
            )
        if link not in text:  # an agent's own words still carry the debtor's way to check the visit
            text = f"{text}\n{link}"
        source = "agent"
    queued = channel in SENT_BY_TASK
    notice = Notice(
        visit=visit,
        channel=channel,
        given_at=given_at,
        recorded_at=now,
        counts_from=clock.counts_from,
        language=language,
        text=text,
        text_sha256=sha256_hex(text),
        delivery_status=DeliveryStatus.QUEUED if queued else DeliveryStatus.RECORDED,
        idempotency_key=uuid.uuid4().hex,
        recipient=recipient,
        recorded_by=actor,
    )
    notice._history_user = actor
    notice.full_clean()
    notice.save()
    result = {Channel.PHONE: ContactResult.CONNECTED}.get(channel, ContactResult.SENT)
    # The contact gate judges the contact itself (hours in every zone, caps, flags, SMS only to a
    # verified number) and records it; the sending task leaves through the outbox (below).
    contact_gate(
        case=case,
        actor=actor,
        channel=channel,
        purpose="notice",
        at=given_at,
        now=now,
        result=result,
        phone=phone,
        recipient_digest=recipient_digest,
        subject=visit,
        visit=visit,
        notice=notice,
        after_commit=None,  # the send task leaves through the outbox below (recorded in this transaction)
    )
    VisitToken.objects.create(
        visit=visit, notice=notice, token_digest=token_digest(token), expires_at=visit.window_end
    )
    old_visit = visit.state
    visit.notify(at=now)
    visit._history_user = actor
    visit.save()
    moved: dict[str, Any] = {}
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case_can_move(case, "give_notice"):  # the first notice of the planned visit
        moved = case_stage_move(case=case, transition="give_notice", actor=actor, at=now)
    audit.record(
        actor=actor,
        action="notice.recorded",
        obj=notice,
        case_id=case.pk,
        data={
            "visit": visit.pk,
            "channel": channel,
            "given_at": given_at,
            "language": language,
            "text_sha256": notice.text_sha256,
            "text_source": source,
            "content": content,
            "recipient_digest": recipient_digest,
            "delivery": notice.delivery_status,
            "decision": decision_id,
            "counts_from": clock.counts_from,
            **({"late_minutes": clock.late_minutes} if clock.late_minutes else {}),
            "visit_state": [old_visit, visit.state],
            **moved,
        },
    )
    if queued:
        outbox_enqueue(task="visits.tasks.send_notice", notice_id=notice.pk)
    return notice


# --- sending (called by the Celery task) ----------------------------------------------------------


def notice_send(*, notice_id: int, final_attempt: bool = False) -> Notice:
    """Send a queued SMS or email notice once, whatever the number of task runs.

    Three steps, the gateway call outside any database transaction (a worker killed mid-send must not
    roll back the record of a message that left): (1) lock the notice, return if it is no longer
    queued or must be withdrawn, count the attempt, commit; (2) call the gateway with the notice's
    idempotency key; (3) lock again and record it sent (`notice.sent`) unless another run did. A run
    repeated after a crash, or two runs at once, call the gateway with the same key, which the gateway
    answers with the message it already took, and only one records it. A temporary failure is
    re-raised for the task to retry (on its last try it becomes a permanent failure); a permanent one
    marks the notice failed.
    """
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("visit__case__debtor", "visit__case__creditor", "visit__address")
            .get(pk=notice_id)
        )
        if notice.delivery_status != DeliveryStatus.QUEUED:
            return notice  # already sent, failed or given by hand: never send twice
        case_id = notice.visit.case_id
        withdrawn = _send_withdrawn_because(notice)
        if withdrawn:
            # Facts changed since it was queued (visit cancelled, contact ceased, a dispute opened).
            return _mark_failed(notice, case_id=case_id, reason=withdrawn)
        notice.delivery_attempts += 1
        notice.save(update_fields=["delivery_attempts", "updated_at"])
    try:
        provider_id = _deliver(notice)
    except sms.TemporaryError as error:
        if final_attempt:
            return _record_failure(notice_id, case_id=case_id, reason=type(error).__name__)
        raise
    except (sms.PermanentError, OSError, ValueError) as error:
        return _record_failure(notice_id, case_id=case_id, reason=type(error).__name__)
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice_id)
        if notice.delivery_status != DeliveryStatus.QUEUED:
            return notice  # another run recorded it
        notice.delivery_status = DeliveryStatus.SENT
        # Through a gateway that reports delivery, the notice counts from its receipt
        # (services/sms_receipts.py); a simulated or e-mail send counts from now.
        awaits_receipt = notice.channel == Channel.SMS and sms.reports_delivery()
        notice.delivered_at = None if awaits_receipt else _now()
        notice.save(update_fields=["delivery_status", "delivered_at", "updated_at"])
        audit.record(
            actor=None,
            action="notice.sent",
            obj=notice,
            case_id=case_id,
            data={
                "channel": notice.channel,
                "attempts": notice.delivery_attempts,
                "provider_id_digest": sha256_hex(provider_id),
            },
        )
    return notice


@transaction.atomic
def notice_delivered(*, idempotency_key: str, delivered_at: dt.datetime) -> Notice | None:
    """The hook for a gateway's delivery receipt (the SMS backend layer calls it with the receipt's
    time): the lead time of an SMS or e-mail notice counts from its delivery to the debtor, not from
    the moment it was handed to the gateway (`notice_send` sets that until a receipt comes)."""
    notice = (
        Notice.objects.select_for_update(of=("self",))
        .select_related("visit")
        .filter(idempotency_key=idempotency_key)
        .first()
    )
    if notice is None or notice.delivery_status != DeliveryStatus.SENT:
        return notice
    handed_over = notice.delivered_at
    notice.delivered_at = max(delivered_at, handed_over) if handed_over else delivered_at
    notice.save(update_fields=["delivered_at", "updated_at"])
    audit.record(
        actor=None,
        action="notice.delivered",
        obj=notice,
        case_id=notice.visit.case_id,
        data={"channel": notice.channel, "handed_over_at": handed_over, "delivered_at": notice.delivered_at},
    )
    return notice


def _record_failure(notice_id: int, *, case_id: int, reason: str) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice_id)
        if notice.delivery_status != DeliveryStatus.QUEUED:
            return notice
        return _mark_failed(notice, case_id=case_id, reason=reason)


def notices_requeue_stuck(*, now: dt.datetime | None = None) -> list[int]:
    """The reconciler (beat): notices still `queued` after OUTBOX_REQUEUE_AFTER_MINUTES whose task is not
    waiting in the outbox are handed over again (the task is idempotent; the gateway key de-duplicates).
    Logged as an error, so an operator learns that a worker or the broker lost them."""
    now = now or _now()
    cutoff = now - dt.timedelta(minutes=settings.OUTBOX_REQUEUE_AFTER_MINUTES)
    stuck = list(
        Notice.objects.filter(delivery_status=DeliveryStatus.QUEUED, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    requeued = []
    for notice_id in stuck:
        if outbox_pending(task="visits.tasks.send_notice", notice_id=notice_id):
            continue  # the relay publishes it when the broker is back
        with transaction.atomic():
            # Touch it, so the next run waits another period before handing it over again.
            Notice.objects.filter(pk=notice_id, delivery_status=DeliveryStatus.QUEUED).update(updated_at=now)
            outbox_enqueue(task="visits.tasks.send_notice", notice_id=notice_id)
        requeued.append(notice_id)
    if requeued:
        logger.error(
            "notices queued for over %s minutes handed over again: %s",
            settings.OUTBOX_REQUEUE_AFTER_MINUTES,
            requeued,
        )
    return requeued


def _deliver(notice: Notice) -> str:
    if notice.channel == Channel.SMS:
        return sms.send_sms(to=notice.recipient, text=notice.text, idempotency_key=notice.idempotency_key)
    words = notice_texts.wording(language=notice.language, group=NoticeGroup.EMAIL)
    subject = notice_texts.render(
        words.subject, notice_texts.context_for(visit=notice.visit, language=notice.language, link="")
    )
    message = EmailMessage(
        subject=subject,
        body=notice.text,
        to=[notice.recipient],
        headers={"Message-ID": f"<notice-{notice.idempotency_key}@fieldledger>"},
    )
    try:
        message.send(fail_silently=False)
    except (TimeoutError, ConnectionError) as error:
        raise sms.TemporaryError(str(error)) from error
    return f"email-{notice.idempotency_key}"


def _send_withdrawn_because(notice: Notice) -> str:
    """Why a queued notice must not go out now, judged again at sending time ("" when it may).

    The visit must still be on, and the contact gate is asked again (its decision is recorded): a
    cease-contact, a lawyer, an open dispute or complaint, the hours, the number's status."""
    visit = notice.visit
    if visit.state not in (VisitState.APPROVED, VisitState.NOTIFIED):
        return f"visit_{visit.state}"
    contact = notice.contacts.first()
    phone = (
        DebtorPhone.objects.filter(debtor_id=visit.case.debtor_id, digest=contact.phone_digest).first()
        if contact is not None and contact.phone_digest
        else None
    )
    now = _now()
    evaluation = contact_evaluate(
        case=visit.case,
        actor=None,
        channel=notice.channel,
        purpose="notice",
        at=now,
        now=now,
        phone=phone,
        subject=visit,
        exclude_contact_id=contact.pk if contact is not None else None,
    )
    return ",".join(dict.fromkeys(f.code for f in evaluation.blocking))


def _mark_failed(notice: Notice, *, case_id: int, reason: str) -> Notice:
    notice.delivery_status = DeliveryStatus.FAILED
    notice.save(update_fields=["delivery_status", "delivery_attempts", "updated_at"])
    ContactAttempt.objects.filter(notice=notice).update(result=ContactResult.FAILED)
    audit.record(
        actor=None,
        action="notice.send_failed",
        obj=notice,
        case_id=case_id,
        data={"channel": notice.channel, "attempts": notice.delivery_attempts, "error": reason},
    )
    return notice


# --- the debtor's answer ----------------------------------------------------------------------------


@refusals_recorded("notice.answered")
@transaction.atomic
def notice_answer(
    *,
    notice: Notice,
    actor: Any,
    answer: str,
    note: str = "",
    proposed_window_start: dt.datetime | None = None,
    proposed_window_end: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """Record what the debtor answered. A refusal flags the debtor, refuses the visit, moves the case
    to `visits_refused` and tells the supervisor; visits stay blocked (VISIT_REFUSED) until a
    supervisor resumes them (`visits_resume`)."""
    now = now or _now()
    notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
    visit = Visit.objects.select_for_update(of=("self",)).get(pk=notice.visit_id)
    case = Case.objects.select_for_update(of=("self",)).select_related("debtor").get(pk=visit.case_id)
    _require(can_record_notice(actor, case))
    problems = []
    if answer not in (
        NoticeAnswer.ACCEPTED,
        NoticeAnswer.RESCHEDULE,
        NoticeAnswer.REFUSED,
        NoticeAnswer.NO_ANSWER,
    ):
        problems.append(
            Failure("ANSWER_INVALID", _("Choose the debtor's answer."), SOURCE_PROCEDURE, "answer")
        )
    if notice.answer not in (NoticeAnswer.PENDING, NoticeAnswer.NO_ANSWER):
        problems.append(
            Failure(
                "NOTICE_ALREADY_ANSWERED",
                _("The answer to this notice is already recorded."),
                SOURCE_PROCEDURE,
                "answer",
            )
        )
    if answer == NoticeAnswer.RESCHEDULE:
        if proposed_window_start is None or proposed_window_end is None:
            problems.append(
                Failure(
                    "FIELD_REQUIRED",
                    _("Give the window the debtor proposed."),
                    SOURCE_PROCEDURE,
                    "proposed_window_start",
                )
            )
        elif proposed_window_end <= proposed_window_start:
            problems.append(
                Failure(
                    "WINDOW_INVALID",
                    _("The proposed window must end after it starts."),
                    SOURCE_PROCEDURE,
                    "proposed_window_end",
                )
            )
    if answer == NoticeAnswer.REFUSED and visit.state not in (VisitState.APPROVED, VisitState.NOTIFIED):
        problems.append(
            Failure(
                "VISIT_NOT_LIVE",
                _("This visit is no longer planned (%(state)s).") % {"state": visit.get_state_display()},
                SOURCE_PROCEDURE,
                "answer",
            )
        )
    if problems:
        raise DomainError(problems)
    notice.answer = answer
    notice.answered_at = now
    notice.answer_note = (note or "").strip()[:2000]
    if answer == NoticeAnswer.RESCHEDULE:
        notice.proposed_window_start = proposed_window_start
        notice.proposed_window_end = proposed_window_end
    notice._history_user = actor
    notice.full_clean()
    notice.save()
    data: dict[str, Any] = {"visit": visit.pk, "answer": answer, "channel": notice.channel}
    if notice.answer_note:
        data["note_digest"] = digest(notice.answer_note, kind="note")
    if answer == NoticeAnswer.RESCHEDULE:
        data["proposed_window"] = [proposed_window_start, proposed_window_end]
    audit.record(actor=actor, action="notice.answered", obj=notice, case_id=case.pk, data=data)
    if answer == NoticeAnswer.REFUSED:
        _refuse_visits(case=case, visit=visit, notice=notice, actor=actor, now=now)
    return notice


def _refuse_visits(*, case: Case, visit: Visit, notice: Notice, actor: Any, now: dt.datetime) -> None:
    debtor = case.debtor
    debtor.visits_refused = True
    debtor._history_user = actor
    debtor.save()
    old_visit = visit.state
    visit.refuse(at=now)
    visit._history_user = actor
    visit.save()
    moved: dict[str, Any] = {}
    if case_can_move(case, "refuse_visits"):
        moved = case_stage_move(case=case, transition="refuse_visits", actor=actor, at=now)
    audit.record(
        actor=actor,
        action="debtor.visits_refused",
        obj=debtor,
        case_id=case.pk,
        data={
            "notice": notice.pk,
            "visit": visit.pk,
            "visit_state": [old_visit, visit.state],
            **moved,
        },
    )
    outbox_enqueue(task="visits.tasks.notify_supervisor_of_refusal", notice_id=notice.pk)


def notify_supervisor_of_refusal(*, notice_id: int) -> int:
    """Email the case's supervisor that the debtor refused visits (no personal data in the email)."""
    notice = Notice.objects.select_related("visit__case__supervisor", "visit__case__creditor").get(
        pk=notice_id
    )
    case = notice.visit.case
    supervisor = case.supervisor
    if supervisor is None or not supervisor.email:
        return 0
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:contact-list", kwargs={"pk": case.pk})
    body = (
        f"The debtor of case {case} refused the visit of "
        f"{notice.visit.window_start:%Y-%m-%d %H:%M} (answer recorded {notice.answered_at:%Y-%m-%d %H:%M}).\n"
        "No home visit may be planned without a supervisor's recorded decision; use letter, email or phone.\n"
        f"{link}\n"
    )
    return EmailMessage(subject=f"Visits refused on case {case}", body=body, to=[supervisor.email]).send()


# --- notice templates ------------------------------------------------------------------------------


@refusals_recorded("notice_template.saved")
@transaction.atomic
def notice_template_save(
    *, language: str, group: str, body: str, subject: str = "", actor: Any
) -> NoticeTemplate:
    """A supervisor or compliance officer rewords a notice template (history keeps every version)."""
    if not can_edit_templates(actor):
        raise PermissionRefused.because(_("Only supervisors and compliance officers edit notice templates."))
    body = (body or "").strip()
    subject = (subject or "").strip()
    failures = []
    if language not in notice_texts.LANGUAGES or group not in NoticeGroup.values:
        failures.append(
            Failure("TEMPLATE_INVALID", _("Unknown language or channel group."), SOURCE_PROCEDURE, "group")
        )
    for text, field in ((body, "body"), (subject, "subject")):
        required = notice_texts.REQUIRED_PLACEHOLDERS if field == "body" else ()
        problems = notice_texts.placeholder_problems(text, required=required)
        if problems:
            failures.append(
                Failure(
                    "TEMPLATE_PLACEHOLDERS",
                    _(
                        "Use only the placeholders %(allowed)s; {date}, {window} and {link} are required "
                        "(found: %(problems)s)."
                    )
                    % {
                        "allowed": ", ".join("{" + p + "}" for p in notice_texts.PLACEHOLDERS),
                        "problems": ", ".join(problems),
                    },
                    SOURCE_PROCEDURE,
                    field,
                )
            )
    if failures:
        raise DomainError(failures)
    template = NoticeTemplate.objects.select_for_update().filter(language=language, group=group).first()
    created = template is None
    template = template or NoticeTemplate(language=language, group=group)
    template.body = body
    template.subject = subject
    template.updated_by = actor
    template._history_user = actor
    template.full_clean()
    template.save()
    audit.record(
        actor=actor,
        action="notice_template.saved",
        obj=template,
        data={
            "language": language,
            "group": group,
            "created": created,
            "body_sha256": sha256_hex(body),
            "subject_sha256": sha256_hex(subject),
        },
    )
    return template
