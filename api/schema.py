"""OpenAPI for the API: the two credential schemes, and request/response schemas read from the views.

Each API view describes itself with `openapi(method)` (api/views/base.py): its input serializer, its
query parameters, its success answer and which error answers it gives; this AutoSchema turns that
into the operation, so a new endpoint is documented by the same few lines that define it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable SHOUTING_SNAKE code, e.g. MIN_AGENTS or FIELD_REQUIRED.")
    message = serializers.CharField(help_text="In the request's language (Accept-Language: en or zh-hans).")
    source = serializers.CharField(allow_blank=True, help_text="Where the rule comes from, if a rule.")
    field = serializers.CharField(allow_blank=True, help_text="The input field or path the error is about.")
    row = serializers.IntegerField(required=False, help_text="Placement only: the row, counting from 1.")
    pointer = serializers.CharField(required=False, help_text="Placement only: JSON Pointer into the body.")


class DecisionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    overridable = serializers.BooleanField()


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)
    decision = DecisionRefSerializer(
        required=False,
        help_text="A refusal by the rules: the recorded decision, and whether it may be overridden.",
    )


ERROR_TEXT = {
    400: "The body is not valid JSON.",
    401: "No credential, or an unknown, revoked or expired one.",
    403: "The credential may not do this (PERMISSION_DENIED).",
    404: "No such object, or one the caller may not see.",
    409: "Refused: a state, permission-on-object or compliance rule check failed (one entry per check).",
    422: "The input does not match the schema (one entry per field and rule).",
    429: "Rate limit of this credential reached; see Retry-After.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorsSerializer, description=ERROR_TEXT[code]) for code in codes}


class AutoSchema(SpectacularAutoSchema):
    def _spec(self) -> dict[str, Any] | None:
        describe = getattr(self.view, "openapi", None)
        return describe(self.method) if describe else None

    def get_request_serializer(self) -> Any:
        spec = self._spec()
        return spec.get("request") if spec is not None else super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        spec = self._spec()
        return spec["responses"] if spec is not None else super().get_response_serializers()

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if self.method == "GET" and getattr(self.view, "many", False):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def get_override_parameters(self) -> list[Any]:
        spec = self._spec() or {}
        return [*super().get_override_parameters(), *spec.get("parameters", [])]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "creditorApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A creditor's API key: `Authorization: Api-Key flk_…` (made in the admin).",
        }


class UserTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.UserTokenAuthentication"
    name = "userToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A user's token from POST /api/v1/auth/token/: `Authorization: Bearer flt_…`.",
        }
