"""Reference data: creditors and their written mandates (PRC Civil Code art. 165, 919)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import User
from compliance import audit

from ..models import Creditor, Mandate


@transaction.atomic
def creditor_create(*, code: str, name: str, actor: Any, default_supervisor: User | None = None) -> Creditor:
    creditor = Creditor(code=code, name=name, default_supervisor=default_supervisor)
    creditor.full_clean()
    creditor._history_user = actor
    creditor.save()
    audit.record(actor=actor, action="creditor.created", obj=creditor, data={"code": code})
    return creditor


@transaction.atomic
def mandate_create(
    *,
    creditor: Creditor,
    number: str,
    scope: str,
    valid_from: dt.date,
    valid_until: dt.date,
    actor: Any,
    products: list[str] | None = None,
    document: bytes | None = None,
    document_name: str = "",
) -> Mandate:
    """A mandate with its signed document; the document's SHA-256 is stored and audited."""
    mandate = Mandate(
        creditor=creditor,
        number=number,
        scope=scope,
        products=list(products or []),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if document is not None:
        mandate.document_sha256 = hashlib.sha256(document).hexdigest()
        mandate.document.save(document_name or f"{number}.pdf", ContentFile(document), save=False)
    mandate.full_clean()
    mandate._history_user = actor
    mandate.save()
    audit.record(
        actor=actor,
        action="mandate.created",
        obj=mandate,
        data={"creditor": creditor.code, "number": number, "document_sha256": mandate.document_sha256},
    )
    return mandate
