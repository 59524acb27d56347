"""Helpers shared by the agreements services: locks, refusals audited after a rollback, the clock."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from common.errors import DomainError, Failure
from compliance import audit

from ..models import Agreement

P = ParamSpec("P")
R = TypeVar("R")

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


def refusals_audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record a refusal by policy or input as `<action>.refused` after the service's transaction rolled
    back (refusals by the rules are recorded by their decision, `rules.refused`, and not repeated)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except DomainError as error:
                if getattr(error, "decision", None) is not None:
                    raise
                subject = kwargs.get("agreement") or kwargs.get("follow_up") or kwargs.get("case")
                case_id = getattr(subject, "case_id", None) or (
                    subject.pk if isinstance(subject, Case) else None
                )
                audit.record(
                    actor=kwargs.get("actor"),
                    action=f"{action}.refused",
                    obj=subject if subject is not None and getattr(subject, "pk", None) else None,
                    object_type="" if subject is not None else "cases.case",
                    case_id=case_id if isinstance(case_id, int) else None,
                    data={"codes": error.codes},
                )
                raise

        return wrapper

    return decorate
