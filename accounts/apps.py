from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401  (login / failed-login audit events)
        from .roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="fieldledger_sync_roles")
