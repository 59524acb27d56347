"""Prior notice of a visit, the debtor's answer, every other contact, and the sending of SMS/email.

Each service checks who may act, evaluates the rules where COMPLIANCE.md says so (decide, then act:
a refused decision commits with its audit event, then the refusal is raised), writes, and appends
exactly its audit events in one transaction. Side effects (SMS, email) run after commit in Celery tasks.
Audit payloads carry ids, channels and digests: never a phone number, an email address or a text.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_service
from cases import policies as case_policies
from cases.models import Case, DebtorPhone, Stage, VerificationStatus
from common.errors import DomainError, Failure, PermissionRefused
from common.pii import digest, phone_digest
from compliance import audit, decisions
from compliance.rules import CHECKS
from compliance.rules.contacts import PhoneAttempt, PhoneLimits, check_phone_call

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

logger = logging.getLogger("fieldledger.visits")

P = ParamSpec("P")
R = TypeVar("R")

NOTICE_CHANNELS = (Channel.PHONE, Channel.SMS, Channel.LETTER, Channel.EMAIL)
SENT_BY_TASK = (Channel.SMS, Channel.EMAIL)
# Channels judged at the instant they reach the debtor (CONTACT_WINDOW): a call or an SMS rings at
# once; a letter or an email is read when the debtor chooses, so only the planned window is judged.
INSTANT_CHANNELS = (Channel.PHONE, Channel.SMS)
SOURCE_PROCEDURE = _("FieldLedger procedure: prior notice and contact records")


def _now() -> dt.datetime:
    return timezone.now()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def token_digest(token: str) -> str:
    """What VisitToken stores: the SHA-256 of the token (the token itself is only in the notice)."""
    return sha256_hex(token)


def _fail(code: str, message: Any, field: str = "") -> DomainError:
    return DomainError([Failure(code, message, SOURCE_PROCEDURE, field)])


# --- who may act (read from the case's object permissions and the role's global ones) -------------


def _global(user: Any, perm: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active) and user.has_perm(perm)


def can_record_notice(user: Any, case: Case) -> bool:
    """Record a notice or its answer: whoever may plan visits on the case (an agent on it, a supervisor)."""
    if is_service(user):
        return True
    return _global(user, "visits.plan_visit") and case_policies.can_work_on(user, case)


def can_record_contact(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return case_policies.can_work_on(user, case)


def can_resume_visits(user: Any, case: Case) -> bool:
    """Lift a refusal of visits: a supervisor of the team (never an agent) with a recorded reason."""
    return _global(user, "visits.approve_visit") and case_policies._object_perm(user, "change_case", case)


def can_edit_templates(user: Any) -> bool:
    from accounts.models import Role
    from accounts.roles import has_role

    return has_role(user, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionRefused.because(_("Your role does not allow this action on this case."))


def refusals_audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record a refused action (codes, who, which case) after the service's transaction rolled back.

    Rule refusals are already recorded by their decision (`rules.refused`), so they are not repeated.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except DomainError as error:
                if getattr(error, "decided", False):
                    raise
                subject = kwargs.get("notice") or kwargs.get("visit") or kwargs.get("case")
                case_id = getattr(subject, "case_id", None) or getattr(subject, "pk", None)
                if isinstance(subject, Notice):
                    case_id = subject.visit.case_id
                audit.record(
                    actor=kwargs.get("actor"),
                    action=f"{action}.refused",
                    obj=subject if subject is not None and subject.pk else None,
                    case_id=case_id if isinstance(case_id, int) else None,
                    data={"codes": error.codes},
                )
                raise

        return wrapper

    return decorate


# --- links ----------------------------------------------------------------------------------------


def public_link(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:public-verify", kwargs={"token": token})


# --- recording a notice ---------------------------------------------------------------------------


def _recipient(*, visit: Visit, channel: str, phone_id: int | None, email: str) -> tuple[str, str]:
    """(address to send to, its digest) for SMS and email; ("", "") for phone calls and letters."""
    if channel == Channel.SMS or (channel == Channel.PHONE and phone_id):
        phones = DebtorPhone.objects.filter(debtor_id=visit.case.debtor_id).exclude(
            status=VerificationStatus.INVALID
        )
        phone = phones.filter(pk=phone_id).first() if phone_id else phones.order_by("-status", "pk").first()
        if phone is None:
            raise _fail("NO_PHONE", _("The debtor has no usable phone number on file."), "phone_id")
        return (phone.number if channel == Channel.SMS else ""), phone_digest(phone.number)
    if channel == Channel.EMAIL:
        email = (email or "").strip()
        if "@" not in email:
            raise _fail("FIELD_REQUIRED", _("Give the email address the notice goes to."), "email")
        return email, digest(email.lower(), kind="email")
    return "", ""


@refusals_audited("notice.recorded")
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
    refusal: DomainError | None = None
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("case__creditor", "case__debtor", "case__mandate", "address")
            .get(pk=visit.pk)
        )
        case = visit.case
        _require(can_record_notice(actor, case))
        problems = []
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
        if given_at > now + dt.timedelta(minutes=5) and channel not in SENT_BY_TASK:
            problems.append(
                Failure(
                    "GIVEN_IN_FUTURE", _("The time given lies in the future."), SOURCE_PROCEDURE, "given_at"
                )
            )
        if problems:
            raise DomainError(problems)
        recipient, recipient_digest = _recipient(visit=visit, channel=channel, phone_id=phone_id, email=email)

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
            pack=selectors.pack_for_case(case),
            actor=actor,
            now=now,
            obj=visit,
            case_id=case.pk,
        )
        if evaluation.blocked:
            refusal = evaluation.error()
            refusal.decided = True  # type: ignore[attr-defined]
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
                decision_id=evaluation.decision.pk,
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
    decision_id: int,
) -> Notice:
    case = visit.case
    token = secrets.token_urlsafe(24)
    link = public_link(token)
    words = notice_texts.wording(language=language, group=notice_texts.group_for(channel))
    if text is None or not text.strip():
        text = notice_texts.render(
            words.body, notice_texts.context_for(visit=visit, language=language, link=link)
        )
        source = words.source
    else:
        text = text.strip()
        if link not in text:  # an agent's own words still carry the debtor's way to check the visit
            text = f"{text}\n{link}"
        source = "agent"
    queued = channel in SENT_BY_TASK
    notice = Notice(
        visit=visit,
        channel=channel,
        given_at=given_at,
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
    contact = ContactAttempt(
        case=case,
        channel=channel,
        at=given_at,
        result=result,
        phone_digest=recipient_digest if channel in (Channel.PHONE, Channel.SMS) else "",
        visit=visit,
        notice=notice,
        recorded_by=actor,
    )
    contact._history_user = actor
    contact.full_clean()
    contact.save()
    VisitToken.objects.create(
        visit=visit, notice=notice, token_digest=token_digest(token), expires_at=visit.window_end
    )
    old_visit, old_stage = visit.state, case.stage
    visit.notify(at=now)
    visit._history_user = actor
    visit.save()
    if case.stage == Stage.VISIT_PLANNED:
        case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        case.give_notice(at=now)
        case._history_user = actor
        case.save()
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
            "recipient_digest": recipient_digest,
            "delivery": notice.delivery_status,
            "decision": decision_id,
            "visit_state": [old_visit, visit.state],
            "case_stage": [old_stage, case.stage],
        },
    )
    if queued:
        notice_id = notice.pk
        transaction.on_commit(lambda: _tasks().send_notice.delay(notice_id=notice_id))
    return notice


def _tasks() -> Any:
    from .. import tasks

    return tasks


# --- sending (called by the Celery task) ----------------------------------------------------------


def notice_send(*, notice_id: int, final_attempt: bool = False) -> Notice:
    """Send a queued SMS or email notice once, whatever the number of task runs.

    The notice row is locked for the whole send, so two workers running the same task serialize and
    the second sees `sent` and returns without sending. A temporary failure is counted, committed,
    then re-raised for the task to retry (on its last try it becomes a permanent failure); a
    permanent one marks the notice failed. The gateway also gets the idempotency key, for the case
    where the commit after a successful send is lost.
    """
    retry: sms.TemporaryError | None = None
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).select_related("visit").get(pk=notice_id)
        if notice.delivery_status != DeliveryStatus.QUEUED:
            return notice  # already sent, failed or given by hand: never send twice
        notice.delivery_attempts += 1
        case_id = notice.visit.case_id
        try:
            provider_id = _deliver(notice)
        except sms.TemporaryError as error:
            if final_attempt:
                return _mark_failed(notice, case_id=case_id, reason=type(error).__name__)
            notice.save(update_fields=["delivery_attempts", "updated_at"])
            retry = error
        except (sms.PermanentError, OSError, ValueError) as error:
            return _mark_failed(notice, case_id=case_id, reason=type(error).__name__)
        else:
            notice.delivery_status = DeliveryStatus.SENT
            notice.delivered_at = _now()
            notice.save(update_fields=["delivery_status", "delivered_at", "delivery_attempts", "updated_at"])
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
    if retry is not None:
        raise retry
    return notice


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


@refusals_audited("notice.answered")
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
    old_visit, old_stage = visit.state, case.stage
    visit.refuse(at=now)
    visit._history_user = actor
    visit.save()
    if case.stage in (Stage.VERIFIED, Stage.VISIT_PLANNED, Stage.NOTICE_GIVEN):
        case.refuse_visits(at=now)
        case._history_user = actor
        case.save()
    audit.record(
        actor=actor,
        action="debtor.visits_refused",
        obj=debtor,
        case_id=case.pk,
        data={
            "notice": notice.pk,
            "visit": visit.pk,
            "visit_state": [old_visit, visit.state],
            "case_stage": [old_stage, case.stage],
        },
    )
    notice_id = notice.pk
    transaction.on_commit(lambda: _tasks().notify_supervisor_of_refusal.delay(notice_id=notice_id))


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


# --- other contacts -----------------------------------------------------------------------------------


@refusals_audited("contact.recorded")
@transaction.atomic
def contact_record(
    *,
    case: Case,
    actor: Any,
    channel: str,
    at: dt.datetime,
    result: str,
    note: str = "",
    phone_id: int | None = None,
    now: dt.datetime | None = None,
) -> ContactAttempt:
    """Record a contact attempt on any channel. CEASE_CONTACT and REPRESENTED refuse every contact."""
    now = now or _now()
    case = Case.objects.select_for_update(of=("self",)).select_related("debtor").get(pk=case.pk)
    _require(can_record_contact(actor, case))
    debtor = case.debtor
    # The pure checks read only the flags; the full visit facts (window, agents) do not apply here.
    flags = _Flags(contact_ceased=debtor.contact_ceased, represented=debtor.represented)
    failures = [f for code in ("CEASE_CONTACT", "REPRESENTED") for f in CHECKS[code](flags, None, now)]  # type: ignore[arg-type]
    if channel not in Channel.values:
        failures.append(Failure("CHANNEL_INVALID", _("Choose a channel."), SOURCE_PROCEDURE, "channel"))
    if result not in ContactResult.values:
        failures.append(Failure("RESULT_INVALID", _("Choose the result."), SOURCE_PROCEDURE, "result"))
    if at > now + dt.timedelta(minutes=5):
        failures.append(
            Failure("GIVEN_IN_FUTURE", _("The time given lies in the future."), SOURCE_PROCEDURE, "at")
        )
    phone_ref = ""
    if phone_id:
        phone = DebtorPhone.objects.filter(debtor_id=debtor.pk, pk=phone_id).first()
        if phone is None:
            failures.append(
                Failure("NO_PHONE", _("Choose one of the debtor's phones."), SOURCE_PROCEDURE, "phone_id")
            )
        else:
            phone_ref = phone.digest or phone_digest(phone.number)
    if failures:
        raise DomainError(failures)
    warnings = _phone_warnings(case=case, channel=channel, at=at, result=result, phone_ref=phone_ref)
    contact = ContactAttempt(
        case=case,
        channel=channel,
        at=at,
        result=result,
        phone_digest=phone_ref,
        note=(note or "").strip()[:2000],
        recorded_by=actor,
    )
    contact._history_user = actor
    contact.full_clean()
    contact.save()
    data: dict[str, Any] = {"channel": channel, "result": result, "at": at}
    if phone_ref:
        data["phone_digest"] = phone_ref
    if contact.note:
        data["note_digest"] = digest(contact.note, kind="note")
    if warnings:
        data["warnings"] = sorted({w.code for w in warnings})
    audit.record(actor=actor, action="contact.recorded", obj=contact, case_id=case.pk, data=data)
    contact.warnings = warnings  # type: ignore[attr-defined]  (shown to the agent by the view)
    return contact


def _phone_warnings(
    *, case: Case, channel: str, at: dt.datetime, result: str, phone_ref: str
) -> list[Failure]:
    """Hours and phone-attempt caps of the case's rule pack, as warnings on a recorded phone call."""
    if channel != Channel.PHONE:
        return []
    pack = selectors.pack_for_case(case)
    limits = PhoneLimits(
        unanswered_per_day=pack.phone_unanswered_per_day,
        connected_per_day=pack.phone_connected_per_day,
        calls_per_7_days=pack.phone_calls_per_7_days,
        window_start=pack.contact_window_start,
        window_end=pack.contact_window_end,
    )
    earlier = tuple(
        PhoneAttempt(at=c.at, result=c.result, phone_digest=c.phone_digest)
        for c in ContactAttempt.objects.filter(
            case__debtor_id=case.debtor_id,
            channel=Channel.PHONE,
            at__gt=at - dt.timedelta(days=8),
            at__lte=at,
        )
    )
    zones = tuple(
        dict.fromkeys(
            [case.debtor.time_zone, *(a.time_zone for a in case.debtor.addresses.filter(status="verified"))]
        )
    )
    return check_phone_call(
        at=at, result=result, phone_digest=phone_ref, earlier=earlier, time_zones=zones, limits=limits
    )


class _Flags:
    def __init__(self, *, contact_ceased: bool, represented: bool) -> None:
        self.contact_ceased = contact_ceased
        self.represented = represented


@refusals_audited("case.visits_resumed")
@transaction.atomic
def visits_resume(*, case: Case, actor: Any, reason: str, now: dt.datetime | None = None) -> Case:
    """A supervisor lifts the debtor's refusal of visits with a written reason (the override of
    VISIT_REFUSED): the flag is cleared and the case returns to `verified` to be planned again."""
    now = now or _now()
    case = Case.objects.select_for_update(of=("self",)).select_related("debtor").get(pk=case.pk)
    _require(can_resume_visits(actor, case))
    reason = (reason or "").strip()
    problems = []
    if not case.debtor.visits_refused and case.stage != Stage.VISITS_REFUSED:
        problems.append(
            Failure("VISITS_NOT_REFUSED", _("The debtor has not refused visits."), SOURCE_PROCEDURE, "case")
        )
    if len(reason) < 10:
        problems.append(
            Failure(
                "OVERRIDE_REASON",
                _("Write the reason for the override (at least 10 characters)."),
                SOURCE_PROCEDURE,
                "reason",
            )
        )
    if problems:
        raise DomainError(problems)
    debtor = case.debtor
    debtor.visits_refused = False
    debtor._history_user = actor
    debtor.save()
    old_stage = case.stage
    if case.stage == Stage.VISITS_REFUSED:
        case.resume_visits(at=now)
        case._history_user = actor
        case.save()
    audit.record(
        actor=actor,
        action="case.visits_resumed",
        obj=case,
        case_id=case.pk,
        data={
            "overrides": "VISIT_REFUSED",
            "debtor": debtor.pk,
            "case_stage": [old_stage, case.stage],
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return case


# --- notice templates ------------------------------------------------------------------------------


@refusals_audited("notice_template.saved")
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


# --- scheduled work (Celery beat, visits/tasks.py) ----------------------------------------------------

REMINDERS = (
    # (kind, how long before the window start it becomes due, when the next one takes over)
    ("day_before", dt.timedelta(hours=24), dt.timedelta(hours=1)),
    ("hour_before", dt.timedelta(hours=1), dt.timedelta(0)),
)


def _marked(*, action: str, visit_id: int, **data: str) -> bool:
    """Whether an audit event already marks this visit: the audit trail is the idempotency record of
    the scheduled jobs (no extra column; the proof of the reminder is the marker itself)."""
    from compliance.models import AuditEvent

    lookups = {f"data__{k}": v for k, v in data.items()}
    return AuditEvent.objects.filter(
        action=action, object_type="visits.visit", object_id=str(visit_id), **lookups
    ).exists()


def visit_reminders_send(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Remind the agents of an approved or notified visit the day before and one hour before.

    Each (visit, kind) is sent once: the visit row is locked, the marker (`visit.reminder_sent` with
    its kind) checked, the email sent and the marker appended in one transaction; a failed send rolls
    the marker back so the next run tries again.
    """
    now = now or _now()
    sent: list[tuple[int, str]] = []
    horizon = now + REMINDERS[0][1]
    candidates = Visit.objects.filter(
        state__in=[VisitState.APPROVED, VisitState.NOTIFIED], window_start__gt=now, window_start__lte=horizon
    ).values_list("pk", flat=True)
    for visit_id in list(candidates):
        with transaction.atomic():
            visit = (
                Visit.objects.select_for_update(of=("self",))
                .select_related("case__creditor")
                .get(pk=visit_id)
            )
            if visit.state not in (VisitState.APPROVED, VisitState.NOTIFIED):
                continue
            due = [
                k
                for k, before, until in REMINDERS
                if visit.window_start - before <= now < visit.window_start - until
            ]
            if not due or _marked(action="visit.reminder_sent", visit_id=visit.pk, kind=due[0]):
                continue
            kind = due[0]
            agents = list(visit.agents.all())
            addresses = [a.email for a in agents if a.email]
            if addresses:
                try:
                    _reminder_email(visit=visit, kind=kind, to=addresses).send(fail_silently=False)
                except OSError as error:  # SMTP down: no marker, so the next run tries again
                    logger.warning("visit %s %s reminder not sent: %s", visit.pk, kind, type(error).__name__)
                    continue
            audit.record(
                actor=None,
                action="visit.reminder_sent",
                obj=visit,
                case_id=visit.case_id,
                data={"kind": kind, "agents": sorted(a.pk for a in agents), "emailed": len(addresses)},
            )
            sent.append((visit.pk, kind))
    return sent


def _reminder_email(*, visit: Visit, kind: str, to: list[str]) -> EmailMessage:
    from zoneinfo import ZoneInfo

    start = visit.window_start.astimezone(ZoneInfo(visit.time_zone))
    end = visit.window_end.astimezone(ZoneInfo(visit.time_zone))
    when = "tomorrow" if kind == "day_before" else "in one hour"
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("visits:contact-list", kwargs={"pk": visit.case_id})
    body = (
        f"Reminder: visit {visit.pk} on case {visit.case} is {when}, "
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({visit.time_zone}).\n"
        "Carry your work ID, the creditor's authorization letter and the documents on the checklist.\n"
        f"{link}\n"
    )
    return EmailMessage(subject=f"Visit reminder: {start:%Y-%m-%d %H:%M}", body=body, to=to)


def visit_plans_expire(*, now: dt.datetime | None = None) -> list[int]:
    """Plans still not approved when their window starts expire; the case can be planned again when
    no other visit of it is live."""
    now = now or _now()
    expired = []
    stale = Visit.objects.filter(
        state__in=[VisitState.PLANNED, VisitState.RETURNED], window_start__lte=now
    ).values_list("pk", flat=True)
    for visit_id in list(stale):
        with transaction.atomic():
            visit = Visit.objects.select_for_update(of=("self",)).get(pk=visit_id)
            if visit.state not in (VisitState.PLANNED, VisitState.RETURNED) or visit.window_start > now:
                continue
            case = Case.objects.select_for_update(of=("self",)).get(pk=visit.case_id)
            old = visit.state
            visit.expire(at=now)
            visit.save()
            audit.record(
                actor=None,
                action="visit.expired",
                obj=visit,
                case_id=case.pk,
                data={"from": old, "to": visit.state, "window_start": visit.window_start},
            )
            live = Visit.objects.filter(
                case_id=case.pk,
                state__in=[VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED],
            ).exists()
            if not live and case.stage in (Stage.VISIT_PLANNED, Stage.NOTICE_GIVEN):
                old_stage = case.stage
                case.drop_visit_plan(at=now)
                case.save()
                audit.record(
                    actor=None,
                    action="case.visit_plan_dropped",
                    obj=case,
                    case_id=case.pk,
                    data={"from": old_stage, "to": case.stage, "visit": visit.pk, "trigger": "visit.expired"},
                )
            expired.append(visit.pk)
    return expired


def notice_lead_time_flag(*, now: dt.datetime | None = None) -> list[int]:
    """Approved visits with no notice yet whose pack's lead time can no longer be met: flagged once
    (`visit.notice_lead_time_at_risk`), so the planner re-plans or a supervisor decides before check-in."""
    now = now or _now()
    flagged = []
    approved = Visit.objects.filter(state=VisitState.APPROVED, window_start__gt=now).select_related(
        "case__creditor"
    )
    for visit in approved:
        pack = selectors.pack_for_case(visit.case)
        if not pack.notice_required:
            continue
        lead = dt.timedelta(hours=pack.notice_lead_hours)
        if visit.window_start - now >= lead:
            continue
        with transaction.atomic():
            Visit.objects.select_for_update(of=("self",)).get(pk=visit.pk)
            if _marked(action="visit.notice_lead_time_at_risk", visit_id=visit.pk):
                continue
            audit.record(
                actor=None,
                action="visit.notice_lead_time_at_risk",
                obj=visit,
                case_id=visit.case_id,
                data={
                    "window_start": visit.window_start,
                    "lead_hours": pack.notice_lead_hours,
                    "pack": [pack.code, pack.version],
                    "latest_notice_at": visit.window_start - lead,
                },
            )
            flagged.append(visit.pk)
    return flagged


# --- the debtor's public verification page -------------------------------------------------------------


def token_lookup(*, token: str, now: dt.datetime | None = None) -> VisitToken | None:
    """The unexpired link for a token (looked up by its digest), or None: no detail for unknown ones."""
    now = now or _now()
    if not token or len(token) > 100:
        return None
    return (
        VisitToken.objects.filter(token_digest=token_digest(token), expires_at__gt=now)
        .select_related("visit__case__creditor", "visit__case__mandate")
        .first()
    )


@transaction.atomic
def complaint_record(*, visit: Visit, text: str = "", now: dt.datetime | None = None) -> Any:
    """Someone on the public page says the visit is not expected: a complaint for the compliance
    officer. The audit event holds ids and a digest of the text, nothing personal."""
    from compliance.models import Complaint

    now = now or _now()
    text = (text or "").strip()[:1000]
    complaint = Complaint(
        channel=Complaint.Channel.PUBLIC_PAGE,
        visit_id=visit.pk,
        case_id=visit.case_id,
        created_at=now,
        text=text,
        status=Complaint.Status.OPEN,
    )
    complaint.full_clean()
    complaint.save()
    audit.record(
        actor=None,
        action="complaint.recorded",
        obj=complaint,
        case_id=visit.case_id,
        data={
            "channel": complaint.channel,
            "visit": visit.pk,
            "has_text": bool(text),
            "text_sha256": sha256_hex(text) if text else "",
        },
    )
    return complaint
