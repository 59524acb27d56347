"""User endpoints of the limitation period: the case's period as the case page shows it, and the debtor's
acknowledgements of the debt (read, record with evidence) through the UI's service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from agreements import selectors as agreement_selectors
from agreements import services as agreement_services
from agreements.models import Acknowledgement

from ..serializers.limitation import (
    AcknowledgementInputSerializer,
    AcknowledgementSerializer,
    LimitationSerializer,
)
from .base import Act, Read, UserView
from .cases import _visible_cases


class CaseLimitation(Read, UserView):
    """GET: the limitation period: its length, the last interruption (kind, date, who recorded it) and the
    day it runs until, under the case's current rule pack."""

    output_serializer = LimitationSerializer

    def row(self, **url: Any) -> Any:
        case = get_object_or_404(
            _visible_cases(self.request.user).select_related("creditor", "debtor"), pk=url["pk"]
        )
        return agreement_selectors.case_limitation(case)


class CaseAcknowledgements(Read, Act, UserView):
    """GET: the debtor's acknowledgements of the debt on the case (keyset on id). POST: record one, with its
    evidence (whoever works the case); it restarts the limitation period where the pack says so."""

    visible = staticmethod(_visible_cases)
    output_serializer = AcknowledgementSerializer
    input_serializer = AcknowledgementInputSerializer
    success_status = 201
    many = True
    nested = True

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Acknowledgement]:
        return Acknowledgement.objects.filter(case=self.target(url["pk"])).select_related("recorded_by")

    def perform(self, case: Any, data: dict[str, Any]) -> Any:
        return agreement_services.acknowledgement_record(case=case, actor=self.request.user, **data)
