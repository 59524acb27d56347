"""Who may manage API credentials and webhooks, and what a creditor's API key may see.

A creditor key sees its own creditor's cases and nothing else: every creditor endpoint reads through
`cases_for_key`, so another creditor's case is 404 exactly like a case that does not exist. A user token
sees what its user sees: the user endpoints read through the stage apps' own `*_visible_to` policies.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Role
from accounts.roles import has_role, is_service
from cases import policies as case_policies
from cases import visibility
from cases.models import Case
from visits.models import Notice, Visit

from .models import ApiKey, UserToken

# Roles that work cases from a client (the field app, scripts); administrators use the Django admin.
TOKEN_ROLES = (Role.SUPERVISOR, Role.FIELD_AGENT, Role.COMPLIANCE_OFFICER)


def _perm(user: Any, perm: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active) and user.has_perm(perm)


def can_create_api_key(user: Any) -> bool:
    return is_service(user) or _perm(user, "api.add_apikey")


def can_revoke_api_key(user: Any) -> bool:
    return is_service(user) or _perm(user, "api.change_apikey")


def may_hold_token(user: Any) -> bool:
    return bool(user.is_active) and not is_service(user) and has_role(user, *TOKEN_ROLES)


def can_revoke_token(user: Any, token: UserToken) -> bool:
    """The token's own user (signing out) or an administrator."""
    return (
        token.user_id == getattr(user, "pk", None) or is_service(user) or _perm(user, "api.change_usertoken")
    )


def can_manage_webhooks(user: Any) -> bool:
    return is_service(user) or _perm(user, "api.change_webhookendpoint")


def can_retry_deliveries(user: Any) -> bool:
    return is_service(user) or _perm(user, "api.change_webhookdelivery")


# --- what a creditor key sees ---------------------------------------------------------------------


def cases_for_key(key: ApiKey) -> QuerySet[Case]:
    # The creditor scope of the one visibility policy (cases.visibility).
    return visibility.visible_to_key(key.creditor_id)


def visits_for_key(key: ApiKey) -> QuerySet[Visit]:
    return Visit.objects.filter(case__creditor_id=key.creditor_id)


# --- what a user sees beyond the stage apps' own policies ------------------------------------------


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    """A notice is seen by whoever sees its case (as on the notice pages)."""
    return Notice.objects.filter(visit__case_id__in=case_policies.cases_visible_to(user).values("pk"))
