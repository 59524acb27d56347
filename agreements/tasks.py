"""Celery tasks of the agreements stage: thin wrappers of the scheduled services (each idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="agreements.tasks.send_payment_reminders")
def send_payment_reminders() -> list[int]:
    from .services import reminders_send

    return reminders_send()


@shared_task(name="agreements.tasks.schedule_follow_up_reviews")
def schedule_follow_up_reviews() -> list[int]:
    """The reviews of open follow-up plans due by today (FollowUp.review_every_days); idempotent."""
    from .services import reviews_schedule

    return reviews_schedule()


@shared_task(name="agreements.tasks.daily_follow_up")
def daily_follow_up() -> dict[str, list[int]]:
    """Overdue instalments, broken agreements, and promises kept or broken, in that order."""
    from .services import agreements_break, overdue_mark, promises_track

    return {"overdue": overdue_mark(), "broken": agreements_break(), "promises": promises_track()}
