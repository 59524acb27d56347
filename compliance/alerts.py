"""Alerts for compliance officers: raised by the checks (audit chain, complaint deadlines), shown on the
dashboard, e-mailed to every active compliance officer (after commit), acknowledged with a note.

One alert per (kind, key): a nightly or hourly check that finds the same problem again raises nothing
new. Raising and acknowledging are audit events (`alert.raised`, `alert.acknowledged`); e-mails carry
references and a link, never personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused
from common.outbox import outbox_enqueue
from common.pii import digest

from . import audit, policies
from .models import Alert

logger = logging.getLogger("fieldledger.compliance")
SOURCE_ALERTS = _("FieldLedger compliance alerts")
COMPLIANCE_ROLE = "compliance_officer"  # accounts.models.Role.COMPLIANCE_OFFICER (a group name)


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    key: str,
    data: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    case_id: int | None = None,
    now: dt.datetime | None = None,
) -> Alert | None:
    """Raise the alert (kind, key) unless it exists; None when it was raised before."""
    if Alert.objects.filter(kind=kind, key=key).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                key=key[:64],
                raised_at=now or timezone.now(),
                object_type=object_type,
                object_id=object_id,
                data=data or {},
            )
    except IntegrityError:  # raised by a concurrent run a moment ago
        return None
    audit.record(
        actor=None,
        action="alert.raised",
        obj=alert,
        case_id=case_id,
        data={"kind": kind, "key": key, "subject": f"{object_type}:{object_id}", **(data or {})},
    )
    outbox_enqueue(task="compliance.tasks.email_alert", alert_id=alert.pk)
    return alert


def officers_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=COMPLIANCE_ROLE).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def alert_email(*, alert_id: int) -> int:
    """E-mail the alert to every active compliance officer; the number of messages sent."""
    alert = Alert.objects.get(pk=alert_id)
    to = officers_emails()
    if not to:
        logger.warning("alert %s: no compliance officer has an e-mail address", alert.pk)
        return 0
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("compliance:dashboard")
    subject = f"[FieldLedger] {alert.get_kind_display()} ({alert.key})"
    details = "\n".join(f"  {k}: {v}" for k, v in sorted(alert.data.items()))
    body = (
        f"{alert.get_kind_display()}\n"
        f"Raised at {audit.format_at(alert.raised_at)} (alert #{alert.pk}, key {alert.key}).\n"
        f"{details}\n\n"
        f"Open the compliance dashboard to review and acknowledge it:\n{link}\n"
    )
    # One message per officer: no officer sees the others' addresses.
    return sum(EmailMessage(subject=subject, body=body, to=[address]).send() for address in to)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: Any, note: str, now: dt.datetime | None = None) -> Alert:
    if not policies.can_acknowledge_alerts(actor):
        raise PermissionRefused.because(_("Only a compliance officer may acknowledge alerts."))
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    note = (note or "").strip()
    problems = []
    if alert.acknowledged_at is not None:
        problems.append(
            Failure("ALERT_ALREADY_ACKNOWLEDGED", _("This alert was acknowledged already."), SOURCE_ALERTS)
        )
    if len(note) < 5:
        problems.append(
            Failure(
                "ALERT_NOTE_REQUIRED",
                _("Write what was done about it (at least 5 characters)."),
                SOURCE_ALERTS,
                "note",
            )
        )
    if problems:
        raise DomainError(problems)
    alert.acknowledged_at, alert.acknowledged_by, alert.note = now or timezone.now(), actor, note
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
    audit.record(
        actor=actor,
        action="alert.acknowledged",
        obj=alert,
        data={"kind": alert.kind, "key": alert.key, "note_digest": digest(note, kind="note")},
    )
    return alert


def chain_break_alert(result: audit.VerifyResult) -> Alert | None:
    """A broken chain (from the nightly task or the audit page): one alert per first bad seq."""
    if result.ok:
        return None
    return alert_raise(
        kind=Alert.Kind.CHAIN_BROKEN,
        key=f"seq:{result.bad_seq}",
        object_type="compliance.auditevent",
        object_id=str(result.bad_seq),
        data={"bad_seq": result.bad_seq, "reason": result.reason, "verified_count": result.count},
    )
