"""User endpoints on site: check in, the visit log step by step (checks, conversation or what was said
to someone else, outcome), conduct attestations, completion, and the supervisor's review (accept,
return, abort). Each is the wizard's or the review page's action through the SAME service
(visits/services/onsite.py, review.py): the order the law asks for, the rules, the codes and the audit
events are theirs. Check-in, attestation and completion carry the wizard's idempotency key: a retry
with the same key records nothing new. Evidence files are uploaded on the pages only (not here).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from visits import services as visit_services
from visits.models import Visit, VisitLog, VisitState

from ..serializers.stages import (
    AttestInputSerializer,
    CheckInInputSerializer,
    CheckInResultSerializer,
    ChecksInputSerializer,
    CommentInputSerializer,
    CompleteInputSerializer,
    ConversationInputSerializer,
    NotDebtorInputSerializer,
    OutcomeInputSerializer,
    ReturnInputSerializer,
    VisitLogSerializer,
)
from ..serializers.user import ReasonInputSerializer, VisitSerializer
from .base import UserAction, UserRead
from .visits import _visible_visits, _with_relations


def latest_log(visit: Visit) -> VisitLog:
    log = VisitLog.objects.select_related("visit").filter(visit_id=visit.pk).order_by("-version").first()
    if log is None:
        raise Http404  # the visit has not started: there is no log yet
    return log


class VisitCheckIn(UserAction):
    """approved/notified → on site: one agent arrives (the check-in rules run for them); when as many as
    the rule pack asks for are in, the visit and the case move on site (or `start_refused` says why not).
    """

    visible = staticmethod(_visible_visits)
    input_serializer = CheckInInputSerializer
    output_serializer = CheckInResultSerializer
    success_status = 201

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        position = None
        if data.get("latitude") is not None and data.get("longitude") is not None:
            accuracy = data.get("accuracy_m")
            position = visit_services.Position(data["latitude"], data["longitude"], accuracy)
        check_in = visit_services.visit_check_in(
            visit=visit,
            actor=self.request.user,
            idempotency_key=data["idempotency_key"],
            position=position,
            position_status=data["position_status"],
        )
        refused = getattr(check_in, "start_refusal", None)
        check_in.start_refused = list(refused.failures) if refused is not None else []  # type: ignore[attr-defined]
        check_in.visit_state = Visit.objects.values_list("state", flat=True).get(pk=visit.pk)  # type: ignore[attr-defined]
        return check_in


class VisitLogRead(UserRead):
    """The visit log as it stands (the draft being filled, or the version submitted last)."""

    output_serializer = VisitLogSerializer

    def row(self, **url: Any) -> Any:
        visit = _visible_visits(self.request.user).filter(pk=url["pk"]).first()
        if visit is None:
            raise Http404
        return latest_log(visit)


class _LogStep(UserAction):
    """One step of the visit log, confirmed: validated, judged by its rules and recorded (visit_log_save)."""

    visible = staticmethod(_visible_visits)
    output_serializer = VisitLogSerializer
    step = ""

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        visit_services.visit_log_save(visit=visit, actor=self.request.user, step=self.step, data=data)
        return latest_log(visit)


class VisitChecks(_LogStep):
    """The credentials shown and the identity of the person met, before any word about the debt; locked
    once confirmed (CHECKS_LOCKED)."""

    input_serializer = ChecksInputSerializer
    step = "checks"


class VisitConversation(_LogStep):
    """The conversation with the verified debtor (refused with IDENTITY_BEFORE_DISCLOSURE otherwise)."""

    input_serializer = ConversationInputSerializer
    step = "conversation"


class VisitNotDebtor(_LogStep):
    """The person met is not the verified debtor: what was said to them (nothing about the debt)."""

    input_serializer = NotDebtorInputSerializer
    step = "not_debtor"


class VisitOutcome(_LogStep):
    """What came of the visit (only 'debtor not met' or a location question when the debtor was not met)."""

    input_serializer = OutcomeInputSerializer
    step = "outcome"


class VisitAttest(UserAction):
    """An agent of the visit attests their conduct (every item: CONDUCT_ATTESTED)."""

    visible = staticmethod(_visible_visits)
    input_serializer = AttestInputSerializer
    output_serializer = VisitLogSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        visit_services.visit_attest(visit=visit, actor=self.request.user, **data)
        return latest_log(visit)


def _present(visit: Visit) -> Visit:
    return _with_relations(Visit.objects.all()).get(pk=visit.pk)


class VisitComplete(UserAction):
    """on site → completed: the log is submitted (every step done, every agent attested) and the case
    moves by the outcome; a returned log is resubmitted the same way."""

    visible = staticmethod(_visible_visits)
    input_serializer = CompleteInputSerializer
    output_serializer = VisitSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        service = visit_services.visit_complete
        if visit.state == VisitState.CORRECTION:  # a log returned for correction goes back the same way
            service = visit_services.visit_log_resubmit
        service(
            visit=visit,
            actor=self.request.user,
            idempotency_key=data["idempotency_key"],
            client_submitted_at=data.get("client_submitted_at"),
        )
        return _present(visit)


class VisitLogAccept(UserAction):
    """A supervisor of the team who did not go on the visit accepts its log."""

    visible = staticmethod(_visible_visits)
    input_serializer = CommentInputSerializer
    output_serializer = VisitLogSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        visit_services.visit_log_accept(visit=visit, actor=self.request.user, **data)
        return latest_log(visit)


class VisitLogReturn(UserAction):
    """The supervisor returns the log to the agents for correction (a new draft version)."""

    visible = staticmethod(_visible_visits)
    input_serializer = ReturnInputSerializer
    output_serializer = VisitLogSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        visit_services.visit_log_return(visit=visit, actor=self.request.user, **data)
        return latest_log(visit)


class VisitAbort(UserAction):
    """A supervisor ends an on-site visit that cannot be completed, with the reason."""

    visible = staticmethod(_visible_visits)
    input_serializer = ReasonInputSerializer
    output_serializer = VisitSerializer

    def perform(self, visit: Visit, data: dict[str, Any]) -> Any:
        visit_services.visit_abort(visit=visit, actor=self.request.user, **data)
        return _present(visit)
