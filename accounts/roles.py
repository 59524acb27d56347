"""Which roles a user holds (cached on the user object for the request)."""

from __future__ import annotations

from typing import Any

from .models import Role


def roles_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_fieldledger_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        cached = frozenset(names)
        user._fieldledger_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_service(user: Any) -> bool:
    """The service account commands and tasks act as (never signs in; cannot be used from the web)."""
    return bool(getattr(user, "is_service_account", False))
