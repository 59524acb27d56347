"""Lift a sign-in lockout (django-axes) before it runs out: by username, address, or both. Audited."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.services import login_lockout_reset, system_user
from common.errors import DomainError


class Command(BaseCommand):
    help = "Lift the sign-in lockout of a username and/or an IP address (audited as auth.lockout_reset)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="", help="the username that is locked out")
        parser.add_argument("--ip", default="", help="the client address that is locked out")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            removed = login_lockout_reset(actor=system_user(), username=options["username"], ip=options["ip"])
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"lifted {removed} lockout record(s)")
