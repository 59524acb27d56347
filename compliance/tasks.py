"""Celery tasks of the compliance floor: thin wrappers around its services.

Beat (config/settings/base.py): `verify_audit_chain` nightly, `flag_overdue_complaints` hourly,
`anonymize_expired_cases` nightly. On request: `run_audit_export` (queued by the export page after
commit) and `email_alert` (after an alert is raised). Each is safe to run twice.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from . import audit

logger = logging.getLogger("fieldledger.audit")


@shared_task(name="compliance.tasks.verify_audit_chain")
def verify_audit_chain() -> dict[str, Any]:
    """Nightly (beat) walk of the whole chain; a break is logged, raises an alert (dashboard and
    e-mail to the compliance officers) and is returned."""
    from .alerts import chain_break_alert

    result = audit.verify_chain()
    if not result.ok:
        logger.error("audit chain broken at seq %s: %s", result.bad_seq, result.reason)
        chain_break_alert(result)
    return {
        "ok": result.ok,
        "count": result.count,
        "head": result.head_hash,
        "bad_seq": result.bad_seq,
        "reason": result.reason,
    }


@shared_task(name="compliance.tasks.email_alert")
def email_alert(alert_id: int) -> int:
    from .alerts import alert_email

    return alert_email(alert_id=alert_id)


@shared_task(name="compliance.tasks.run_audit_export")
def run_audit_export(export_id: int) -> str:
    from .exports import export_run

    export = export_run(export_id=export_id)
    return export.status if export is not None else "skipped"


@shared_task(name="compliance.tasks.flag_overdue_complaints")
def flag_overdue_complaints() -> list[int]:
    from .complaints import complaints_flag_overdue

    return complaints_flag_overdue()


@shared_task(name="compliance.tasks.anonymize_expired_cases")
def anonymize_expired_cases() -> list[int]:
    from .retention import anonymize_due

    return anonymize_due()


@shared_task(name="compliance.tasks.requeue_stuck_exports")
def requeue_stuck_exports() -> list[int]:
    """Beat: audit exports queued (or running on a dead worker) for too long are handed over again."""
    from .exports import exports_requeue_stuck

    return exports_requeue_stuck()
