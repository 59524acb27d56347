from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from compliance import registry

        from . import (
            receivers,  # noqa: F401  (login / failed-login audit events)
            roles,
        )
        from .roles import sync_role_permissions

        registry.set_role_reader(roles)  # the document policy's roles (compliance never imports accounts)

        post_migrate.connect(sync_role_permissions, dispatch_uid="fieldledger_sync_roles")
        _hide_otp_device_admins()


def _hide_otp_device_admins() -> None:
    """django-otp's admin pages list the TOTP keys and backup codes; administrators reset a user's
    second factor from the user list instead (an audited action), and never see a secret."""
    from django.contrib import admin
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
