"""`manage.py api_key_create --creditor CODE --name NAME [--expires YYYY-MM-DD]`: print a new key once.

Thin: find the creditor, call `api_key_create` as the service account (audited as `api.key_created`),
print the secret on standard output and nothing else there (so that it can be piped into a vault).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import system_user
from api import services
from cases.models import Creditor
from common.errors import DomainError


class Command(BaseCommand):
    help = "Create a creditor API key and print it once (it is stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--creditor", required=True, help="Creditor code")
        parser.add_argument("--name", required=True, help="Which system uses the key, e.g. 'core banking'")
        parser.add_argument(
            "--expires", help="Last day the key works (YYYY-MM-DD, in TIME_ZONE); default: never"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        creditor = Creditor.objects.filter(code=options["creditor"]).first()
        if creditor is None:
            raise CommandError(f"Unknown creditor code: {options['creditor']}")
        expires_at = None
        if options["expires"]:
            try:
                day = dt.date.fromisoformat(options["expires"])
            except ValueError as error:
                raise CommandError("--expires must be a date, YYYY-MM-DD") from error
            expires_at = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(settings.TIME_ZONE)
            )
        try:
            issued = services.api_key_create(
                creditor=creditor, name=options["name"], expires_at=expires_at, actor=system_user()
            )
        except DomainError as error:
            raise CommandError("; ".join(f"{f.message} [{f.code}]" for f in error.failures)) from error
        key = issued.credential
        self.stderr.write(
            f"API key {key.pk} ({key.prefix}…) for {creditor.code}"
            + (f", valid until {options['expires']}" if expires_at else "")
            + ". It is shown only now:"
        )
        self.stdout.write(issued.secret)
