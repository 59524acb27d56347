"""Reads on the audit trail: keyset pagination by seq, so deep pages cost the same as the first."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent, Complaint


def audit_page(
    *, before_seq: int | None = None, action: str = "", case_id: int | None = None, size: int = 50
) -> list[AuditEvent]:
    qs: QuerySet[AuditEvent] = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action__startswith=action)
    if case_id:
        qs = qs.filter(case_id=case_id)
    if before_seq:
        qs = qs.filter(seq__lt=before_seq)
    return list(qs.order_by("-seq")[:size])


def chain_head() -> AuditEvent | None:
    return AuditEvent.objects.order_by("-seq").first()


def complaint_page(*, status: str = "", size: int = 100) -> list[Complaint]:
    qs = Complaint.objects.all()
    if status in Complaint.Status.values:
        qs = qs.filter(status=status)
    return list(qs.order_by("-created_at", "-pk")[:size])
