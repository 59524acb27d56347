"""Creditor API keys and user tokens: made (the secret returned once), checked, touched, revoked.

A secret is `<kind>_<prefix>_<random>`: `flk_` for a creditor key, `flt_` for a user token; the prefix
(8 hex characters) finds the row, the SHA-256 of the whole secret is compared in constant time. The
random part has 256 bits, so a plain SHA-256 is enough (no slow password hash is needed). Every
creation and revocation is an audit event; the secret never is, nor its digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Creditor
from common.errors import SOURCE_ROLES, DomainError, Failure, PermissionRefused
from common.pii import digest
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import ApiKey, Credential, UserToken
from ._shared import now as _now

KEY_KIND = "flk"
TOKEN_KIND = "flt"  # noqa: S105 (a prefix, not a secret)
SOURCE_API = _("FieldLedger integration API (docs/api.md)")
# last_used_at is bookkeeping: written at most once a minute per credential, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)

C = TypeVar("C", bound=Credential)


@dataclass(frozen=True)
class Issued(Generic[C]):
    """A new credential and its secret: show the secret once; it is not stored anywhere."""

    credential: C
    secret: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(kind: str, model: type[Credential]) -> tuple[str, str]:
    while True:
        prefix = secrets.token_hex(4)
        if not model.objects.filter(prefix=prefix).exists():
            return prefix, f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"


def _parse(secret: str, kind: str) -> str | None:
    """The prefix of a well-formed secret of this kind, else None."""
    head, sep, rest = secret.partition("_")
    prefix, sep2, random_part = rest.partition("_")
    if head != kind or not sep or not sep2 or len(prefix) != 8 or len(random_part) < 32:
        return None
    return prefix


def credential_for(model: type[C], secret: str, *, kind: str, now: dt.datetime | None = None) -> C | None:
    """The usable credential this secret names (not revoked, not expired), else None."""
    prefix = _parse(secret, kind)
    if prefix is None:
        return None
    queryset = model.objects.filter(prefix=prefix)
    if model is UserToken:
        queryset = queryset.select_related("user")
    credential = queryset.first()
    if credential is None or not hmac.compare_digest(credential.digest, secret_digest(secret)):
        return None
    return credential if credential.usable_at(now or _now()) else None


def credential_touch(credential: Credential, *, now: dt.datetime | None = None) -> None:
    """Remember when the credential was last used (at most once a minute; no history, no audit)."""
    now = now or _now()
    if credential.last_used_at is None or now - credential.last_used_at >= TOUCH_EVERY:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now


def key_input_failures(*, name: str, expires_at: dt.datetime | None, now: dt.datetime) -> list[Failure]:
    """What is wrong with a new key's name and expiry (the service's check; the admin form shows it)."""
    failures = []
    if not (name or "").strip():
        failures.append(
            Failure("FIELD_REQUIRED", _("Name the system that will use the key."), SOURCE_API, "name")
        )
    if expires_at is not None and expires_at <= now:
        failures.append(
            Failure("EXPIRY_IN_PAST", _("The expiry must lie in the future."), SOURCE_API, "expires_at")
        )
    return failures


# --- creditor API keys -------------------------------------------------------------------------------


@refusals_recorded("api.key_created", subject="creditor", object_type="api.creditor")
@transaction.atomic
def api_key_create(
    *, creditor: Creditor, name: str, actor: Any, expires_at: dt.datetime | None = None
) -> Issued[ApiKey]:
    """A new API key for `creditor` (administrators, or the service account for `api_key_create`)."""
    if not policies.can_create_api_key(actor):
        raise PermissionRefused.because(_("Only administrators create API keys."))
    name = (name or "").strip()
    failures = key_input_failures(name=name, expires_at=expires_at, now=_now())
    if failures:
        raise DomainError(failures)
    prefix, secret = _new_secret(KEY_KIND, ApiKey)
    key = ApiKey(
        creditor=creditor,
        name=name[:120],
        prefix=prefix,
        digest=secret_digest(secret),
        expires_at=expires_at,
        created_by=actor if isinstance(actor, User) and not actor.is_service_account else None,
    )
    key.full_clean()
    key.save()
    audit.record(
        actor=actor,
        action="api.key_created",
        obj=key,
        data={"creditor": creditor.code, "prefix": prefix, "expires_at": expires_at},
    )
    return Issued(key, secret)


@refusals_recorded("api.key_revoked", subject="key", object_type="api.key")
@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Any) -> ApiKey:
    if not policies.can_revoke_api_key(actor):
        raise PermissionRefused.because(_("Only administrators revoke API keys."))
    key = ApiKey.objects.select_for_update().select_related("creditor").get(pk=key.pk)
    if key.revoked_at is not None:
        raise DomainError([Failure("ALREADY_REVOKED", _("This key is already revoked."), SOURCE_API, "key")])
    key.revoked_at = _now()
    key.revoked_by = actor if isinstance(actor, User) and not actor.is_service_account else None
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor=actor,
        action="api.key_revoked",
        obj=key,
        data={"creditor": key.creditor.code, "prefix": key.prefix},
    )
    return key


# --- user tokens ------------------------------------------------------------------------------------


@refusals_recorded("api.token_issued", subject="user", object_type="api.user")
@transaction.atomic
def user_token_issue(*, user: User, actor: Any, name: str = "", ip: str | None = None) -> Issued[UserToken]:
    """A token for a user whose password was just checked; it expires after API_TOKEN_TTL_HOURS."""
    if not policies.may_hold_token(user):
        raise DomainError(
            [
                Failure(
                    "PERMISSION_DENIED",
                    _("API tokens are for supervisors, field agents and compliance officers."),
                    SOURCE_ROLES,
                    "username",
                )
            ]
        )
    now = _now()
    prefix, secret = _new_secret(TOKEN_KIND, UserToken)
    token = UserToken(
        user=user,
        name=(name or "").strip()[:120],
        prefix=prefix,
        digest=secret_digest(secret),
        expires_at=now + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    token.full_clean()
    token.save()
    audit.record(
        actor=actor,
        action="api.token_issued",
        obj=token,
        data={
            "user": user.pk,
            "prefix": prefix,
            "expires_at": token.expires_at,
            "ip_digest": digest(ip, kind="ip") if ip else None,
        },
    )
    return Issued(token, secret)


@refusals_recorded("api.token_revoked", subject="token", object_type="api.token")
@transaction.atomic
def user_token_revoke(*, token: UserToken, actor: Any) -> UserToken:
    """Sign a token out: by its user (logout) or by an administrator (in the admin)."""
    if not policies.can_revoke_token(actor, token):
        raise PermissionRefused.because(_("Only the token's user or an administrator revokes it."))
    token = UserToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise DomainError(
            [Failure("ALREADY_REVOKED", _("This token is already revoked."), SOURCE_API, "token")]
        )
    token.revoked_at = _now()
    token.revoked_by = actor if isinstance(actor, User) and not actor.is_service_account else None
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor=actor,
        action="api.token_revoked",
        obj=token,
        data={
            "user": token.user_id,
            "prefix": token.prefix,
            "by": "user" if actor.pk == token.user_id else "administrator",
        },
    )
    return token
