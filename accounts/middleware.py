"""Sends a signed-in user who must pass a second factor (TWO_FACTOR_ROLES) and has not in this session
to the authenticator set-up page (nothing enrolled yet) or to the code page; the API answers 401 JSON.

It runs after django-otp's OTPMiddleware (which gives `request.user.is_verified()`). With
TWO_FACTOR_ROLES empty (the tests' default, the demo's) it does nothing and costs no query.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .policies import requires_two_factor
from .two_factor import SOURCE_2FA, is_enrolled

# What an unverified user may still reach: signing in and out, the second-factor pages, the language.
ALLOWED_VIEWS = {
    "accounts:login",
    "accounts:logout",
    "accounts:2fa-setup",
    "accounts:2fa-verify",
    "set_language",
}


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not settings.TWO_FACTOR_ROLES:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified() or not requires_two_factor(user):
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if view_name in ALLOWED_VIEWS:
            return None
        if view_name.startswith("api:"):
            return JsonResponse(
                {
                    "errors": [
                        {
                            "code": "TWO_FACTOR_REQUIRED",
                            "message": _("This session has not passed the second factor."),
                            "source": str(SOURCE_2FA),
                            "field": "",
                        }
                    ]
                },
                status=401,
            )
        target = "accounts:2fa-verify" if is_enrolled(user) else "accounts:2fa-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
