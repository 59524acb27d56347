"""User endpoints on cases: read (masked), verify/unverify, assign agents, plan a visit, contacts.

Each action is the case page's action through the SAME service: the same permission and rule checks,
the same codes, the same audit events (with "via": "api").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from cases import policies as case_policies
from cases import selectors as case_selectors
from cases import services as case_services
from visits import services as visit_services
from visits.models import ContactAttempt, Visit, VisitAgent

from ..serializers.user import (
    AssignAgentsInputSerializer,
    CaseDetailSerializer,
    CaseQuerySerializer,
    CaseSerializer,
    ContactInputSerializer,
    ContactSerializer,
    ReasonInputSerializer,
    UnverifyInputSerializer,
    VisitPlanInputSerializer,
    VisitSerializer,
)
from .base import Act, Read, UserAction, UserRead, UserView


def _visible_cases(user: Any) -> QuerySet[Any]:
    return case_policies.cases_visible_to(user).select_related("debtor", "creditor", "mandate", "team")


class CaseList(UserRead):
    """The cases you may see, oldest first (keyset on id); personal data masked."""

    output_serializer = CaseSerializer
    query_serializer = CaseQuerySerializer
    many = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Any]:
        return case_selectors.case_list(
            user=self.request.user, stage=params.get("stage", ""), q=params.get("q", "")
        )


class CaseDetail(UserRead):
    """One case with its debtor (masked), mandate, agents and the stage moves open to you now."""

    output_serializer = CaseDetailSerializer

    def row(self, **url: Any) -> Any:
        case = case_selectors.case_detail(user=self.request.user, pk=url["pk"])
        if case is None:
            raise Http404
        return case


class _CaseAction(UserAction):
    """An action on a visible case, answered with the case as it is afterwards."""

    visible = staticmethod(_visible_cases)
    output_serializer = CaseDetailSerializer

    def present(self, case: Any) -> Any:
        fresh = case_selectors.case_detail(user=self.request.user, pk=case.pk)
        return fresh if fresh is not None else case


class CaseVerify(_CaseAction):
    """new → verified (identity, a verified address, contract, mandate, assessment: the case page's checks)."""

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return self.present(case_services.case_verify(case=case, actor=self.request.user))


class CaseUnverify(_CaseAction):
    """verified → new, with the reason."""

    input_serializer = UnverifyInputSerializer

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return self.present(case_services.case_unverify(case=case, actor=self.request.user, **data))


class CaseAssignAgents(_CaseAction):
    """Set the field agents assigned to the case (a supervisor of its team)."""

    input_serializer = AssignAgentsInputSerializer

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return self.present(
            case_services.case_assign_agents(case=case, agents=data["agents"], actor=self.request.user)
        )


class CaseResumeVisits(_CaseAction):
    """A supervisor lifts the debtor's refusal of visits, with the reason (the VISIT_REFUSED override)."""

    input_serializer = ReasonInputSerializer

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return self.present(visit_services.visits_resume(case=case, actor=self.request.user, **data))


def _visits_of(case: Any) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(case=case)
        .select_related("address", "planned_by", "approved_by")
        .prefetch_related(
            Prefetch("visit_agents", queryset=VisitAgent.objects.select_related("agent").order_by("agent_id"))
        )
    )


class CaseVisits(Read, Act, UserView):
    """GET: the case's visits (keyset on id). POST: plan a visit (verified → visit_planned), judged by
    the rule pack; a supervisor of the team may override an overridable refusal with `override_reason`."""

    visible = staticmethod(_visible_cases)
    output_serializer = VisitSerializer
    input_serializer = VisitPlanInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Visit]:
        return _visits_of(self.target(url["pk"]))

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        visit = visit_services.visit_plan(case=case, actor=self.request.user, **data)
        return _visits_of(case).get(pk=visit.pk)


class CaseContacts(Read, Act, UserView):
    """GET: the case's contact history, every channel (keyset on id). POST: record a contact; refused
    under CEASE_CONTACT or REPRESENTED; a phone call outside the hours or caps comes back with warnings."""

    visible = staticmethod(_visible_cases)
    output_serializer = ContactSerializer
    input_serializer = ContactInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[ContactAttempt]:
        return ContactAttempt.objects.filter(case=self.target(url["pk"])).select_related("recorded_by")

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return visit_services.contact_record(case=case, actor=self.request.user, **data)
