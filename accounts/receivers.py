"""Auth signals are the only hook Django gives for sign-in events (admin included); they call services.

django-axes adds `user_locked_out`, sent when a username + address pair reaches the failure limit and
again for every attempt refused while it is locked; only the first is a new lockout to record.
"""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="fieldledger_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.login_recorded(user=user, ip=_ip(request))


@receiver(user_logged_out, dispatch_uid="fieldledger_logout")
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.logout_recorded(user=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="fieldledger_login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    services.login_failed_recorded(username=str(credentials.get("username", "")), ip=_ip(request))


@receiver(user_locked_out, dispatch_uid="fieldledger_locked_out")
def on_locked_out(sender: Any, request: Any, username: Any, ip_address: Any, **kwargs: Any) -> None:
    # axes counts the failure (and sets axes_failures_since_start) only on the attempt that reaches the
    # limit; an attempt refused during the lockout is not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
    # LOCKOUT = False) and is already recorded as auth.login_failed.
    if request is not None and getattr(request, "axes_failures_since_start", None) is not None:
        services.login_locked_out_recorded(username=str(username or ""), ip=ip_address)
