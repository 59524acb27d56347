"""Celery tasks of visits: thin wrappers around the services (sending notices, beat jobs).

Every task is safe to run twice: `send_notice` locks the notice and sends only a queued one; the beat
jobs mark what they did in the audit trail and skip what is already marked.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .sms import TemporaryError


@shared_task(
    bind=True,
    name="visits.tasks.send_notice",
    autoretry_for=(TemporaryError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def send_notice(self: Any, notice_id: int) -> str:
    """Send a queued SMS/email notice; a retried or duplicated run never sends twice."""
    from .services import notice_send

    final = self.request.retries >= (self.max_retries or 0)
    return str(notice_send(notice_id=notice_id, final_attempt=final).delivery_status)


@shared_task(name="visits.tasks.notify_supervisor_of_refusal")
def notify_supervisor_of_refusal(notice_id: int) -> int:
    from .services import notify_supervisor_of_refusal as notify

    return notify(notice_id=notice_id)


@shared_task(name="visits.tasks.remind_agents")
def remind_agents() -> list[list[Any]]:
    from .services import visit_reminders_send

    return [list(item) for item in visit_reminders_send()]


@shared_task(name="visits.tasks.expire_unapproved_plans")
def expire_unapproved_plans() -> list[int]:
    from .services import visit_plans_expire

    return visit_plans_expire()


@shared_task(name="visits.tasks.flag_notice_lead_time_at_risk")
def flag_notice_lead_time_at_risk() -> list[int]:
    from .services import notice_lead_time_flag

    return notice_lead_time_flag()


@shared_task(name="visits.tasks.notify_log_submitted")
def notify_log_submitted(visit_id: int) -> int:
    from .services import notify_log_submitted as notify

    return notify(visit_id=visit_id)


@shared_task(name="visits.tasks.pull_sms_receipts")
def pull_sms_receipts() -> list[list[Any]]:
    """Delivery receipts that are pulled (Aliyun QuerySendDetails); Twilio pushes its own."""
    from .services import sms_receipts_pull

    return [list(item) for item in sms_receipts_pull()]


@shared_task(name="visits.tasks.requeue_stuck_notices")
def requeue_stuck_notices() -> list[int]:
    """Beat: notices still queued long after they were recorded are handed over again."""
    from .services import notices_requeue_stuck

    return notices_requeue_stuck()
