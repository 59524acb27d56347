"""Two-factor authentication (django-otp): a TOTP authenticator and one-time backup codes.

Required of the roles in TWO_FACTOR_ROLES (accounts.policies.requires_two_factor), enforced for pages
by accounts.middleware.TwoFactorRequiredMiddleware and for API tokens by api.views.auth. Every write
records its audit event in the same transaction; the secrets (the TOTP key, the codes) never reach the
audit trail or a log. A wrong code is throttled by django-otp (each failure doubles the wait before the
next try, OTP_TOTP_THROTTLE_FACTOR) and recorded as `auth.2fa_verified.refused`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.errors import DomainError, Failure, PermissionRefused
from common.pii import digest
from compliance import audit

from . import policies
from .models import User

SOURCE_2FA = _("FieldLedger two-factor authentication (SECURITY.md)")
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    backup_codes: list[str]


def _failure(code: str, message: Any, field: str = "code") -> DomainError:
    return DomainError([Failure(code, message, SOURCE_2FA, field)])


def _refused(action: str, user: User, error: DomainError, **data: Any) -> None:
    audit.record(actor=user, action=f"{action}.refused", obj=user, data={"codes": error.codes, **data})


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()


@transaction.atomic
def totp_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up (unconfirmed): the same key on every reload of the page, until a
    code from it confirms it. Recorded once, when the key is made."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
        audit.record(actor=user, action="auth.2fa_enrolment_started", obj=user, data={"device": device.pk})
    return device


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def two_factor_enrol(*, user: User, code: str) -> Enrolled:
    """Confirm the pending authenticator with a code it shows; make the backup codes (returned once)."""
    try:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=user.pk)
            if is_enrolled(user):
                raise _failure(
                    "TWO_FACTOR_ALREADY_ENROLLED",
                    _("An authenticator is already set up; an administrator can reset it."),
                )
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=False)
                .order_by("pk")
                .first()
            )
            if device is None:
                raise _failure("TWO_FACTOR_NOT_STARTED", _("Open the set-up page again to get a new key."))
            if not device.verify_token(_clean(code)):
                raise _failure(
                    "OTP_INVALID", _("The code does not match: type the six digits the app shows now.")
                )
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _new_backup_codes(user)
            audit.record(
                actor=user,
                action="auth.2fa_enrolled",
                obj=user,
                data={"device": device.pk, "backup_codes": len(codes)},
            )
    except DomainError as error:
        _refused("auth.2fa_enrolled", user, error)
        raise
    return Enrolled(device, codes)


def _throttled_wait(devices: list[Device]) -> int | None:
    """Seconds to wait when every device refuses to verify for now (django-otp's throttling)."""
    waits = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return None
        locked_until = (info or {}).get("locked_until")
        waits.append(max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 1)
    return min(waits) if waits else None


def two_factor_verify(*, user: User, code: str, ip: str | None = None, via: str = "web") -> Device:
    """The device that accepts `code` (the authenticator's current code or an unused backup code, which
    is then spent). A wrong code counts against django-otp's throttle and is recorded as a refusal."""
    code = _clean(code)
    error: DomainError | None = None
    with transaction.atomic():
        devices: list[Device] = [
            *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"),
            *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"),
        ]
        # Six digits are the authenticator's; anything else can only be a backup code. Each code is
        # tried on its own kind only, so a backup code never counts as a wrong authenticator code.
        kind_of_code = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
        candidates = [d for d in devices if isinstance(d, kind_of_code)]
        if not any(isinstance(d, TOTPDevice) for d in devices):
            error = _failure(
                "TWO_FACTOR_NOT_ENROLLED", _("Set up an authenticator app first (sign in on the web site).")
            )
        elif (wait := _throttled_wait(candidates)) is not None:
            error = _failure(
                "OTP_THROTTLED",
                _("Too many wrong codes: wait %(seconds)d seconds before the next try.") % {"seconds": wait},
            )
        else:
            matched = next((d for d in candidates if code and d.verify_token(code)), None)
            if matched is None:
                error = _failure("OTP_INVALID", _("The code is wrong or was already used."))
            else:
                kind = "backup_code" if isinstance(matched, StaticDevice) else "totp"
                audit.record(
                    actor=user,
                    action="auth.2fa_verified",
                    obj=user,
                    data={
                        "device": kind,
                        "backup_codes_left": backup_codes_left(user) if kind == "backup_code" else None,
                        "via": via,
                        "ip_digest": digest(ip, kind="ip") if ip else None,
                    },
                )
                return matched
    # Outside the block: the throttle counters django-otp raised stay committed with the refusal.
    if error is None:  # pragma: no cover - every path above returns or sets it
        raise RuntimeError("two_factor_verify: no device matched and no refusal was set")
    _refused("auth.2fa_verified", user, error, via=via, ip_digest=digest(ip, kind="ip") if ip else None)
    raise error


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """A fresh set of backup codes (the old ones stop working), shown once."""
    if not is_enrolled(user):
        raise _failure("TWO_FACTOR_NOT_ENROLLED", _("Set up an authenticator app first."))
    codes = _new_backup_codes(user)
    audit.record(
        actor=user, action="auth.backup_codes_regenerated", obj=user, data={"backup_codes": len(codes)}
    )
    return codes


def two_factor_reset(*, user: User, actor: Any) -> int:
    """Remove every second-factor device of `user` (a lost phone): they set up a new one at the next
    sign-in. Administrators only, never on themselves; recorded with the number of devices removed."""
    try:
        with transaction.atomic():
            if not policies.can_reset_two_factor(actor, user):
                raise PermissionRefused.because(
                    _("Only an administrator resets another user's two-factor devices.")
                )
            removed = 0
            for model in (TOTPDevice, StaticDevice):
                devices = model.objects.filter(user=user)
                removed += devices.count()
                devices.delete()
            audit.record(actor=actor, action="auth.2fa_reset", obj=user, data={"devices_removed": removed})
            return removed
    except DomainError as error:
        audit.record(actor=actor, action="auth.2fa_reset.refused", obj=user, data={"codes": error.codes})
        raise
