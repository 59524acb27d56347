"""Auth signals are the only hook Django gives for sign-in events (admin included); they call services."""

from typing import Any

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
