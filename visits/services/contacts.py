"""Every other contact on any channel (through the contact gate, gate.py), and a supervisor's resumption
of visits after a refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.models import Case, DebtorPhone, Stage
from cases.services.stage import case_can_move, case_stage_move
from common.errors import DomainError, Failure
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import selectors
from ..models import (
    ContactAttempt,
    ContactResult,
)
from ..policies import can_record_contact, can_resume_visits
from ._shared import (
    SOURCE_PROCEDURE,
    _now,
    _require,
)
from .clock import typed_time
from .gate import OUTBOUND_CHANNELS, contact_gate

# --- other contacts -----------------------------------------------------------------------------------


@refusals_recorded("contact.recorded")
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
    """Record a contact with the debtor on any channel, through the contact gate (gate.py): the hours in
    every zone, the caps, cease / represented / dispute / vulnerable, SMS only to a verified number and,
    for a lawyer's letter, LIMITATION. A refusal leaves its decision and records no contact."""
    now = now or _now()
    case = Case.objects.select_for_update(of=("self",)).select_related("debtor").get(pk=case.pk)
    _require(can_record_contact(actor, case))
    failures = []
    if channel not in OUTBOUND_CHANNELS:
        failures.append(Failure("CHANNEL_INVALID", _("Choose a channel."), SOURCE_PROCEDURE, "channel"))
    if result not in ContactResult.values:
        failures.append(Failure("RESULT_INVALID", _("Choose the result."), SOURCE_PROCEDURE, "result"))
    clock = typed_time(typed=at, now=now, pack=selectors.pack_for_case(case), field="at")
    failures += clock.failures
    phone = None
    if phone_id:
        phone = DebtorPhone.objects.filter(debtor_id=case.debtor_id, pk=phone_id).first()
        if phone is None:
            failures.append(
                Failure("NO_PHONE", _("Choose one of the debtor's phones."), SOURCE_PROCEDURE, "phone_id")
            )
    if failures:
        raise DomainError(failures)
    return contact_gate(
        case=case,
        actor=actor,
        channel=channel,
        purpose="recorded",
        at=at,
        now=now,
        result=result,
        phone=phone,
        note=note,
        late_minutes=clock.late_minutes,
    )


@refusals_recorded("case.visits_resumed")
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
    moved = (
        case_stage_move(case=case, transition="resume_visits", actor=actor, at=now)
        if case_can_move(case, "resume_visits")
        else {}
    )
    audit.record(
        actor=actor,
        action="case.visits_resumed",
        obj=case,
        case_id=case.pk,
        data={
            "overrides": "VISIT_REFUSED",
            "pack": [pack.code, pack.version],
            "debtor": debtor.pk,
            **moved,
            "reason_digest": digest(reason, kind="note"),
        },
    )
    return case
