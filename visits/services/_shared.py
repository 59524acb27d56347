"""Helpers shared by the visit services: clock, digests, refusals, and the audited-refusal wrapper."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused

from ..models import (
    Channel,
)

logger = logging.getLogger("fieldledger.visits")


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
