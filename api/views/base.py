"""The pattern every API endpoint follows, so that one is added in a few lines.

    class VisitApprove(UserAction):                     # POST /api/v1/visits/<pk>/approve/
        visible = staticmethod(visit_policies.visits_visible_to)   # outside it: 404
        input_serializer = ApproveInput                # the body; a mismatch: 422
        output_serializer = VisitSerializer            # the answer
        def perform(self, visit, data):                # ONE service call; its refusal: 403/409
            return visit_services.visit_approve(visit=visit, actor=self.request.user, **data)

- `UserAction` / `UserRead`: a user's token; `CreditorRead` (and `CreditorView`): a creditor's key.
- `Read` answers GET with one object (`row`) or a keyset page (`many = True`, `rows`, `page_key`).
- Every audit event written while the request runs carries `"via": "api"` (and the token id for a user
  token), whichever service writes it; the services themselves are the UI's, unchanged.
- The OpenAPI operation (request, parameters, answers, error answers) is derived from the same
  attributes by api.schema.AutoSchema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case
from compliance import audit

from .. import policies
from ..authentication import ApiKeyAuthentication, UserTokenAuthentication
from ..models import ApiKey
from ..pagination import KeysetQuery, keyset_page, page_serializer
from ..permissions import IsCreditorKey, IsUserToken
from ..schema import error_responses
from ..tasks import kick_outbox
from ..throttling import CredentialRateThrottle


class ApiView(APIView):
    """JSON in and out; the audit trail records that the request came through the API."""

    audit_context: dict[str, Any]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with audit.context(via="api") as context:
            self.audit_context = context
            return super().dispatch(request, *args, **kwargs)

    def openapi(self, method: str) -> dict[str, Any] | None:
        return None


class CreditorView(ApiView):
    """A creditor's system, by API key: it sees its own creditor's cases only (others are 404)."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsCreditorKey]
    throttle_classes = [CredentialRateThrottle]

    @property
    def key(self) -> ApiKey:
        return self.request.auth  # type: ignore[return-value]

    def cases(self) -> QuerySet[Case]:
        return policies.cases_for_key(self.key)

    def case_or_404(self, pk: int) -> Case:
        return get_object_or_404(self.cases(), pk=pk)


class UserView(ApiView):
    """A user, by token: exactly what that user may see and do in the UI."""

    authentication_classes = [UserTokenAuthentication]
    permission_classes = [IsUserToken]
    throttle_classes = [CredentialRateThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.audit_context["api_token"] = request.auth.pk  # type: ignore[union-attr]


class Read:
    """GET: one object (`row`, 404 when not visible) or a keyset page of them (`many`, `rows`)."""

    output_serializer: type[serializers.Serializer]
    query_serializer: type[serializers.Serializer] | None = None
    many = False
    nested = False  # a page of one object's children (the object's id is in the URL: 404 if not visible)
    page_key = "pk"
    request: Request

    def row(self, **url: Any) -> Any:
        raise NotImplementedError

    def rows(self, params: dict[str, Any], **url: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def _query(self) -> type[serializers.Serializer] | None:
        if not self.many:
            return self.query_serializer
        bases = (self.query_serializer, KeysetQuery) if self.query_serializer else (KeysetQuery,)
        name = (self.query_serializer.__name__ if self.query_serializer else type(self).__name__) + "Page"
        return type(name, bases, {"__module__": __name__})

    def get(self, request: Request, **url: Any) -> Response:
        context = {"request": request}
        if not self.many:
            return Response(self.output_serializer(self.row(**url), context=context).data)
        query = self._query() or KeysetQuery
        params_serializer = query(data=request.query_params.dict())  # "?stage=" is a value, not absent
        unknown = sorted(set(request.query_params) - set(params_serializer.fields))
        if unknown:  # a misspelt filter must not silently return everything
            raise ValidationError(
                {
                    name: [ErrorDetail(_("Unknown query parameter."), code="unknown_parameter")]
                    for name in unknown
                }
            )
        params_serializer.is_valid(raise_exception=True)
        params = dict(params_serializer.validated_data)
        rows, next_url = keyset_page(
            self.rows(params, **url),
            request=request,
            key=self.page_key,
            after=params.get("after"),
            limit=params["limit"],
        )
        return Response(
            {"results": self.output_serializer(rows, many=True, context=context).data, "next": next_url}
        )

    def openapi(self, method: str) -> dict[str, Any] | None:
        if method != "GET":
            return super().openapi(method)  # type: ignore[misc]
        codes = [401, 429]
        if not self.many or self.nested:
            codes.append(404)
        if self.many:
            codes.append(422)
        query = self._query()
        return {
            "parameters": [query] if query else [],
            "responses": {
                200: page_serializer(self.output_serializer) if self.many else self.output_serializer,
                **error_responses(*sorted(codes)),
            },
        }


class Act:
    """POST: an action on one visible object, by ONE service call.

    `visible(user)` is the stage app's policy queryset (404 outside it); the body is checked by
    `input_serializer` (422); `perform` calls the service, whose refusal answers 409 (403 for the role
    alone) with one error per failed check; the result is `output_serializer`'s, with `success_status`.
    """

    visible: Callable[[Any], QuerySet[Any]]
    input_serializer: type[serializers.Serializer] | None = None
    output_serializer: type[serializers.Serializer]
    success_status = 200
    request: Request

    def target(self, pk: int) -> Any:
        return get_object_or_404(type(self).visible(self.request.user), pk=pk)

    def perform(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        obj = self.target(pk)
        data: dict[str, Any] = {}
        if self.input_serializer is not None:
            body = self.input_serializer(data=request.data, context={"request": request, "object": obj})
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        result = self.perform(obj, data)
        kick_outbox()  # a stage may have changed: tell the creditor now rather than at the next beat
        return Response(
            self.output_serializer(result, context={"request": request}).data, status=self.success_status
        )

    def openapi(self, method: str) -> dict[str, Any] | None:
        if method != "POST":
            return super().openapi(method)  # type: ignore[misc]
        codes = [401, 403, 404, 409, 429]
        if self.input_serializer is not None:
            codes += [400, 422]
        return {
            "request": self.input_serializer,
            "responses": {self.success_status: self.output_serializer, **error_responses(*sorted(codes))},
        }


class UserRead(Read, UserView):
    pass


class UserAction(Act, UserView):
    pass


class CreditorRead(Read, CreditorView):
    pass
