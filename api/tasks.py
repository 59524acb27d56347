"""Celery tasks of the integration API: thin wrappers around api.services (outbox, webhooks).

`scan_stage_changes` (beat, every minute, and kicked after an API action) records the stage changes and
queues their deliveries; `deliver_webhook` tries one delivery and retries it with backoff;
`deliver_due_webhooks` (beat, every minute) re-queues pending deliveries whose retry is due, so a retry
lost with a worker is sent anyway. Each is safe to run twice (see the services).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction


def queue_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id=delivery_id)


@shared_task(name="api.tasks.scan_stage_changes")
def scan_stage_changes() -> dict[str, Any]:
    from .services import stage_changes_scan

    result = stage_changes_scan()
    queue_deliveries(result.deliveries)
    return {"events": result.events, "changes": len(result.changes), "deliveries": len(result.deliveries)}


@shared_task(bind=True, name="api.tasks.deliver_webhook", max_retries=None)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    """One try now; on failure the task comes back after the backoff the service chose. Eager runs (no
    broker, the demo) do not wait in-process: the beat sweep picks the retry up when it is due."""
    from .services import webhook_deliver

    outcome = webhook_deliver(delivery_id=delivery_id)
    if outcome.status == "retry" and outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="api.tasks.deliver_due_webhooks")
def deliver_due_webhooks() -> list[int]:
    from .services import webhook_deliveries_due

    due = webhook_deliveries_due()
    queue_deliveries(due)
    return due


def kick_outbox() -> None:
    """After an API action commits: look for its stage change now rather than at the next beat."""
    transaction.on_commit(lambda: scan_stage_changes.delay(), robust=True)
