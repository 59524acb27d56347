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
