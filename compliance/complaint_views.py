"""Complaints and disputes as the compliance officer sees them: the list with its deadlines, one
complaint's detail, and its acknowledgement. Recording and resolving change cases (a dispute's hold),
so those pages are the cases app's (`cases:complaint-record`, `cases:complaint-resolve`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_refusal

from . import complaints, forms, policies, registry, selectors
from .models import AuditEvent, Complaint

PAGE = 200


def complaint_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_complaints(request.user):
        raise Http404
    form = forms.ComplaintFilterForm(request.GET or {"status": "open"})
    data = form.cleaned_data if form.is_valid() else {"status": "open"}
    now = timezone.now()
    rows: list[Complaint] = list(
        selectors.complaints(
            status=data.get("status") or "open",
            kind=data.get("kind") or "",
            channel=data.get("channel") or "",
            case_id=data.get("case"),
            overdue_at=now if data.get("overdue") else None,
        )[:PAGE]
    )
    labels = registry.case_directory().labels(c.case_id for c in rows if c.case_id)
    return render(
        request,
        "compliance/complaint_list.html",
        {
            "form": form,
            "complaints": rows,
            "rows": [(c, labels.get(c.case_id, "")) for c in rows],
            "status": data.get("status") or "open",
            "now": now,
            "can_record": policies.can_record_complaints(request.user),
            "page_size": PAGE,
        },
    )


def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not policies.can_view_complaints(request.user):
        raise Http404
    complaint = get_object_or_404(
        Complaint.objects.select_related("recorded_by", "acknowledged_by", "resolved_by", "pack"), pk=pk
    )
    events = list(
        AuditEvent.objects.filter(object_type="compliance.complaint", object_id=str(complaint.pk)).order_by(
            "seq"
        )
    )
    users = selectors.people([*selectors.actor_ids(events), complaint.agent_id])
    labels = registry.case_directory().labels([complaint.case_id]) if complaint.case_id else {}
    return render(
        request,
        "compliance/complaint_detail.html",
        {
            "complaint": complaint,
            "events": [(e, users.get(e.actor_user_id)) for e in events],
            "agent": users.get(complaint.agent_id),
            "case_label": labels.get(complaint.case_id, ""),
            "now": timezone.now(),
            "can_resolve": policies.can_resolve_complaints(request.user) and complaint.is_open,
            "outcomes": Complaint.Outcome.choices,
        },
    )


@require_POST
def complaint_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    if not policies.can_view_complaints(request.user):
        raise Http404
    complaint = get_object_or_404(Complaint, pk=pk)
    try:
        complaints.complaint_acknowledge(complaint=complaint, actor=request.user)
        messages.success(request, _("Acknowledged."))
    except DomainError as error:
        report_refusal(request, error)
    return redirect("compliance:complaint-detail", pk=complaint.pk)
