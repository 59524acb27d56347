"""The transactional outbox: the one way to hand a side effect (a Celery task) over from a service.

`outbox_enqueue(task="visits.tasks.send_notice", notice_id=7)` inside the service's transaction writes an
`OutboxMessage` with the state that needs it: both commit, or neither. After the commit one attempt is
made to publish it (`transaction.on_commit`); a broker that cannot be reached leaves it `pending` and the
request still succeeds (the page says "queued"). The relay (`outbox_relay`: beat task
`common.tasks.relay_outbox` every minute, and `manage.py relay_outbox`) publishes what is still pending,
oldest first, so a broker outage delays a task and loses none.

A message may be published twice (the after-commit attempt and the relay racing, or a publish whose
confirmation was lost): every task handed over this way is idempotent, as every task here must be. The
workers run with `acks_late` (config/settings/base.py), so a task whose worker dies is delivered again.

Without a broker (the embedded demo, tests: `CELERY_TASK_ALWAYS_EAGER`) publishing runs the task in
process after the commit, as before; its exceptions propagate.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger("fieldledger.outbox")

# The relay leaves a fresh message to its own after-commit attempt for this long.
RELAY_AFTER = dt.timedelta(seconds=30)
RELAY_BATCH = 500
# A message pending for longer than this is logged as an error on every relay run (the broker is down).
STUCK_AFTER = dt.timedelta(minutes=10)


def outbox_enqueue(*, task: str, **kwargs: Any) -> OutboxMessage:
    """Record `task(**kwargs)` in the current transaction and publish it after commit.

    `kwargs` must be JSON (ids, not objects) and carry no personal data: they are stored and sent to
    the broker as they are."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, created_at=timezone.now())
    message_id = message.pk
    transaction.on_commit(lambda: outbox_publish(message_id=message_id))
    return message


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    errors: tuple[type[BaseException], ...] = (OperationalError, OSError, TimeoutError)
    try:
        import redis.exceptions

        errors += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return errors


def outbox_publish(*, message_id: int) -> bool:
    """Publish one pending message; True when the broker took it (or it ran, eagerly). A broker error
    is logged and leaves it pending for the relay; it never reaches the caller."""
    from celery import current_app as app  # the project's app (config/celery.py), without importing config

    message = OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).first()
    if message is None:
        return False  # published already (by the relay or the other attempt)
    task = _task(app, message.task)
    if task is None:
        _failed(message, f"unknown task {message.task}")
        logger.error("outbox message %s names an unknown task %s", message.pk, message.task)
        return False
    if app.conf.task_always_eager:
        # In process: mark it first, so a task that fails is not run again by the relay (as before).
        _published(message)
        task.apply_async(kwargs=message.kwargs)
        return True
    try:
        task.apply_async(
            kwargs=message.kwargs, task_id=f"outbox-{message.pk}-{message.attempts + 1}", retry=False
        )
    except _broker_errors() as error:
        _failed(message, f"{type(error).__name__}: {error}")
        logger.warning(
            "outbox message %s (%s) not published, left for the relay: %s", message.pk, message.task, error
        )
        return False
    _published(message)
    return True


def _task(app: Any, name: str) -> Any:
    """The registered task `name`; its module imported first if nothing imported it yet (tasks are
    registered when their module is imported: the web process imports few of them)."""
    if name not in app.tasks:
        try:
            importlib.import_module(name.rsplit(".", 1)[0])
        except ImportError:
            return None
    return app.tasks.get(name)


def _published(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PUBLISHED, published_at=timezone.now(), attempts=F("attempts") + 1
    )


def _failed(message: OutboxMessage, error: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1, last_error=error[:300])


def outbox_relay(*, older_than: dt.timedelta = RELAY_AFTER, limit: int = RELAY_BATCH) -> dict[str, int]:
    """Publish the pending messages older than `older_than`, oldest first; stops at the first broker
    error (the rest would fail alike). Safe to run concurrently: a message published twice runs an
    idempotent task twice."""
    now = timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    ids = list(
        pending.filter(created_at__lte=now - older_than)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for message_id in ids:
        if not outbox_publish(message_id=message_id):
            if OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).exists():
                break
            continue
        published += 1
    stuck = pending.filter(created_at__lte=now - STUCK_AFTER).count()
    if stuck:
        logger.error("outbox: %s message(s) pending for more than %s (is the broker up?)", stuck, STUCK_AFTER)
    return {"candidates": len(ids), "published": published, "stuck": stuck}


def outbox_pending(*, task: str, **kwargs: Any) -> bool:
    """Whether a message for `task(**kwargs)` is still waiting to be published (the reconcilers use it
    not to queue again what the relay will publish anyway)."""
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, task=task, kwargs=kwargs
    ).exists()


def outbox_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete published messages older than `older_than` (default OUTBOX_KEEP_DAYS, 7 days)."""
    keep = older_than or dt.timedelta(days=getattr(settings, "OUTBOX_KEEP_DAYS", 7))
    deleted, _ = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PUBLISHED, published_at__lt=timezone.now() - keep
    ).delete()
    return deleted
