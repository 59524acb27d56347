"""Placement upload pages: upload → preview (a dry run, stored) → confirm (the import).

Thin: parse the form, call one service, redirect. Users who may not import (cases.policies.can_import)
get 404 on both pages, as for any page they may not see.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from common.errors import DomainError

from . import policies, services
from .import_limits import ENCODING_CHOICES
from .importing import COLUMNS, REQUIRED
from .models import Creditor, PlacementImport
from .services.placement import ImportReport

RECENT_IMPORTS = 10


class PlacementUploadForm(forms.Form):
    creditor = forms.ModelChoiceField(label=gettext_lazy("Creditor"), queryset=Creditor.objects.none())
    supervisor = forms.ModelChoiceField(
        label=gettext_lazy("Supervisor who takes the cases"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("The creditor's default supervisor"),
    )
    file = forms.FileField(
        label=gettext_lazy("Placement file (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding of a CSV file"),
        choices=ENCODING_CHOICES,
        initial="auto",
        required=False,
        help_text=gettext_lazy("Leave on detect unless the preview says the text cannot be read."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = Creditor.objects.order_by("code")
        self.fields["creditor"].label_from_instance = lambda c: f"{c.code} — {c.name}"
        supervisor_field = self.fields["supervisor"]
        supervisor_field.queryset = (
            User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR, team__isnull=False)
            .select_related("team")
            .order_by("username")
        )
        supervisor_field.label_from_instance = lambda u: f"{u.display_name} ({u.team})"


def _importer_or_404(request: HttpRequest) -> None:
    if not policies.can_import(request.user):
        raise Http404


def case_import(request: HttpRequest) -> HttpResponse:
    _importer_or_404(request)
    form = PlacementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placement = services.placement_upload_preview(
                creditor=data["creditor"],
                upload=data["file"],
                actor=request.user,
                supervisor=data["supervisor"],
                encoding=data["encoding"] or "auto",
            )
        except DomainError as error:
            for failure in error.failures:
                field = failure.field if failure.field in form.fields else None
                form.add_error(field, f"{failure.message} [{failure.code}]")
        else:
            return redirect("cases:case-import-confirm", pk=placement.pk)
    recent = PlacementImport.objects.select_related("creditor", "uploaded_by").order_by("-created_at")[
        :RECENT_IMPORTS
    ]
    return render(
        request,
        "cases/case_import.html",
        {"form": form, "recent": recent, "columns": COLUMNS, "required": REQUIRED},
    )


def case_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _importer_or_404(request)
    placement = get_object_or_404(PlacementImport.objects.select_related("creditor", "uploaded_by"), pk=pk)
    if request.method == "POST":
        try:
            report = services.placement_upload_confirm(placement_import=placement, actor=request.user)
        except DomainError as error:
            for failure in error.failures:
                messages.error(request, f"{failure.message} [{failure.code}]")
            return redirect("cases:case-import-confirm", pk=placement.pk)
        if report.ok:
            messages.success(
                request,
                _("Imported %(file)s: %(summary)s")
                % {"file": placement.original_name, "summary": report.summary()},
            )
            return redirect("cases:case-list")
        messages.error(request, _("Nothing was imported: the file no longer passes the checks (see below)."))
        return redirect("cases:case-import-confirm", pk=placement.pk)
    report = ImportReport.from_dict(placement.report)
    return render(
        request,
        "cases/case_import_preview.html",
        {
            "placement": placement,
            "report": report,
            "counts": report.counts(),
            "can_confirm": placement.status == PlacementImport.Status.PREVIEWED and report.ok,
            "errors_truncated": report.counts()["errors"] > len(report.errors),
        },
    )
