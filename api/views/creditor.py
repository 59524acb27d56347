"""Creditor endpoints (an API key): place cases, read their stage and history, visits and audit events.

Slots kept for later stages (docs/api.md): POST cases/<id>/recall/, POST payments/, GET
cases/<id>/agreement/, GET cases/<id>/payments/, visit outcomes in cases/<id>/visits/.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import Case
from compliance.models import AuditEvent
from visits.models import Visit, VisitAgent

from .. import selectors, services
from ..errors import error, errors_response
from ..schema import error_responses
from ..serializers.creditor import (
    AuditEventSerializer,
    CreditorCaseDetailSerializer,
    CreditorCaseQuerySerializer,
    CreditorCaseSerializer,
    CreditorVisitSerializer,
    PlacementInputSerializer,
    PlacementResultSerializer,
)
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
