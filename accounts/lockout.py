"""Sign-in lockout with django-axes: the hooks the settings name (AXES_* in config/settings/base.py).

LOGIN_FAILURE_LIMIT failed sign-ins for one username from one IP address lock that pair for
LOGIN_LOCKOUT_MINUTES, on the sign-in page, the admin's and the API's token endpoint alike (they all
call `django.contrib.auth.authenticate` with the request). The lockout is answered with a page that
says so (or the API's JSON error), recorded as `auth.locked_out` with digests only, and lifted early
by an administrator (accounts.services.login_lockout_reset: admin "Sign-in lockouts", `unlock_login`).
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.pii import digest


class LockoutBackend(AxesStandaloneBackend):
    """axes' gate, first of AUTHENTICATION_BACKENDS. A call without a request (the shell, a command,
    the test client's `login`) comes from no network client, so there is nothing to throttle: it is left
    to the next backend instead of failing as axes' own backend would."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ):  # type: ignore[no-untyped-def]
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR only, as the API's throttles: behind a proxy, the proxy configuration sets it; a
    header the client controls (X-Forwarded-For) would let anyone escape the lockout."""
    return request.META.get("REMOTE_ADDR")


def client_str(username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: Any) -> str:
    """How axes' log lines name the client: digests, never the username or the address."""
    user = digest(str(username or "").strip().lower(), kind="username")[:12]
    ip = digest(str(ip_address or ""), kind="ip")[:12]
    path = path_info[0] if isinstance(path_info, list | tuple) else path_info
    return f"{{username_digest: {user}, ip_digest: {ip}, path: {path}}}"


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed sign-ins for this username from your address: signing in is locked for "
        "%(minutes)d minutes. An administrator can unlock it sooner."
    ) % {"minutes": lockout_minutes()}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the reason: the API's error JSON under /api/, else a page that says what to do."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "errors": [
                    {
                        "code": "ACCOUNT_LOCKED",
                        "message": lockout_message(),
                        "source": _("FieldLedger sign-in lockout (SECURITY.md)"),
                        "field": "username",
                    }
                ]
            },
            status=429,
        )
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": lockout_message(), "minutes": lockout_minutes()},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
