"""Celery tasks of the compliance floor: thin wrappers around audit functions."""

from typing import Any

from celery import shared_task

from . import audit


@shared_task(name="compliance.tasks.verify_audit_chain")
def verify_audit_chain() -> dict[str, Any]:
    """Nightly (beat) walk of the whole chain; a break is logged as an error and returned."""
    import logging

    result = audit.verify_chain()
    if not result.ok:
        logging.getLogger("fieldledger.audit").error(
            "audit chain broken at seq %s: %s", result.bad_seq, result.reason
        )
    return {
        "ok": result.ok,
        "count": result.count,
        "head": result.head_hash,
        "bad_seq": result.bad_seq,
        "reason": result.reason,
    }
