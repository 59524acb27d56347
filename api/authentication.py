"""DRF authentication for the two kinds of API credentials (never the session, never a password).

`Authorization: Api-Key flk_…` is a creditor's key: the request acts as the service account, recorded
in the audit trail as `apikey:<id>` (compliance.audit.actor_ref), and sees only that creditor's cases
(api.policies.cases_for_key). `Authorization: Bearer flt_…` is a user's token: the request acts as that
user, with exactly the user's roles and object permissions; an inactive user's token stops working.
A missing credential is 401 with `WWW-Authenticate`; a wrong, revoked or expired one too.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.services import system_user

from . import services
from .models import ApiKey, Credential, UserToken
from .services.credentials import KEY_KIND, TOKEN_KIND


class CredentialAuthentication(BaseAuthentication):
    keyword = ""
    kind = ""
    model: type[Credential] = Credential

    def authenticate(self, request: Any) -> tuple[Any, Credential] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Send exactly one credential after %(keyword)s.") % {"keyword": self.keyword}
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        credential = services.credential_for(self.model, secret, kind=self.kind)
        if credential is None or not self.still_valid(credential):
            raise AuthenticationFailed(_("The credential is unknown, revoked or expired."))
        services.credential_touch(credential)
        return self.principal(credential), credential

    def authenticate_header(self, request: Any) -> str:
        return self.keyword

    def still_valid(self, credential: Any) -> bool:
        return True

    def principal(self, credential: Any) -> Any:
        raise NotImplementedError


def creditor_actor(key: ApiKey) -> Any:
    """The service account acting for `key`: a real user for history rows and foreign keys, recorded in
    the audit trail as `apikey:<id>`. A copy, so that the shared row never carries the marker."""
    actor = copy.copy(system_user())
    actor.audit_actor = f"apikey:{key.pk}"
    return actor


class ApiKeyAuthentication(CredentialAuthentication):
    keyword = "Api-Key"
    kind = KEY_KIND
    model = ApiKey

    def principal(self, credential: Any) -> Any:
        # Loaded only if a write needs an actor; reads never touch the service account.
        return SimpleLazyObject(lambda: creditor_actor(credential))


class UserTokenAuthentication(CredentialAuthentication):
    keyword = "Bearer"
    kind = TOKEN_KIND
    model = UserToken

    def still_valid(self, credential: Any) -> bool:
        return bool(credential.user.is_active)

    def principal(self, credential: Any) -> Any:
        return credential.user
