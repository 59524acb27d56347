"""User endpoints on visits and notices: read, approve, send back, resubmit, cancel, record a notice
and the debtor's answer, each through the visit page's own service. On site: api/views/onsite.py.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from visits import policies as visit_policies
from visits import services as visit_services
from visits.models import Notice, Visit, VisitAgent

from .. import policies
from ..serializers.user import (
    ApproveInputSerializer,
    NoticeAnswerInputSerializer,
    NoticeInputSerializer,
    NoticeSerializer,
    ReasonInputSerializer,
    VisitQuerySerializer,
    VisitResubmitInputSerializer,
    VisitSerializer,
)
from .base import UserAction, UserRead


def _with_relations(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    return visits.select_related("case", "address", "planned_by", "approved_by").prefetch_related(
        Prefetch("visit_agents", queryset=VisitAgent.objects.select_related("agent").order_by("agent_id"))
    )


def _visible_visits(user: Any) -> QuerySet[Visit]:
    return visit_policies.visits_visible_to(user).select_related("case", "address")


class VisitList(UserRead):
    """The visits you may see (keyset on id); `mine=true` for the ones you go on."""

    output_serializer = VisitSerializer
    query_serializer = VisitQuerySerializer
    many = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Visit]:
        visits = visit_policies.visits_visible_to(self.request.user)
        if params.get("state"):
            visits = visits.filter(state=params["state"])
        if params.get("mine"):
            visits = visits.filter(visit_agents__agent_id=self.request.user.pk)
        return _with_relations(visits)


class VisitDetail(UserRead):
    output_serializer = VisitSerializer

    def row(self, **url: Any) -> Any:
        return get_object_or_404(
            _with_relations(visit_policies.visits_visible_to(self.request.user)), pk=url["pk"]
        )


class _VisitAction(UserAction):
    """An action on a visible visit, answered with the visit as it is afterwards."""

    visible = staticmethod(_visible_visits)
    output_serializer = VisitSerializer

    def present(self, visit: Visit) -> Visit:
        return _with_relations(Visit.objects.all()).get(pk=visit.pk)


class VisitApprove(_VisitAction):
    """planned → approved by a supervisor of the team (not the planner, not an agent of the visit)."""

    input_serializer = ApproveInputSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        return self.present(visit_services.visit_approve(visit=visit, actor=self.request.user, **data))


class VisitSendBack(_VisitAction):
    """planned → returned to its planner, with the reason."""

    input_serializer = ReasonInputSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        return self.present(visit_services.visit_send_back(visit=visit, actor=self.request.user, **data))


class VisitResubmit(_VisitAction):
    """returned → planned again by its planner, judged by the rules again."""

    input_serializer = VisitResubmitInputSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        return self.present(visit_services.visit_resubmit(visit=visit, actor=self.request.user, **data))


class VisitCancel(_VisitAction):
    """A live visit is cancelled, with the reason; the case returns to verified."""

    input_serializer = ReasonInputSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        return self.present(visit_services.visit_cancel(visit=visit, actor=self.request.user, **data))


class VisitNotices(UserAction):
    """Record the prior notice of an approved visit (SMS and email are sent by the worker)."""

    visible = staticmethod(_visible_visits)
    input_serializer = NoticeInputSerializer
    output_serializer = NoticeSerializer
    success_status = 201

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        data = {**data, "text": data.get("text") or None, "email": data.get("email") or ""}
        return visit_services.notice_record(visit=visit, actor=self.request.user, **data)


def _visible_notices(user: Any) -> QuerySet[Notice]:
    return policies.notices_visible_to(user).select_related("visit", "recorded_by")


class NoticeAnswer(UserAction):
    """Record the debtor's answer; a refusal flags the debtor and moves the case to visits_refused."""

    visible = staticmethod(_visible_notices)
    input_serializer = NoticeAnswerInputSerializer
    output_serializer = NoticeSerializer

    def perform(self, notice: Notice, data: dict[str, Any]) -> Any:
        return visit_services.notice_answer(notice=notice, actor=self.request.user, **data)
