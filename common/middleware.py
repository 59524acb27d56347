"""Permissions-Policy on every response, from settings.PERMISSIONS_POLICY (Django has no setting for it).

`{"geolocation": ["self"], "usb": []}` becomes `geolocation=(self), usb=()`: a feature with an empty
list is off for the page and every frame.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def header_value(policy: dict[str, list[str]]) -> str:
    parts = []
    for feature, origins in policy.items():
        allowed = " ".join("self" if origin == "self" else f'"{origin}"' for origin in origins)
        parts.append(f"{feature}=({allowed})")
    return ", ".join(parts)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = header_value(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response


def _cache_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class CacheUnavailableMiddleware:
    """The cache (throttles, rate limits) unreachable: a clear 503 instead of a bare 500 — the API's JSON
    error shape under /api/, a short page elsewhere — with Retry-After. Nothing was written: the
    throttles are read before any service runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.errors = _cache_errors()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self.errors or not isinstance(exception, self.errors):
            return None
        import logging

        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        logging.getLogger("fieldledger.cache").error("cache unavailable: %s", exception)
        message = _(
            "The service is briefly unavailable (its cache does not answer). Nothing was saved; try again in a minute."
        )
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"errors": [{"code": "SERVICE_UNAVAILABLE", "message": message, "source": "", "field": ""}]},
                status=503,
            )
        else:
            response = render(request, "common/service_unavailable.html", {"message": message}, status=503)
        response["Retry-After"] = "60"
        return response
