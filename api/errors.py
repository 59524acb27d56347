"""Every API error has one shape: `{"errors": [{"code", "message", "source", "field"}, ...]}`.

- a refusal by a service (`common.errors.DomainError`): 409, one entry per failed check, exactly
  `Failure.as_dict()`; a refusal for the role alone (`PERMISSION_DENIED`) is 403. A refusal by the
  rules carries the recorded decision: `"decision": {"id", "overridable"}`.
- input that does not match the schema: 422, one entry per field and rule (`field` is the path,
  e.g. `window_start` or `agents.1`; `code` the rule, e.g. `FIELD_REQUIRED`, `INVALID_CHOICE`).
- 401 (no or a bad credential, with `WWW-Authenticate`), 403, 404 (also for objects the caller may not
  see), 405, 415, 429 (with `Retry-After`), 400 for a body that is not JSON.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from common.errors import DomainError, PermissionRefused

# DRF's own codes for "missing" are named like the services' FIELD_REQUIRED; others keep their name.
_INPUT_CODES = {
    "required": "FIELD_REQUIRED",
    "null": "FIELD_REQUIRED",
    "blank": "FIELD_REQUIRED",
    "invalid": "INVALID_INPUT",
}
_API_CODES = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "RATE_LIMITED",
    exceptions.ParseError: "MALFORMED_REQUEST",
}


def error(code: str, message: Any, *, field: str = "", source: Any = "", **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": str(message), "source": str(source), "field": field, **extra}


def errors_response(errors: list[dict[str, Any]], status_code: int, **body: Any) -> Response:
    return Response({"errors": errors, **body}, status=status_code)


def input_code(code: str | None) -> str:
    if not code:
        return "INVALID_INPUT"
    return _INPUT_CODES.get(code, code.upper())


def flatten(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """DRF's nested validation detail as one entry per message, with the field's dotted path."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "detail") else str(key)
            found += flatten(value, f"{path}.{name}" if path and name else path or name)
        return found
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [error(input_code(item.code), item, field=path) for item in detail]
        found = []
        for index, item in enumerate(detail):
            if item:
                found += flatten(item, f"{path}.{index}" if path else str(index))
        return found
    return [error(input_code(getattr(detail, "code", None)), detail, field=path)]


def domain_error_response(exc: DomainError) -> Response:
    codes = set(exc.codes)
    refused_for_role = isinstance(exc, PermissionRefused) or codes == {"PERMISSION_DENIED"}
    body: dict[str, Any] = {}
    decision = getattr(exc, "decision", None)
    if decision is not None:
        body["decision"] = {"id": decision.pk, "overridable": bool(getattr(exc, "overridable", False))}
    return errors_response(
        [f.as_dict() for f in exc.failures],
        status.HTTP_403_FORBIDDEN if refused_for_role else status.HTTP_409_CONFLICT,
        **body,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return errors_response(flatten(exc.detail), status.HTTP_422_UNPROCESSABLE_ENTITY)
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django's 500 handling and logging
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    code = next((c for klass, c in _API_CODES.items() if isinstance(exc, klass)), "ERROR")
    message = exc.detail if isinstance(exc.detail, str) else _("The request failed.")
    if isinstance(exc, exceptions.Throttled):
        message = _("Too many requests for this credential; retry after %(s)s seconds.") % {
            "s": headers.get("Retry-After", "a few")
        }
    response = errors_response([error(code, message)], exc.status_code)
    for name, value in headers.items():
        response[name] = value
    return response
