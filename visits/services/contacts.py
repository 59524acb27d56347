"""Every other contact on any channel (refused under CEASE_CONTACT/REPRESENTED, phone calls warned
against the pack's hours and caps), and a supervisor's resumption of visits after a refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases import debtor_facts
from cases.models import Case, DebtorPhone, Stage
from cases.zones import debtor_zones
from common.errors import DomainError, Failure
from common.pii import digest, phone_digest
from compliance import audit
from compliance.rules import CHECKS
from compliance.rules.contacts import PhoneAttempt, PhoneLimits, check_phone_call

from .. import selectors
from ..models import (
    Channel,
    ContactAttempt,
    ContactResult,
)
from ..policies import can_record_contact, can_resume_visits
from ._shared import (
    SOURCE_PROCEDURE,
    _now,
    _require,
    refusals_audited,
)

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
    standing = debtor_facts.standing(debtor.pk, channel)  # the facts covering this channel
    flags = _Flags(contact_ceased=standing.contact_ceased, represented=standing.represented)
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
    zones = debtor_zones(case.debtor)  # every zone linked to the debtor
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
    pack = selectors.pack_for_case(case)
    if "VISIT_REFUSED" not in (pack.overridable or ()):
        problems.append(
            Failure(
                "OVERRIDE_NOT_ALLOWED",
                _("The rule pack %(pack)s allows no override of a refusal of visits.")
                % {"pack": f"{pack.code} v{pack.version}"},
                SOURCE_PROCEDURE,
                "case",
            )
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
            "pack": [pack.code, pack.version],
            "debtor": debtor.pk,
            "case_stage": [old_stage, case.stage],
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return case
