"""The audit trail as compliance officers see it (the full workspace comes with the compliance issue)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit, policies, selectors


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def audit_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_audit(request.user):
        raise Http404
    action = request.GET.get("action", "").strip()[:64]
    case_id = _int(request.GET.get("case"))
    events = selectors.audit_page(before_seq=_int(request.GET.get("before")), action=action, case_id=case_id)
    next_before = events[-1].seq if len(events) == 50 else None
    return render(
        request,
        "compliance/audit_list.html",
        {
            "events": events,
            "action": action,
            "case_id": case_id or "",
            "next_before": next_before,
            "head": selectors.chain_head(),
        },
    )


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_audit(request.user):
        raise Http404
    result = audit.verify_chain()
    audit.record(
        actor=request.user,
        action="audit.verified",
        object_type="compliance.auditevent",
        object_id="chain",
        data={"ok": result.ok, "count": result.count, "bad_seq": result.bad_seq},
    )
    if result.ok:
        messages.success(
            request,
            _("Chain verified: %(n)d events, head %(h)s.") % {"n": result.count, "h": result.head_hash},
        )
    else:
        messages.error(
            request,
            _("Chain broken at seq %(seq)s: %(reason)s") % {"seq": result.bad_seq, "reason": result.reason},
        )
    return redirect("compliance:audit-list")


def complaint_list(request: HttpRequest) -> HttpResponse:
    """Complaints for the compliance officer (e.g. "this visit is not expected" from the public page)."""
    if not policies.can_view_complaints(request.user):
        raise Http404
    status = request.GET.get("status", "open")
    return render(
        request,
        "compliance/complaint_list.html",
        {"complaints": selectors.complaint_page(status=status), "status": status},
    )
