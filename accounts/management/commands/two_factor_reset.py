"""Remove a user's second-factor devices (a lost phone): they set up a new authenticator at the next
sign-in. Audited as auth.2fa_reset; the same as the admin's "Reset two-factor sign-in" action."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import system_user
from accounts.two_factor import two_factor_reset
from common.errors import DomainError


class Command(BaseCommand):
    help = "Reset a user's two-factor sign-in (TOTP app and backup codes); audited as auth.2fa_reset."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        try:
            removed = two_factor_reset(user=user, actor=system_user())
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"removed {removed} two-factor device(s) of {user.username}")
