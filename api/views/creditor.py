"""Creditor endpoints (an API key): place cases and post payments (the file imports' own checks and
writes, all or nothing, idempotent), recall a case, and read a case's stage and history, its visits
(with their outcomes), its agreement and payments, and its audit events.

A key reads and writes through `self.cases()` only: another creditor's case is 404. What the key
changes is recorded with the actor `apikey:<id>` by the stage services themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from agreements import services as agreement_services
from agreements.models import Payment
from cases.models import Case
from compliance.models import AuditEvent
from visits.models import Visit, VisitAgent

from .. import selectors, services
from ..errors import error, errors_response
from ..schema import error_responses
from ..serializers.creditor import (
    AuditEventSerializer,
    CreditorCaseAgreementSerializer,
    CreditorCaseDetailSerializer,
    CreditorCaseQuerySerializer,
    CreditorCaseSerializer,
    CreditorPaymentSerializer,
    CreditorVisitSerializer,
    PaymentsInputSerializer,
    PaymentsResultSerializer,
    PlacementInputSerializer,
    PlacementResultSerializer,
    RecallInputSerializer,
    RecallResultSerializer,
)
from ..tasks import kick_outbox
from .base import CreditorRead, CreditorView


class Placements(CreditorView):
    """Place cases: the placement file's columns as JSON rows, the file import's checks and write.

    All rows or none: any bad row answers 422 naming every bad row (row, field, message, code) and
    nothing is written. Placing the same rows again creates nothing: existing references are updated
    when a value changed, else reported unchanged. `dry_run` checks without writing.
    """

    def post(self, request: Request) -> Response:
        body = PlacementInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.placement_from_rows(
            creditor=self.key.creditor,
            rows=body.validated_data["rows"],
            actor=request.user,
            dry_run=body.validated_data["dry_run"],
        )
        report = result.report
        if not report.ok:
            return errors_response(
                [
                    error(
                        e.code,
                        e.reason,
                        field=e.column,
                        row=e.line,
                        pointer=f"/rows/{e.line - 1}/{e.column}" if e.line > 0 else "/rows",
                    )
                    for e in report.errors
                ],
                422,
            )
        cases = [
            {"external_ref": ref, "id": result.case_ids.get(ref), "result": outcome}
            for outcome, refs in (
                ("created", report.created),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
            )
            for ref in refs
        ]
        counts = {k: v for k, v in report.counts().items() if k != "errors"}
        status = 201 if report.created and not report.dry_run else 200
        data = {"dry_run": report.dry_run, "counts": counts, "cases": cases, "summary": report.summary()}
        return Response(PlacementResultSerializer(data).data, status=status)

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {
            "request": PlacementInputSerializer,
            "responses": {
                200: PlacementResultSerializer,
                201: PlacementResultSerializer,
                **error_responses(400, 401, 409, 422, 429),
            },
        }


class CreditorCases(CreditorRead):
    """Your cases, oldest first (keyset on id); filter by your reference or by stage."""

    output_serializer = CreditorCaseSerializer
    query_serializer = CreditorCaseQuerySerializer
    many = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Case]:
        cases = self.cases()
        if params.get("external_ref"):
            cases = cases.filter(external_ref=params["external_ref"])
        if params.get("stage"):
            cases = cases.filter(stage=params["stage"])
        return cases


class CreditorCaseDetail(CreditorRead):
    """One of your cases: its stage now and every stage it entered, with when."""

    output_serializer = CreditorCaseDetailSerializer

    def row(self, **url: Any) -> Any:
        case = self.case_or_404(url["pk"])
        case.stage_history = selectors.stage_history(case)
        return case


class CreditorCaseVisits(CreditorRead):
    """The visits planned on one of your cases: state and window (UTC and the debtor's local time);
    no address, no agent names."""

    output_serializer = CreditorVisitSerializer
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Visit]:
        case = self.case_or_404(url["pk"])
        return Visit.objects.filter(case=case).prefetch_related(
            Prefetch("visit_agents", queryset=VisitAgent.objects.only("visit_id", "agent_id"))
        )


class CreditorCaseAuditEvents(CreditorRead):
    """The audit events of one of your cases, in `seq` order, each exactly a line of the audit export
    (docs/audit-format.md). Page on with `after=<last seq>`."""

    output_serializer = AuditEventSerializer
    many = True
    nested = True
    page_key = "seq"

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[AuditEvent]:
        case = self.case_or_404(url["pk"])
        return AuditEvent.objects.filter(case_id=case.pk)


class CreditorCaseRecall(CreditorView):
    """Recall one of your cases: it is closed as "recalled by the creditor" (the closing service, with its
    closing report); live visits are cancelled. Refused (409): already closed (CASE_CLOSED), agents on
    site or a dispute open (WRONG_STAGE), a signed agreement running without `end_agreement`
    (AGREEMENT_RUNNING). The stage change is announced by webhook like any other."""

    def post(self, request: Request, pk: int) -> Response:
        case = self.case_or_404(pk)
        body = RecallInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        closure = agreement_services.case_recall(case=case, actor=request.user, **body.validated_data)
        kick_outbox()
        case = self.cases().get(pk=case.pk)
        case.closure = closure
        return Response(RecallResultSerializer(case).data)

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {
            "request": RecallInputSerializer,
            "responses": {200: RecallResultSerializer, **error_responses(400, 401, 404, 409, 422, 429)},
        }


class CreditorPayments(CreditorView):
    """Post payments your system received, with the payment file's checks and write: all or none (any bad
    row answers 422 naming every bad row, nothing is recorded), idempotent on your payment reference."""

    def post(self, request: Request) -> Response:
        body = PaymentsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.payments_from_rows(
            creditor=self.key.creditor,
            rows=body.validated_data["payments"],
            actor=request.user,
            dry_run=body.validated_data["dry_run"],
        )
        if not report.ok:
            return errors_response(
                [
                    error(
                        e.code,
                        e.reason,
                        field=e.column,
                        row=e.line,
                        pointer=f"/payments/{e.line - 1}/{e.column}" if e.line > 0 else "/payments",
                    )
                    for e in report.errors
                ],
                422,
            )
        payments = [
            {"reference": ref, "id": report.payments.get(ref), "result": outcome}
            for outcome, refs in (("created", report.created), ("unchanged", report.unchanged))
            for ref in refs
        ]
        data = {
            "dry_run": report.dry_run,
            "counts": {"created": len(report.created), "unchanged": len(report.unchanged)},
            "payments": payments,
            "summary": report.summary(),
        }
        return Response(
            PaymentsResultSerializer(data).data, status=201 if report.created and not report.dry_run else 200
        )

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {
            "request": PaymentsInputSerializer,
            "responses": {
                200: PaymentsResultSerializer,
                201: PaymentsResultSerializer,
                **error_responses(400, 401, 422, 429),
            },
        }


class CreditorCaseAgreement(CreditorRead):
    """The case's money (placed, paid, balance) and the agreement the debtor signed last: its state and
    schedule, each instalment with what was paid on it; null when none was signed."""

    output_serializer = CreditorCaseAgreementSerializer

    def row(self, **url: Any) -> Any:
        return selectors.case_agreement(self.case_or_404(url["pk"]))


class CreditorCasePayments(CreditorRead):
    """The payments recorded on one of your cases (by you, a file or the agency), oldest first (keyset on
    id), each with how it was allocated to the agreement's instalments."""

    output_serializer = CreditorPaymentSerializer
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Payment]:
        return selectors.case_payments(self.case_or_404(url["pk"]))
