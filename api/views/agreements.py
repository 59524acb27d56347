"""User endpoints on repayment: draft an agreement on a case, submit it for approval, approve or send it
back, sign it (the drawn signatures), cancel a draft; record a payment; plan a follow-up and mark it
done. Each is the agreement pages' action through the SAME service (agreements/services/): the same
permission and rule checks (affordability, settlement approval, limitation), the same codes and audit
events. Signing carries the page's idempotency key. Agreements and follow-ups are seen by whoever sees
their case (agreements.policies): others get 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from agreements import policies as agreement_policies
from agreements import services as agreement_services
from agreements.models import Agreement, Allocation, FollowUp, Instalment, Payment, Signature

from ..serializers.stages import (
    AgreementApproveInputSerializer,
    AgreementDraftInputSerializer,
    AgreementSerializer,
    AgreementSignInputSerializer,
    FollowUpInputSerializer,
    FollowUpSerializer,
    NoteInputSerializer,
    PaymentInputSerializer,
    UserPaymentSerializer,
)
from ..serializers.user import ReasonInputSerializer
from .base import Act, Read, UserAction, UserRead, UserView
from .cases import _visible_cases


def _with_relations(agreements: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return agreements.select_related("drafted_by", "approved_by").prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("number")),
        Prefetch("signatures", queryset=Signature.objects.order_by("signed_at")),
    )


def _visible_agreements(user: Any) -> QuerySet[Agreement]:
    return agreement_policies.agreements_visible_to(user).select_related("case")


def _present(agreement: Agreement) -> Agreement:
    return _with_relations(Agreement.objects.all()).get(pk=agreement.pk)


class CaseAgreements(Read, Act, UserView):
    """GET: the case's agreements, oldest first (keyset on id). POST: draft one (the terms are judged:
    affordability, the creditor's settlement threshold, the limitation period)."""

    visible = staticmethod(_visible_cases)
    output_serializer = AgreementSerializer
    input_serializer = AgreementDraftInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Agreement]:
        return _with_relations(Agreement.objects.filter(case=self.target(url["pk"])))

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        schedule = data.pop("schedule")
        data = {**data, "schedule_lines": schedule}
        agreement = agreement_services.agreement_draft(case=case, actor=self.request.user, **data)
        return _present(agreement)


class AgreementDetail(UserRead):
    output_serializer = AgreementSerializer

    def row(self, **url: Any) -> Any:
        return get_object_or_404(_with_relations(_visible_agreements(self.request.user)), pk=url["pk"])


class _AgreementAction(UserAction):
    visible = staticmethod(_visible_agreements)
    output_serializer = AgreementSerializer


class AgreementSubmit(_AgreementAction):
    """draft → awaiting approval (a settlement discount beyond the creditor's threshold)."""

    def perform(self, agreement: Agreement, data: dict[str, Any]) -> Any:
        return _present(agreement_services.agreement_submit(agreement=agreement, actor=self.request.user))


class AgreementApprove(_AgreementAction):
    """awaiting approval → approved (or back to draft with `approve: false`), by a supervisor of the team
    who did not draft it."""

    input_serializer = AgreementApproveInputSerializer

    def perform(self, agreement: Agreement, data: dict[str, Any]) -> Any:
        return _present(
            agreement_services.agreement_approve(agreement=agreement, actor=self.request.user, **data)
        )


class AgreementSign(_AgreementAction):
    """draft/approved → signed → active: the debtor's (unless signed through their link), the agent's and
    the witness's drawn signatures; the PDF is made and kept with its SHA-256."""

    input_serializer = AgreementSignInputSerializer

    def perform(self, agreement: Agreement, data: dict[str, Any]) -> Any:
        return _present(
            agreement_services.agreement_sign(agreement=agreement, actor=self.request.user, **data)
        )


class AgreementCancel(_AgreementAction):
    """A draft (or an approved agreement not yet signed) is given up, with the reason."""

    input_serializer = ReasonInputSerializer

    def perform(self, agreement: Agreement, data: dict[str, Any]) -> Any:
        return _present(
            agreement_services.agreement_cancel(agreement=agreement, actor=self.request.user, **data)
        )


class CasePayments(Read, Act, UserView):
    """GET: the case's payments (keyset on id). POST: record one the creditor received (a supervisor of
    the team), allocated to the agreement in force; the same reference again is the same payment."""

    visible = staticmethod(_visible_cases)
    output_serializer = UserPaymentSerializer
    input_serializer = PaymentInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Payment]:
        return (
            Payment.objects.filter(case=self.target(url["pk"]))
            .select_related("agreement")
            .prefetch_related(
                Prefetch("allocations", queryset=Allocation.objects.select_related("instalment"))
            )
        )

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return agreement_services.payment_record(
            case=case, actor=self.request.user, currency=case.currency, **data
        )


class CaseFollowUps(Read, Act, UserView):
    """GET: the case's follow-up plans (keyset on id). POST: a new plan (the open one is superseded)."""

    visible = staticmethod(_visible_cases)
    output_serializer = FollowUpSerializer
    input_serializer = FollowUpInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[FollowUp]:
        return FollowUp.objects.filter(case=self.target(url["pk"])).select_related("owner")

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return agreement_services.follow_up_plan(case=case, actor=self.request.user, **data)


def _visible_follow_ups(user: Any) -> QuerySet[FollowUp]:
    return agreement_policies.follow_ups_visible_to(user).select_related("case", "owner")


class FollowUpDone(UserAction):
    """The plan's next action was taken: it is done."""

    visible = staticmethod(_visible_follow_ups)
    input_serializer = NoteInputSerializer
    output_serializer = FollowUpSerializer

    def perform(self, follow_up: FollowUp, data: dict[str, Any]) -> Any:
        return agreement_services.follow_up_done(follow_up=follow_up, actor=self.request.user, **data)
