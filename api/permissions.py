"""DRF permissions: which kind of credential an endpoint takes. Everything finer is the stage apps'
policies (404 outside `*_visible_to`, PERMISSION_DENIED from the services)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .models import ApiKey, UserToken


class IsCreditorKey(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)


class IsUserToken(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, UserToken)
