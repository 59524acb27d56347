"""Deploy checks of the messaging setup (`manage.py check --deploy`).

A simulated SMS gateway (visits.sms.FileBackend, ConsoleBackend) or an e-mail backend that delivers
nothing (console, file, locmem, dummy) would make a notice look "sent" and start its lead time while
nobody was told: under `--deploy` each is an error, unless `ALLOW_SIMULATED_MESSAGING=1` says this is a
staging system on purpose. A real gateway that lacks its credentials or receipt URL is an error too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

SIMULATED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.security, deploy=True)
def messaging_is_real(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from . import sms

    errors: list[Error] = []
    allowed = bool(getattr(settings, "ALLOW_SIMULATED_MESSAGING", False))
    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError as error:
        return [Error(f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported: {error}", id="visits.E011")]
    if getattr(backend, "simulated", False) and not allowed:
        errors.append(
            Error(
                f"SMS_BACKEND is {settings.SMS_BACKEND}, which only simulates a gateway: no debtor would "
                "receive a notice, yet its lead time would start.",
                hint="Set SMS_BACKEND=visits.sms.GatewayBackend with the gateways' credentials (README, "
                "'SMS gateways'), or ALLOW_SIMULATED_MESSAGING=1 on a staging system only.",
                id="visits.E010",
            )
        )
    for problem in sms.configuration_problems(backend):
        errors.append(Error(problem, hint="See README, 'SMS gateways'.", id="visits.E012"))
    if settings.EMAIL_BACKEND in SIMULATED_EMAIL_BACKENDS and not allowed:
        errors.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which sends no e-mail.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST & co., "
                "or ALLOW_SIMULATED_MESSAGING=1 on a staging system only.",
                id="visits.E013",
            )
        )
    return errors
