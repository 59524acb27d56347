"""Reach a debtor fact the way a user does: through its recording service (never a model write).

`put_facts(case, contact_ceased=True, ...)` records, as a compliance officer, the fact behind each flag
a test needs: a written cease-contact request, a representation, a vulnerability (cases/services/
facts.py) or an open complaint (the one source of truth of DISPUTE_OPEN, cases/services/disputes.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Role
from cases import services
from cases.models import Case
from tests.factories import UserFactory


def officer() -> Any:
    return UserFactory(roles=[Role.COMPLIANCE_OFFICER])


def record_fact(case: Case, flag: str, *, actor: Any = None, scope: str = "all") -> Any:
    actor = actor or officer()
    today = timezone.localdate()
    if flag == "contact_ceased":
        return services.debtor_fact_record(
            case=case,
            actor=actor,
            kind="cease_contact",
            scope=scope,
            received_on=today,
            received_via="letter",
        )
    if flag == "represented":
        return services.debtor_fact_record(
            case=case,
            actor=actor,
            kind="representation",
            scope=scope,
            lawyer_name="Lawyer Zhao",
            lawyer_firm="Zhao & Partners",
            lawyer_contact="+86 10 1234 5678",
        )
    if flag == "vulnerable":
        return services.debtor_fact_record(
            case=case,
            actor=actor,
            kind="vulnerability",
            category="health",
            reported_by="family",
            review_due=today + dt.timedelta(days=30),
        )
    if flag == "disputed":
        return services.complaint_record(
            case=case,
            actor=actor,
            channel="letter",
            text="The debtor disputes the amount.",
            raised_by="debtor",
        )
    raise ValueError(flag)


def put_facts(case: Case, **flags: bool) -> None:
    for flag, value in flags.items():
        if value:
            record_fact(case, flag)
    case.debtor.refresh_from_db()
