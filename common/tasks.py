"""Celery tasks of the outbox (common/outbox.py): the relay (beat, every minute) and the purge (daily)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="common.tasks.relay_outbox")
def relay_outbox() -> dict[str, int]:
    from .outbox import outbox_relay

    return outbox_relay()


@shared_task(name="common.tasks.purge_outbox")
def purge_outbox() -> int:
    from .outbox import outbox_purge

    return outbox_purge()
