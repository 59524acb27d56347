"""The compliance officer's workspace: the dashboard, the audit search (with exports and chain
verification) and alerts. Thin: parse, call one service or selector, render or redirect. Anyone without
the right gets 404 (compliance/policies.py). The other pages are in export_views, complaint_views,
report_views, retention_views and pack_views.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors, report_refusal

from . import alerts, audit, forms, packs, policies, registry, search, selectors
from .models import Alert


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def dashboard(request: HttpRequest) -> HttpResponse:
    """`/compliance/`: open alerts, open complaints and disputes by deadline, recent exports, links."""
    _require(policies.can_view_workspace(request.user))
    now = timezone.now()
    complaints = selectors.open_complaints_by_deadline()
    labels = registry.case_directory().labels(c.case_id for c in complaints if c.case_id)
    return render(
        request,
        "compliance/dashboard.html",
        {
            "alerts": selectors.alerts(open_only=True),
            "complaints": [(c, labels.get(c.case_id, "")) for c in complaints],
            "exports": selectors.recent_exports(size=5),
            "head": selectors.chain_head(),
            "now": now,
            "ack_form": forms.AlertAcknowledgeForm(),
            "can_acknowledge": policies.can_acknowledge_alerts(request.user),
            "pack_changes": packs.pending_changes() if policies.can_view_packs(request.user) else [],
        },
    )


def audit_list(request: HttpRequest) -> HttpResponse:
    """Search the trail (case, debtor reference, actor, action, rule code, UTC dates), newest first,
    keyset-paginated on seq; export the result; look a debtor up by document number (posted)."""
    _require(policies.can_view_audit(request.user))
    if request.method == "POST":
        return _debtor_lookup(request)
    form = forms.AuditSearchForm(request.GET or None)
    f = form.filter()
    result = search.page(f, before=_int(request.GET.get("before")), after=_int(request.GET.get("after")))
    users = selectors.people(selectors.actor_ids(result.events))
    query = urlencode(f.query_string())
    return render(
        request,
        "compliance/audit_list.html",
        {
            "form": form,
            "filter": f,
            "events": result.events,
            "rows": selectors.audit_rows(result.events, users),
            "older": result.older,
            "newer": result.newer,
            "query": query,
            "next_before": result.older,
            "head": selectors.chain_head(),
            "lookup_form": forms.DebtorLookupForm(),
            "export_form": forms.ExportForm(initial={**f.query_string(), "formats": ["jsonl"]}),
            "can_export": policies.can_export_audit(request.user),
        },
    )


def _debtor_lookup(request: HttpRequest) -> HttpResponse:
    """A document number in, the debtor's opaque reference out (in the redirect's query string). The
    number travels only in this POST body: never in a URL, a log line or the audit trail."""
    form = forms.DebtorLookupForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("compliance:audit-list")
    ref = registry.case_directory().debtor_ref_for_document(form.cleaned_data["id_number"])
    if ref is None:
        messages.error(request, _("No debtor holds that document number."))
        return redirect("compliance:audit-list")
    return redirect(reverse("compliance:audit-list") + "?" + urlencode({"debtor": ref}))


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    _require(policies.can_view_audit(request.user))
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
        alerts.chain_break_alert(result)
        messages.error(
            request,
            _("Chain broken at seq %(seq)s: %(reason)s") % {"seq": result.bad_seq, "reason": result.reason},
        )
    return redirect("compliance:audit-list")


def alert_list(request: HttpRequest) -> HttpResponse:
    _require(policies.can_view_workspace(request.user))
    return render(
        request,
        "compliance/alert_list.html",
        {
            "alerts": selectors.alerts(size=200),
            "ack_form": forms.AlertAcknowledgeForm(),
            "can_acknowledge": policies.can_acknowledge_alerts(request.user),
        },
    )


@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _require(policies.can_view_workspace(request.user))
    alert = get_object_or_404(Alert, pk=pk)
    form = forms.AlertAcknowledgeForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
    else:
        try:
            alerts.alert_acknowledge(alert=alert, actor=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("Alert acknowledged."))
        except DomainError as error:
            report_refusal(request, error)
    back = "compliance:alert-list" if request.POST.get("back") == "alerts" else "compliance:dashboard"
    return redirect(back)
