"""The one stage move of a case (as django-oscar's `set_status`): every service that moves a case calls
`case_stage_move` inside its transaction, after its own policy and rule checks.

It asks the state machine whether the transition may run now (`django_fsm.can_proceed`) rather than
copying the transition's source stages, runs it (the transition only sets fields), saves the case with
its history row (django-simple-history; the API's stage-change outbox reads that row, api/services/
outbox.py), and returns the one shape every stage change has in the audit trail: the calling service
puts it in its event's data as `stage` (docs/audit-format.md, "Stage changes"):

    {"stage": {"from": "verified", "to": "visit_planned", "transition": "plan_visit"}}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from common.errors import DomainError, Failure

from ..models import Case

SOURCE_STAGES = _("FieldLedger case stages (DOMAIN.md)")


def case_stage_move(*, case: Case, transition: str, actor: Any, at: dt.datetime) -> dict[str, Any]:
    """Move the (locked) case by `transition`; the audit shape of the change, for the caller's event."""
    method = getattr(case, transition, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise ValueError(f"{transition!r} is not a transition of the case's stage")
    if not can_proceed(method):
        raise DomainError(
            [
                Failure(
                    "WRONG_STAGE",
                    _("A case that is %(stage)s cannot move this way (%(transition)s).")
                    % {"stage": case.get_stage_display(), "transition": transition},
                    SOURCE_STAGES,
                    "stage",
                )
            ]
        )
    old = case.stage
    method(at=at)
    case._history_user = actor
    case.save()
    return {"stage": {"from": old, "to": case.stage, "transition": transition}}


def case_can_move(case: Case, transition: str) -> bool:
    """Whether the machine lets the case take `transition` now (callers never copy source stages)."""
    return can_proceed(getattr(case, transition))
