"""Helpers shared by the visit services: clock, digests, refusals, and the audited-refusal wrapper."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused
from compliance import audit

from ..models import (
    Channel,
    Notice,
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
