"""Who may do what on agreements, payments, follow-ups, escalation and closure. Views, forms, templates
and the services all ask here.

- Drafting and signing an agreement: whoever works the case (its agents and the team's supervisors) with
  the `agreements.draft_agreement` permission; the agreement's approval (a settlement discount above the
  creditor's threshold): a supervisor of the team who did not draft it (four eyes).
- Payments: the team's supervisors (`agreements.record_payment`); agents do not handle money.
- Follow-up plans and the debtor's acknowledgements of the debt: whoever works the case.
  Escalation, closure and reopening: the team's supervisors
  (`agreements.close_case`).
Everything is visible to whoever sees the case (cases.policies).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_service
from cases import policies as case_policies
from cases.models import Case, Stage
from common.errors import PermissionRefused

from .models import Agreement, FollowUp, Payment


def _global(user: Any, perm: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active) and user.has_perm(perm)


def case_open(case: Case) -> bool:
    """A closed case is read-only until a supervisor reopens it."""
    return case.stage != Stage.CLOSED


def _team_supervisor(user: Any, case: Case) -> bool:
    return _global(user, "visits.approve_visit") and case_policies._object_perm(user, "change_case", case)


def can_draft(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return (
        case_open(case)
        and _global(user, "agreements.draft_agreement")
        and case_policies.can_work_on(user, case)
    )


def can_approve(user: Any, agreement: Agreement) -> bool:
    return (
        case_open(agreement.case)
        and _global(user, "agreements.approve_agreement")
        and _team_supervisor(user, agreement.case)
        and user.pk != agreement.drafted_by_id
    )


def can_record_payment(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return _global(user, "agreements.record_payment") and _team_supervisor(user, case)


def can_import_payments(user: Any) -> bool:
    return is_service(user) or _global(user, "agreements.record_payment")


def can_plan_follow_up(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return case_open(case) and case_policies.can_work_on(user, case)


def can_record_acknowledgement(user: Any, case: Case) -> bool:
    """The debtor's acknowledgement of the debt: whoever works the open case (its agents, the team's
    supervisors)."""
    if is_service(user):
        return True
    return case_open(case) and case_policies.can_work_on(user, case)


def can_close(user: Any, case: Case) -> bool:
    """Escalate, close, or reopen a case: a supervisor of the team."""
    if is_service(user):
        return True
    return _global(user, "agreements.close_case") and _team_supervisor(user, case)


def agreements_visible_to(user: Any) -> QuerySet[Agreement]:
    return Agreement.objects.filter(case__in=case_policies.cases_visible_to(user))


def payments_visible_to(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(case__in=case_policies.cases_visible_to(user))


def follow_ups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(case__in=case_policies.cases_visible_to(user))


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionRefused.because(message or _("Your role does not allow this action on this case."))
