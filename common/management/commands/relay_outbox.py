"""`manage.py relay_outbox [--all] [--loop SECONDS]`: publish the outbox's pending tasks (common/outbox.py).

The beat task `common.tasks.relay_outbox` does the same every minute; this command is for an operator
after a broker outage (`--all` does not wait for the after-commit attempt's 30 s) or for a deployment
without beat (`--loop 30`)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.outbox import RELAY_AFTER, outbox_relay


class Command(BaseCommand):
    help = "Publish the outbox's pending tasks to the broker (what a broker outage held back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Also the messages younger than 30 s")
        parser.add_argument("--loop", type=int, default=0, help="Run again every N seconds until stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = dt.timedelta(0) if options["all"] else RELAY_AFTER
        while True:
            result = outbox_relay(older_than=older_than)
            self.stdout.write(
                f"published {result['published']} of {result['candidates']}; "
                f"pending for over 10 minutes: {result['stuck']}"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
