"""Rate limits per credential (a creditor key, a user token) and per client IP for token requests.

Rates come from the settings at each request (API_RATE_CREDITOR_KEY, API_RATE_USER_TOKEN,
API_RATE_TOKEN_REQUESTS), counted in the default cache (Redis in production, so shared by every
worker). The client IP is REMOTE_ADDR only: behind a proxy it must be set by the proxy configuration,
never read from a header the client controls.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey, UserToken


class _SettingsRateThrottle(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:  # the rate is read per request (settings may change in tests)
        pass

    def identity(self, request: Any) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        identity = self.identity(request)
        return f"fl:api-throttle:{identity}" if identity else None

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class CredentialRateThrottle(_SettingsRateThrottle):
    def identity(self, request: Any) -> str | None:
        auth = request.auth
        if isinstance(auth, ApiKey):
            self.setting = "API_RATE_CREDITOR_KEY"
            return f"apikey:{auth.pk}"
        if isinstance(auth, UserToken):
            self.setting = "API_RATE_USER_TOKEN"
            return f"token:{auth.pk}"
        return None

    def allow_request(self, request: Any, view: Any) -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        return super().allow_request(request, view)


class TokenRequestRateThrottle(_SettingsRateThrottle):
    setting = "API_RATE_TOKEN_REQUESTS"

    def identity(self, request: Any) -> str | None:
        return f"token-request:{request.META.get('REMOTE_ADDR', 'unknown')}"
