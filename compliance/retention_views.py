"""Retention as the compliance officer sees it: the dry-run report (what the nightly job would anonymize
now), the anonymizations done, and legal holds (set and lifted with a reason). Officers only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors, report_refusal

from . import forms, policies, registry, retention, selectors
from .models import Anonymization, LegalHold


def retention_page(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_retention(request.user):
        raise Http404
    report = retention.dry_run()
    holds = selectors.legal_holds()
    done = list(Anonymization.objects.order_by("-anonymized_at", "-pk")[:50])
    labels = registry.case_directory().labels([h.case_id for h in holds] + [a.case_id for a in done])
    return render(
        request,
        "compliance/retention.html",
        {
            "report": report,
            "holds": [(h, labels.get(h.case_id, str(h.case_id))) for h in holds],
            "done": [(a, labels.get(a.case_id, str(a.case_id))) for a in done],
            "hold_form": forms.LegalHoldForm(initial={"case": request.GET.get("case")}),
            "lift_form": forms.LegalHoldLiftForm(),
            "can_manage": policies.can_manage_legal_holds(request.user),
        },
    )


@require_POST
def legal_hold_set(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_retention(request.user):
        raise Http404
    form = forms.LegalHoldForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("compliance:retention")
    try:
        hold = retention.legal_hold_set(
            case_id=form.cleaned_data["case"], reason=form.cleaned_data["reason"], actor=request.user
        )
        messages.success(request, _("Legal hold set on case %(id)d.") % {"id": hold.case_id})
    except DomainError as error:
        report_refusal(request, error)
    return redirect("compliance:retention")


@require_POST
def legal_hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    if not policies.can_view_retention(request.user):
        raise Http404
    hold = get_object_or_404(LegalHold, pk=pk)
    form = forms.LegalHoldLiftForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("compliance:retention")
    try:
        retention.legal_hold_lift(hold=hold, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("Legal hold on case %(id)d lifted.") % {"id": hold.case_id})
    except DomainError as error:
        report_refusal(request, error)
    return redirect("compliance:retention")
