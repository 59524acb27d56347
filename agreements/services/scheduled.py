"""Daily and hourly work run by Celery beat (agreements/tasks.py), each job idempotent:

- reminders to the debtor N days before each due date (the pack's `payment_reminder_days`), by SMS to
  their verified phone, only within the pack's hours in the debtor's time zone (the job runs hourly and
  sends when the hour allows), never when contact must cease or the debtor is represented, at most once
  per instalment; the text names the agreement and the date, never the amount (a phone can be read by
  someone else);
- overdue marking of instalments past their date;
- an agreement whose instalment is overdue longer than the pack's grace period is broken: the case goes
  back to follow-up with a task for its supervisor (plan a visit, renegotiate or escalate);
- promises to pay made on visits are tracked: kept when the payments since reach the promise, broken
  after the promised date and the pack's grace (a task for the supervisor).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _t

from accounts.services import system_user
from cases.models import Case, Stage
from compliance import audit
from visits.models import Outcome, VisitLog

from .. import selectors
from ..models import (
    Agreement,
    AgreementState,
    FollowUp,
    Instalment,
    InstalmentStatus,
    NextAction,
    Payment,
    PromiseCheck,
    PromiseStatus,
)
from ._shared import local_today, save
from ._shared import now as _now
from .followups import follow_up_task

logger = logging.getLogger("fieldledger.agreements")


def _in_hours(case: Case, pack: object, at: dt.datetime) -> bool:
    """Inside the pack's hours in every zone linked to the debtor (cases.zones.debtor_zones)."""
    from cases.zones import debtor_zones

    zones = debtor_zones(case.debtor) or ("Asia/Shanghai",)
    return all(
        pack.contact_window_start <= at.astimezone(ZoneInfo(z)).time() < pack.contact_window_end  # type: ignore[attr-defined]
        for z in zones
    )


def reminders_send(*, now: dt.datetime | None = None) -> list[int]:
    """Remind debtors of instalments falling due within the pack's reminder days (once each)."""
    from visits import sms
    from visits.services import contact_record

    now = now or _now()
    sent: list[int] = []
    horizon = now.date() + dt.timedelta(days=31)
    candidates = Instalment.objects.filter(
        agreement__state=AgreementState.ACTIVE,
        status__in=[InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID],
        reminded_at__isnull=True,
        due_date__lte=horizon,
    ).values_list("pk", flat=True)
    actor = system_user()
    for pk in list(candidates):
        with transaction.atomic():
            instalment = (
                Instalment.objects.select_for_update(of=("self",))
                .select_related("agreement__case__debtor", "agreement__case__creditor")
                .get(pk=pk)
            )
            agreement, case = instalment.agreement, instalment.agreement.case
            pack = selectors.pack_for(case)
            today = local_today(case, now)
            if instalment.reminded_at or not today <= instalment.due_date <= today + dt.timedelta(
                days=pack.payment_reminder_days
            ):
                continue
            debtor = case.debtor
            if debtor.contact_ceased or debtor.represented:
                instalment.reminded_at = now  # handled (no reminder may go): the job does not look again
                save(instalment, actor)
                audit.record(
                    actor=actor,
                    action="instalment.reminder_skipped",
                    obj=agreement,
                    case_id=case.pk,
                    data={
                        "instalment": instalment.number,
                        "why": "contact_ceased" if debtor.contact_ceased else "represented",
                    },
                )
                continue
            if not _in_hours(case, pack, now):
                continue
            phone = debtor.phones.exclude(status="invalid").order_by("-status", "pk").first()
            if phone is None:
                continue
            text = _t("%(agency)s: a payment under your agreement %(number)s falls due on %(date)s.") % {
                "agency": settings.AGENCY_NAME,
                "number": agreement.number,
                "date": instalment.due_date.isoformat(),
            }
            try:
                sms.send_sms(to=phone.number, text=text, idempotency_key=f"reminder-{instalment.pk}")
            except sms.SmsError as error:  # the next run tries again
                logger.warning("reminder for instalment %s not sent: %s", instalment.pk, type(error).__name__)
                continue
            contact_record(
                case=case,
                actor=actor,
                channel="sms",
                at=now,
                result="sent",
                note="payment reminder",
                phone_id=phone.pk,
                now=now,
            )
            instalment.reminded_at = now
            save(instalment, actor)
            audit.record(
                actor=actor,
                action="instalment.reminder_sent",
                obj=agreement,
                case_id=case.pk,
                data={
                    "instalment": instalment.number,
                    "due_date": instalment.due_date,
                    "phone_digest": phone.digest,
                },
            )
            sent.append(instalment.pk)
    return sent


def overdue_mark(*, now: dt.datetime | None = None) -> list[int]:
    """Instalments of active agreements past their due date with something left to pay."""
    now = now or _now()
    marked: list[int] = []
    actor = system_user()
    candidates = Instalment.objects.filter(
        agreement__state=AgreementState.ACTIVE,
        status__in=[InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID],
        due_date__lt=now.date() + dt.timedelta(days=1),
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            instalment = (
                Instalment.objects.select_for_update(of=("self",))
                .select_related("agreement__case__debtor")
                .get(pk=pk)
            )
            case = instalment.agreement.case
            if instalment.status not in (InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID):
                continue
            if instalment.due_date >= local_today(case, now) or instalment.remaining <= 0:
                continue
            instalment.status, instalment.overdue_since = InstalmentStatus.OVERDUE, instalment.due_date
            save(instalment, actor)
            audit.record(
                actor=actor,
                action="instalment.overdue",
                obj=instalment.agreement,
                case_id=case.pk,
                data={
                    "instalment": instalment.number,
                    "due_date": instalment.due_date,
                    "remaining": instalment.remaining,
                },
            )
            marked.append(instalment.pk)
    return marked


def agreements_break(*, now: dt.datetime | None = None) -> list[int]:
    """Active agreements with an instalment overdue longer than the pack's grace period are broken."""
    now = now or _now()
    broken: list[int] = []
    actor = system_user()
    candidates = (
        Agreement.objects.filter(state=AgreementState.ACTIVE, instalments__status=InstalmentStatus.OVERDUE)
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in list(candidates):
        with transaction.atomic():
            agreement = (
                Agreement.objects.select_for_update(of=("self",))
                .select_related("case__debtor", "case__supervisor")
                .get(pk=pk)
            )
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("debtor", "supervisor")
                .get(pk=agreement.case_id)
            )
            if agreement.state != AgreementState.ACTIVE:
                continue
            pack = selectors.pack_for(case)
            today = local_today(case, now)
            late = (
                agreement.instalments.filter(
                    status=InstalmentStatus.OVERDUE,
                    overdue_since__lt=today - dt.timedelta(days=pack.agreement_grace_days),
                )
                .order_by("due_date")
                .first()
            )
            if late is None:
                continue
            agreement.break_(at=now)
            save(agreement, actor)
            moved: dict[str, str] = {}
            if case.stage == Stage.AGREEMENT_SIGNED:
                moved = {"from": case.stage}
                case.back_to_follow_up(at=now)
                save(case, actor)
                moved["to"] = case.stage
            task = follow_up_task(
                case=case,
                trigger=FollowUp.Trigger.AGREEMENT_BROKEN,
                next_action=NextAction.DECIDE,
                note=_t("Agreement %(n)s broken: instalment %(i)d overdue since %(d)s.")
                % {"n": agreement.number, "i": late.number, "d": late.overdue_since.isoformat()},
                now=now,
            )
            audit.record(
                actor=actor,
                action="agreement.broken",
                obj=agreement,
                case_id=case.pk,
                data={
                    "agreement": agreement.number,
                    "instalment": late.number,
                    "overdue_since": late.overdue_since,
                    "grace_days": pack.agreement_grace_days,
                    "follow_up": task.pk if task else None,
                    **moved,
                },
            )
            broken.append(agreement.pk)
    return broken


def promises_track(*, now: dt.datetime | None = None) -> list[int]:
    """Open a check for every promise to pay made on a visit; decide the pending ones."""
    now = now or _now()
    decided: list[int] = []
    actor = system_user()
    with transaction.atomic():
        for log in VisitLog.objects.filter(
            outcome=Outcome.PROMISE, status__in=["submitted", "accepted"], promise_check__isnull=True
        ).select_related("visit"):
            if PromiseCheck.objects.filter(visit_log__visit=log.visit).exists():
                continue  # a corrected version of a log whose promise is already tracked
            check = PromiseCheck(
                visit_log=log,
                case_id=log.visit.case_id,
                amount=log.promise_amount,
                currency=log.promise_currency,
                due_on=log.promise_date,
                made_on=(log.visit.on_site_at or log.submitted_at).date(),
            )
            save(check, actor)
    for pk in list(PromiseCheck.objects.filter(status=PromiseStatus.PENDING).values_list("pk", flat=True)):
        with transaction.atomic():
            check = (
                PromiseCheck.objects.select_for_update(of=("self",))
                .select_related("case__debtor", "case__supervisor")
                .get(pk=pk)
            )
            if check.status != PromiseStatus.PENDING:
                continue
            case = check.case
            paid = Payment.objects.filter(case=case, paid_on__gte=check.made_on).aggregate(s=Sum("amount"))[
                "s"
            ] or Decimal(0)
            check.paid = paid
            pack = selectors.pack_for(case)
            if paid >= check.amount:
                check.status = PromiseStatus.KEPT
            elif local_today(case, now) > check.due_on + dt.timedelta(days=pack.promise_grace_days):
                check.status = PromiseStatus.BROKEN
            else:
                save(check, actor)
                continue
            check.decided_at = now
            save(check, actor)
            task = None
            if check.status == PromiseStatus.BROKEN:
                task = follow_up_task(
                    case=case,
                    trigger=FollowUp.Trigger.PROMISE_BROKEN,
                    next_action=NextAction.DECIDE,
                    note=_t("Promise of %(a)s %(c)s by %(d)s not kept.")
                    % {"a": check.amount, "c": check.currency, "d": check.due_on.isoformat()},
                    now=now,
                )
            audit.record(
                actor=actor,
                action=f"promise.{check.status}",
                obj=check,
                case_id=case.pk,
                data={
                    "amount": check.amount,
                    "due_on": check.due_on,
                    "paid": paid,
                    "follow_up": task.pk if task else None,
                },
            )
            decided.append(check.pk)
    return decided
