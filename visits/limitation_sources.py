"""The demands the visits app records, as limitation interruptions (compliance/limitation.py):
a conversation with the debtor (a call answered, the debtor met on a visit), a written demand delivered
(a contact recorded as delivered, a visit notice with a delivery receipt) and a lawyer's letter sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from common.bundle import Part
from compliance.limitation import (
    Interruption,
    InterruptionSource,
    debtor_date,
    register_interruption_source,
)

from .models import Channel, ContactAttempt, ContactResult, Notice

CONNECTED = (ContactResult.CONNECTED, ContactResult.DEBTOR_MET)
LAWYER_SENT = (ContactResult.SENT, ContactResult.DELIVERED, ContactResult.CONNECTED)


def _kind(contact: ContactAttempt) -> str:
    if contact.channel == Channel.LAWYER_LETTER:
        return "lawyer_letter"
    return "connected_contact" if contact.result in CONNECTED else "delivered_notice"


def parts(case: Any, kinds: frozenset[str]) -> dict[str, Part]:
    """The latest contact of the kinds counted, and the latest visit notice with a delivery receipt."""
    which = Q()
    if "connected_contact" in kinds:
        which |= Q(result__in=CONNECTED) & ~Q(channel=Channel.LAWYER_LETTER)
    if "delivered_notice" in kinds:
        which |= Q(result=ContactResult.DELIVERED) & ~Q(channel=Channel.LAWYER_LETTER)
    if "lawyer_letter" in kinds:
        which |= Q(channel=Channel.LAWYER_LETTER, result__in=LAWYER_SENT)
    found: dict[str, Part] = {}
    if which:
        found["contact"] = Part(
            ContactAttempt.objects.filter(which, case_id=case.pk).order_by("-at", "-pk"),
            related=("recorded_by",),
            limit=1,
        )
    if "delivered_notice" in kinds:
        found["notice"] = Part(
            Notice.objects.filter(visit__case_id=case.pk, delivered_at__isnull=False).order_by(
                "-delivered_at", "-pk"
            ),
            limit=1,
        )
    return found


def read(case: Any, rows: dict[str, list[Any]]) -> Iterator[Interruption]:
    for contact in rows.get("contact", []):
        yield Interruption(
            kind=_kind(contact),
            on=debtor_date(case, contact.at),
            by=contact.recorded_by.display_name,
            ref=f"contact #{contact.pk}",
        )
    for notice in rows.get("notice", []):
        yield Interruption(
            kind="delivered_notice", on=debtor_date(case, notice.delivered_at), ref=f"notice #{notice.pk}"
        )


def register() -> None:
    register_interruption_source("visits.contacts", InterruptionSource(parts=parts, read=read))
