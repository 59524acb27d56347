"""The one contact gate: every outbound contact with a debtor passes here before it is made or recorded.

Prior notices, agreement signing links, instalment reminders, contacts an agent or supervisor records
(calls, SMS, e-mail, messaging, letters) and lawyer's letters all call `contact_gate` inside their own
transaction, with the case locked, before their other writes. The gate:

1. reads the facts (`selectors.contact_facts`: the debtor's zones, flags, an open dispute or complaint,
   earlier contacts, the limitation facts for a threat of legal action) and the pack's parameters;
2. runs the pure checks (`compliance.rules.contacts.check_contact`): the hours in every zone linked to
   the debtor, the pack's per-channel caps, CEASE_CONTACT / REPRESENTED / DISPUTE_OPEN / VULNERABLE,
   SMS only to a verified number (SMS_UNVERIFIED), LIMITATION for anything threatening legal action;
3. records the rule decision (`compliance.decisions.record`, action `contact.<purpose>`) and its
   `rules.<outcome>` event;
4. refused: raises `RulesRefused` (the caller's `@refusals_recorded` keeps the decision after the
   rollback); allowed: records the contact attempt and its `contact.recorded` event, and only then
   hands the message to the gateway after commit (`transaction.on_commit`).

No caller tests a debtor flag itself, and nothing reaches a gateway without passing here
(tests/test_contact_entry_points.py walks the entry points that can contact a debtor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from common.errors import DomainError, Failure
from common.pii import digest
from compliance import audit, decisions
from compliance.decisions import Evaluation
from compliance.rules.contacts import ContactParams, check_contact

from .. import selectors, sms
from ..models import Channel, ContactAttempt, ContactResult
from ._shared import SOURCE_PROCEDURE, _now

# Why a contact is made: the decision's action is `contact.<purpose>`.
PURPOSES = {
    "notice": _("prior notice of a visit"),
    "signing_link": _("agreement signing link"),
    "reminder": _("instalment reminder"),
    "recorded": _("contact recorded by staff"),
    "lawyer_letter": _("lawyer's letter"),
}
# Channels through which the agency reaches the debtor (a visit has its own rules).
OUTBOUND_CHANNELS = tuple(c for c in Channel.values if c != Channel.VISIT)


@dataclass(frozen=True)
class Outbound:
    """One message for a gateway: an SMS to a number or an e-mail to an address."""

    channel: str
    to: str
    text: str
    idempotency_key: str
    subject: str = ""


def deliver(message: Outbound) -> str:
    """Hand one message to its gateway (the SMS backend of visits/sms.py, or Django's e-mail backend);
    returns the provider's message id. Called after commit only (by the gate, or a task)."""
    if message.channel == Channel.SMS:
        return sms.send_sms(to=message.to, text=message.text, idempotency_key=message.idempotency_key)
    EmailMessage(
        subject=message.subject,
        body=message.text,
        to=[message.to],
        headers={"Message-ID": f"<{message.idempotency_key}@fieldledger>"},
    ).send(fail_silently=False)
    return f"email-{message.idempotency_key}"


def contact_preview(
    *, case: Case, channel: str, purpose: str, at: dt.datetime, phone: Any = None
) -> list[str]:
    """The codes the gate would refuse this contact with now, recording nothing: for scheduled jobs that
    wait for the hour (the contact itself still goes through `contact_gate`)."""
    pack = selectors.pack_for_case(case)
    facts = selectors.contact_facts(case=case, channel=channel, purpose=purpose, at=at, phone=phone)
    failures = check_contact(facts=facts, params=ContactParams.from_pack(pack))
    return [f.code for f in failures if f.level == "refuse"]


def contact_evaluate(
    *,
    case: Case,
    actor: Any,
    channel: str,
    purpose: str,
    at: dt.datetime,
    now: dt.datetime,
    result: str = ContactResult.SENT,
    phone: Any = None,
    legal_threat: bool = False,
    subject: Model | None = None,
    exclude_contact_id: int | None = None,
) -> Evaluation:
    """Judge one contact and record the decision (allowed, warned or refused); raises nothing."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown contact purpose {purpose!r}")
    pack = selectors.pack_for_case(case)
    params = ContactParams.from_pack(pack)
    facts = selectors.contact_facts(
        case=case,
        channel=channel,
        purpose=purpose,
        at=at,
        result=result,
        phone=phone,
        legal_threat=legal_threat,
        exclude_contact_id=exclude_contact_id,
    )
    return decisions.record(
        action=f"contact.{purpose}",
        moment="contact",
        failures=check_contact(facts=facts, params=params),
        inputs={"facts": facts.as_trace(), "pack": params.as_trace(), "now": audit.format_at(now)},
        pack=pack,
        actor=actor,
        now=now,
        obj=subject if subject is not None else case,
        case_id=case.pk,
    )


def contact_gate(
    *,
    case: Case,
    actor: Any,
    channel: str,
    purpose: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    result: str = ContactResult.SENT,
    phone: Any = None,
    recipient_digest: str = "",
    legal_threat: bool = False,
    subject: Model | None = None,
    visit: Any = None,
    notice: Any = None,
    note: str = "",
    outbound: Outbound | None = None,
    after_commit: Callable[[], Any] | None = None,
    late_minutes: int = 0,
) -> ContactAttempt:
    """Judge, record and (after commit) send one contact; see the module's docstring.

    Call it inside the caller's transaction, the case locked, before the caller's other writes; the
    caller carries `@refusals_recorded` so that a refused decision survives the rollback. `outbound`
    (a message) or `after_commit` (e.g. queueing a Celery task that sends) runs only after commit."""
    now = now or _now()
    at = at or now
    if channel not in OUTBOUND_CHANNELS:
        raise DomainError([Failure("CHANNEL_INVALID", _("Choose a channel."), SOURCE_PROCEDURE, "channel")])
    evaluation = contact_evaluate(
        case=case,
        actor=actor,
        channel=channel,
        purpose=purpose,
        at=at,
        now=now,
        result=result,
        phone=phone,
        legal_threat=legal_threat,
        subject=subject,
    )
    if evaluation.blocked:
        raise evaluation.refusal()
    phone_ref = phone.digest if phone is not None else ""
    contact = ContactAttempt(
        case=case,
        channel=channel,
        at=at,
        result=result,
        phone_digest=phone_ref if channel in (Channel.PHONE, Channel.SMS) else "",
        visit=visit,
        notice=notice,
        note=(note or "").strip()[:2000],
        recorded_by=actor,
    )
    contact._history_user = actor
    contact.full_clean()
    contact.save()
    data: dict[str, Any] = {
        "channel": channel,
        "purpose": purpose,
        "result": result,
        "at": at,
        "decision": evaluation.decision.pk,
    }
    if phone_ref:
        data["phone_digest"] = phone_ref
    if recipient_digest and recipient_digest != phone_ref:
        data["recipient_digest"] = recipient_digest
    if contact.note:
        data["note_digest"] = digest(contact.note, kind="note")
    if late_minutes:  # recorded later than the pack's grace after the typed time (clock.py)
        data["late_minutes"] = late_minutes
    if evaluation.warnings:
        data["warnings"] = sorted({w.code for w in evaluation.warnings})
    audit.record(actor=actor, action="contact.recorded", obj=contact, case_id=case.pk, data=data)
    contact.warnings = evaluation.warnings  # type: ignore[attr-defined]  # shown by the view
    contact.evaluation = evaluation  # type: ignore[attr-defined]  # the caller may link the decision
    if outbound is not None:
        message = outbound
        transaction.on_commit(lambda: deliver(message))
    if after_commit is not None:
        transaction.on_commit(after_commit)
    return contact
