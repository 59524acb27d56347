"""The debtor's public verification page: token look-up and the "report it" complaint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from compliance import audit

from ..models import (
    Visit,
    VisitToken,
)
from ._shared import (
    _now,
    sha256_hex,
    token_digest,
)

# --- the debtor's public verification page -------------------------------------------------------------


def token_lookup(*, token: str, now: dt.datetime | None = None) -> VisitToken | None:
    """The unexpired link for a token (looked up by its digest), or None: no detail for unknown ones."""
    now = now or _now()
    if not token or len(token) > 100:
        return None
    return (
        VisitToken.objects.filter(token_digest=token_digest(token), expires_at__gt=now)
        .select_related("visit__case__creditor", "visit__case__mandate")
        .first()
    )


@transaction.atomic
def complaint_record(*, visit: Visit, text: str = "", now: dt.datetime | None = None) -> Any:
    """Someone on the public page says the visit is not expected: a complaint for the compliance
    officer. The audit event holds ids and a digest of the text, nothing personal."""
    from compliance.models import Complaint

    now = now or _now()
    text = (text or "").strip()[:1000]
    complaint = Complaint(
        channel=Complaint.Channel.PUBLIC_PAGE,
        visit_id=visit.pk,
        case_id=visit.case_id,
        created_at=now,
        text=text,
        status=Complaint.Status.OPEN,
    )
    complaint.full_clean()
    complaint.save()
    audit.record(
        actor=None,
        action="complaint.recorded",
        obj=complaint,
        case_id=visit.case_id,
        data={
            "channel": complaint.channel,
            "visit": visit.pk,
            "has_text": bool(text),
            "text_sha256": sha256_hex(text) if text else "",
        },
    )
    return complaint
