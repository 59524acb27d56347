"""Who must pass a second factor, and who may reset it or lift a sign-in lockout."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .models import Role
from .roles import has_role, is_service, roles_of


def requires_two_factor(user: Any) -> bool:
    """A signed-in user holding one of TWO_FACTOR_ROLES (a superuser counts as an administrator)."""
    wanted = set(settings.TWO_FACTOR_ROLES)
    if not wanted or not getattr(user, "is_authenticated", False):
        return False
    if roles_of(user) & wanted:
        return True
    return bool(user.is_superuser and user.is_active and Role.ADMINISTRATOR in wanted)


def _is_administrator(actor: Any) -> bool:
    return has_role(actor, Role.ADMINISTRATOR) or bool(
        getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False)
    )


def can_reset_two_factor(actor: Any, user: Any) -> bool:
    """Administrators (admin) and the service account (the `two_factor_reset` command); never oneself,
    so that a stolen administrator session cannot swap the administrator's own second factor."""
    if is_service(actor):
        return True
    return _is_administrator(actor) and getattr(actor, "pk", None) != getattr(user, "pk", None)


def can_unlock_logins(actor: Any) -> bool:
    """Administrators (admin) and the service account (the `unlock_login` command)."""
    return is_service(actor) or _is_administrator(actor)
