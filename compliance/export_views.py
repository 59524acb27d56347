"""Audit exports: request one from a search (POST), follow its progress (the page refreshes itself
without JS; static/js/export-progress.js polls the status URL), download its files and manifest.
Compliance officers only (404 for everyone else); every download is an audit event."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_refusal

from . import exports, forms, policies
from .models import AuditExport


def _export_or_404(request: HttpRequest, pk: int) -> AuditExport:
    if not policies.can_export_audit(request.user):
        raise Http404
    return get_object_or_404(AuditExport.objects.select_related("requested_by"), pk=pk)


@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    if not policies.can_export_audit(request.user):
        raise Http404
    form = forms.ExportForm(request.POST)
    f = form.filter()
    if "formats" in form.errors:
        messages.error(request, _("Choose at least one format."))
        return redirect("compliance:audit-list")
    try:
        export = exports.export_request(
            actor=request.user,
            filter=f,
            formats=form.cleaned_data.get("formats", []),
            language=translation.get_language(),
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("compliance:audit-list")
    export.refresh_from_db(fields=["status"])  # run already (embedded default): say so, not "queued"
    if export.status == AuditExport.Status.DONE:
        messages.success(request, _("Export #%(id)d is ready.") % {"id": export.pk})
    elif export.status == AuditExport.Status.FAILED:
        messages.error(request, _("Export #%(id)d failed; the page says why.") % {"id": export.pk})
    else:
        messages.success(request, _("Export #%(id)d queued; its page follows it.") % {"id": export.pk})
    return redirect("compliance:export-detail", pk=export.pk)


def export_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_export_audit(request.user):
        raise Http404
    exports_ = list(AuditExport.objects.select_related("requested_by").order_by("-requested_at", "-pk")[:100])
    return render(request, "compliance/export_list.html", {"exports": exports_})


@never_cache
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = _export_or_404(request, pk)
    finished = export.status in (AuditExport.Status.DONE, AuditExport.Status.FAILED)
    return render(
        request,
        "compliance/export_detail.html",
        {
            "export": export,
            "finished": finished,
            "manifest_name": f"audit-export-{export.pk}.manifest.json",
        },
    )


@never_cache
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    export = _export_or_404(request, pk)
    return JsonResponse(
        {
            "status": export.status,
            "status_label": str(export.get_status_display()),
            "processed": export.processed,
            "total": export.total,
            "percent": export.percent,
            "finished": export.status in (AuditExport.Status.DONE, AuditExport.Status.FAILED),
        }
    )


def export_file(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    export = _export_or_404(request, pk)
    entry = exports.export_file(export, name)
    if entry is None or not entry.get("path") or not default_storage.exists(entry["path"]):
        raise Http404
    exports.export_download_record(export=export, entry=entry, actor=request.user)
    content_type = {
        "jsonl": "application/jsonl",
        "csv": "text/csv",
        "pdf": "application/pdf",
    }.get(name.rsplit(".", 1)[-1], "application/json")
    response = FileResponse(
        default_storage.open(entry["path"], "rb"),
        as_attachment=True,
        filename=name,
        content_type=content_type,
    )
    response["Cache-Control"] = "no-store"
    return response


def export_verifier(request: HttpRequest) -> HttpResponse:
    """The standalone verifier (tools/verify_audit_export.py, Python 3 standard library only)."""
    if not policies.can_export_audit(request.user):
        raise Http404
    from .dossier import VERIFIER

    response = FileResponse(
        VERIFIER.open("rb"),
        as_attachment=True,
        filename="verify_audit_export.py",
        content_type="text/x-python; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def agency_certificate(request: HttpRequest) -> HttpResponse:
    """The certificate the agency signs its PDFs with: the trust root to verify them against."""
    if not policies.can_export_audit(request.user):
        raise Http404
    from common.signing import agency_certificate as certificate

    cert = certificate()
    response = HttpResponse(cert.pem, content_type="application/x-pem-file")
    name = "agency-demo-certificate.pem" if cert.demo else "agency-certificate.pem"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
