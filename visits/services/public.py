"""The debtor's public verification page: token look-up and the "report it" complaint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from ..models import (
    Visit,
    VisitToken,
)
from ._shared import (
    _now,
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
    officer, with the response targets of the case's rule pack. The audit event holds ids and a digest
    of the text, nothing personal (compliance.complaints.complaint_create)."""
    from compliance.complaints import complaint_create
    from compliance.models import Complaint

    from ..selectors import pack_for_case

    now = now or _now()
    text = (text or "").strip()[:1000]
    # One link, one voice: the same words again while that complaint is open are the same complaint,
    # and a link files at most PUBLIC_COMPLAINTS_PER_DAY complaints a day (each one blocks visits).
    recent = Complaint.objects.filter(
        visit_id=visit.pk, channel=Complaint.Channel.PUBLIC_PAGE, created_at__gte=now - dt.timedelta(days=1)
    ).order_by("-created_at", "-pk")
    same = (
        Complaint.objects.filter(
            visit_id=visit.pk, channel=Complaint.Channel.PUBLIC_PAGE, status=Complaint.Status.OPEN, text=text
        )
        .order_by("-pk")
        .first()
    )
    if same is not None:
        return same
    if recent.count() >= settings.PUBLIC_COMPLAINTS_PER_DAY:
        return recent.first()
    return complaint_create(
        kind=Complaint.Kind.COMPLAINT,
        channel=Complaint.Channel.PUBLIC_PAGE,
        text=text,
        raised_by=Complaint.RaisedBy.DEBTOR,
        recorded_by=None,
        pack=pack_for_case(visit.case),
        case_id=visit.case_id,
        visit_id=visit.pk,
        now=now,
    )
