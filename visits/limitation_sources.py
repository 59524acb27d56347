"""The demands the visits app records, as limitation interruptions (compliance/limitation.py):
a conversation with the debtor (a call answered, the debtor met on a visit), a written demand delivered
(a contact recorded as delivered, a visit notice with a delivery receipt) and a lawyer's letter sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from compliance.limitation import Interruption, debtor_date, register_interruption_source

from .models import Channel, ContactAttempt, ContactResult, Notice

CONNECTED = (ContactResult.CONNECTED, ContactResult.DEBTOR_MET)
LAWYER_SENT = (ContactResult.SENT, ContactResult.DELIVERED, ContactResult.CONNECTED)


def _kind(contact: ContactAttempt) -> str:
    if contact.channel == Channel.LAWYER_LETTER:
        return "lawyer_letter"
    return "connected_contact" if contact.result in CONNECTED else "delivered_notice"


def contact_interruptions(case: Any, kinds: frozenset[str]) -> Iterator[Interruption]:
    """The latest contact of the kinds counted (one query), and the latest delivered notice (one more)."""
    which = Q()
    if "connected_contact" in kinds:
        which |= Q(result__in=CONNECTED) & ~Q(channel=Channel.LAWYER_LETTER)
    if "delivered_notice" in kinds:
        which |= Q(result=ContactResult.DELIVERED) & ~Q(channel=Channel.LAWYER_LETTER)
    if "lawyer_letter" in kinds:
        which |= Q(channel=Channel.LAWYER_LETTER, result__in=LAWYER_SENT)
    if which:
        contact = (
            ContactAttempt.objects.filter(which, case_id=case.pk)
            .select_related("recorded_by")
            .order_by("-at", "-pk")
            .first()
        )
        if contact is not None:
            yield Interruption(
                kind=_kind(contact),
                on=debtor_date(case, contact.at),
                by=contact.recorded_by.display_name,
                ref=f"contact #{contact.pk}",
            )
    if "delivered_notice" in kinds:
        notice = (
            Notice.objects.filter(visit__case_id=case.pk, delivered_at__isnull=False)
            .order_by("-delivered_at", "-pk")
            .first()
        )
        if notice is not None and notice.delivered_at is not None:
            yield Interruption(
                kind="delivered_notice",
                on=debtor_date(case, notice.delivered_at),
                by="",
                ref=f"notice #{notice.pk}",
            )


def register() -> None:
    register_interruption_source("visits.contacts", contact_interruptions)
