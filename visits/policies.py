"""Who may see and do what on visits. Views, forms, selectors and the planning services all ask here.

A visit is seen by whoever sees its case (cases.policies), and by the agents named on it: an agent of
the team may be sent on a visit of a case that is not assigned to them, and must see where to go.
Acting needs the role's global permission (`visits.plan_visit`, `visits.approve_visit`) AND the object
permission `change_case` on the case (the team's supervisors group, or the assigned agent). Approval
and overrides are the four-eyes step: a supervisor of the team who neither planned the visit nor goes on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_service
from cases import policies as case_policies
from cases.models import Case
from common.errors import PermissionRefused

from .models import Visit, VisitState

# Before anyone went: the visit can still be cancelled (and blocks planning another).
LIVE_STATES = (VisitState.PLANNED, VisitState.RETURNED, VisitState.APPROVED, VisitState.NOTIFIED)
# In progress: no other visit may be planned on the case meanwhile.
IN_PROGRESS_STATES = (*LIVE_STATES, VisitState.ON_SITE)
# On site and after, until the supervisor accepts the log: agents may still add evidence.
EVIDENCE_STATES = (VisitState.ON_SITE, VisitState.COMPLETED, VisitState.CORRECTION)


def _global(user: Any, perm: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active) and user.has_perm(perm)


def _change_case(user: Any, case: Case) -> bool:
    return bool(user.is_active) and case_policies._object_perm(user, "change_case", case)


def _agent_ids(visit: Visit) -> set[int]:
    # visit_agents.all() uses a prefetch when the selector made one.
    return {va.agent_id for va in visit.visit_agents.all()} if visit.pk else set()


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Visit.objects.none()
    if case_policies.sees_all_cases(user):
        return Visit.objects.all()
    cases = case_policies.cases_visible_to(user).values("pk")
    return Visit.objects.filter(Q(case_id__in=cases) | Q(visit_agents__agent_id=user.pk)).distinct()


def can_view(user: Any, visit: Visit) -> bool:
    return case_policies.can_view(user, visit.case) or user.pk in _agent_ids(visit)


def can_plan(user: Any, case: Case) -> bool:
    """Plan a visit (or resubmit one): a supervisor or an agent who may work on the case."""
    if is_service(user):
        return True
    return _global(user, "visits.plan_visit") and case_policies.can_work_on(user, case)


def is_team_supervisor(user: Any, case: Case) -> bool:
    return _global(user, "visits.approve_visit") and _change_case(user, case)


def can_approve(user: Any, visit: Visit) -> bool:
    """Approve or send back: a supervisor of the team, never the planner nor an agent of the visit."""
    return (
        is_team_supervisor(user, visit.case)
        and user.pk != visit.planned_by_id
        and user.pk not in _agent_ids(visit)
    )


def can_override(user: Any, visit_or_case: Visit | Case, *, agents: Iterable[Any] = ()) -> bool:
    """Override a refused decision the pack allows to override: a supervisor of the team who is not
    going on the visit; on an existing visit, also never its planner (the same rule as approval)."""
    if isinstance(visit_or_case, Visit):
        return can_approve(user, visit_or_case)
    agent_ids = {getattr(a, "pk", a) for a in agents}
    return is_team_supervisor(user, visit_or_case) and user.pk not in agent_ids


def can_send_back(user: Any, visit: Visit) -> bool:
    return can_approve(user, visit)


def can_resubmit(user: Any, visit: Visit) -> bool:
    return user.pk == visit.planned_by_id and can_plan(user, visit.case)


def can_cancel(user: Any, visit: Visit) -> bool:
    """The planner (while they may still plan on the case) or a supervisor of the team."""
    if is_service(user):
        return True
    return (user.pk == visit.planned_by_id and can_plan(user, visit.case)) or is_team_supervisor(
        user, visit.case
    )


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionRefused.because(message or _("Your role does not allow this action on this visit."))


# --- notices, contacts and notice texts ------------------------------------------------------------


def can_record_notice(user: Any, case: Case) -> bool:
    """Record a notice or its answer: whoever may plan visits on the case (an agent on it, a supervisor)."""
    if is_service(user):
        return True
    return _global(user, "visits.plan_visit") and case_policies.can_work_on(user, case)


def can_record_contact(user: Any, case: Case) -> bool:
    if is_service(user):
        return True
    return case_policies.can_work_on(user, case)


def can_resume_visits(user: Any, case: Case) -> bool:
    """Lift a refusal of visits: a supervisor of the team (never an agent) with a recorded reason."""
    return _global(user, "visits.approve_visit") and case_policies._object_perm(user, "change_case", case)


def can_edit_templates(user: Any) -> bool:
    from accounts.models import Role
    from accounts.roles import has_role

    return has_role(user, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER)


# --- on site: check-in, the visit log, evidence, attestations, review -------------------------------


def is_visit_agent(user: Any, visit: Visit) -> bool:
    """An active field agent named on this visit (the only people who act on site)."""
    from accounts.models import Role
    from accounts.roles import has_role

    return (
        bool(getattr(user, "is_authenticated", False))
        and bool(user.is_active)
        and user.pk in _agent_ids(visit)
        and has_role(user, Role.FIELD_AGENT)
        and user.has_perm("visits.plan_visit")
    )


def can_check_in(user: Any, visit: Visit) -> bool:
    return is_visit_agent(user, visit)


def can_fill_log(user: Any, visit: Visit) -> bool:
    """Fill the visit log (checks, conversation, outcome), hand over the statement, complete the visit."""
    return is_visit_agent(user, visit)


def can_attest(user: Any, visit: Visit) -> bool:
    return is_visit_agent(user, visit)


def can_add_evidence(user: Any, visit: Visit) -> bool:
    return is_visit_agent(user, visit)


def can_review_log(user: Any, visit: Visit) -> bool:
    """Accept or return a visit log: a supervisor of the team who did not go on the visit."""
    return is_team_supervisor(user, visit.case) and user.pk not in _agent_ids(visit)


def can_abort(user: Any, visit: Visit) -> bool:
    """End an on-site visit that cannot be completed: a supervisor of the team not on the visit."""
    return can_review_log(user, visit)


def can_view_statement(user: Any, visit: Visit) -> bool:
    """The debt statement shown to the debtor: whoever sees the visit."""
    return can_view(user, visit)
