"""Helpers shared by the agreements services: locks, refusals audited after a rollback, the clock."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from common.errors import DomainError, Failure

from ..models import Agreement

SOURCE = _("FieldLedger repayment agreement procedure (DOMAIN.md, stages 6 and 7)")


def now() -> dt.datetime:
    return timezone.now()


def fail(code: str, message: Any, field: str = "") -> Failure:
    return Failure(code, message, SOURCE, field)


def refuse(code: str, message: Any, field: str = "") -> DomainError:
    return DomainError([fail(code, message, field)])


def lock_case(case: Case) -> Case:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable (outer-joined) mandate and team.
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("debtor", "mandate", "creditor", "team", "supervisor")
        .get(pk=case.pk)
    )


def lock_agreement(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update(of=("self",)).select_related("case").get(pk=agreement.pk)


def local_today(case: Case, at: dt.datetime) -> dt.date:
    """The debtor's local date, in the first of their zones (a verified address's, else the debtor's)."""
    from cases.zones import debtor_zones

    zones = debtor_zones(case.debtor)
    return at.astimezone(ZoneInfo(zones[0] if zones else "Asia/Shanghai")).date()


def save(obj: Any, actor: Any) -> None:
    obj._history_user = actor
    obj.save()
