"""Complaints, disputes and dossiers on cases: record one from the case page (its supervisors, agents and
compliance officers) or from the compliance workspace, resolve one (compliance officers), and export a
case's dossier ZIP (compliance officers and the team's supervisors). Thin: parse, call one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from common.errors import DomainError
from common.views import report_form_errors, report_refusal
from compliance import dossier
from compliance import policies as compliance_policies
from compliance.models import Complaint

from . import forms, policies, selectors
from .models import Case
from .services import disputes


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = policies.cases_visible_to(request.user).select_related("creditor", "team").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _visit_choices(case: Case) -> list[tuple[int, str]]:
    return [
        (v.pk, f"#{v.pk} {timezone.localtime(v.window_start):%Y-%m-%d %H:%M} ({v.get_state_display()})")
        for v in case.visits.order_by("-window_start")
    ]


def _agent_choices(case: Case | None) -> list[tuple[int, str]]:
    if case is not None:
        agents = selectors.assignable_agents(case=case)
    else:
        agents = User.objects.filter(is_active=True, groups__name=Role.FIELD_AGENT).order_by("full_name")
    return [(a.pk, a.display_name) for a in agents]


def _errors_into(form: forms.ComplaintForm, error: DomainError) -> None:
    for failure in error.failures:
        field = {"reason": "text"}.get(failure.field, failure.field)
        form.add_error(field if field in form.fields else None, f"{failure.message} [{failure.code}]")


def _record(form: forms.ComplaintForm, *, case: Case | None, actor: Any) -> Complaint:
    data = form.cleaned_data
    kwargs = {
        "actor": actor,
        "channel": data["channel"],
        "text": data["text"],
        "raised_by": data["raised_by"],
        "received_at": data.get("received_at"),  # aware, in the user's time zone (USE_TZ)
        "visit_id": data.get("visit"),
        "agent_id": data.get("agent"),
    }
    if data["kind"] == Complaint.Kind.DISPUTE and case is not None:  # the forms require a case
        return disputes.dispute_open(case=case, **kwargs)
    return disputes.complaint_record(case=case, **kwargs)


def _after_recording(request: HttpRequest, complaint: Complaint) -> HttpResponse:
    if complaint.kind == Complaint.Kind.DISPUTE:
        messages.success(
            request,
            _("Dispute #%(id)d recorded; the case is on hold until it is resolved.") % {"id": complaint.pk},
        )
    else:
        messages.success(request, _("Complaint #%(id)d recorded.") % {"id": complaint.pk})
    if compliance_policies.can_view_complaints(request.user):
        return redirect("compliance:complaint-detail", pk=complaint.pk)
    return redirect("cases:case-detail", pk=complaint.case_id)


def case_complaint_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not policies.can_record_complaint(request.user, case):
        raise Http404
    form = forms.ComplaintForm(request.POST or None, visits=_visit_choices(case), agents=_agent_choices(case))
    if request.method == "POST" and form.is_valid():
        try:
            complaint = _record(form, case=case, actor=request.user)
        except DomainError as error:
            _errors_into(form, error)
        else:
            return _after_recording(request, complaint)
    return render(request, "cases/complaint_form.html", {"form": form, "case": case})


def complaint_record(request: HttpRequest) -> HttpResponse:
    """From the compliance workspace: the case is named by id (a complaint may name none)."""
    user = request.user
    if not (compliance_policies.can_record_complaints(user) and policies.sees_all_cases(user)):
        raise Http404
    form = forms.WorkspaceComplaintForm(request.POST or None, agents=_agent_choices(None))
    if request.method == "POST" and form.is_valid():
        case_id = form.cleaned_data.get("case")
        case = policies.cases_visible_to(user).filter(pk=case_id).first() if case_id else None
        if case_id and case is None:
            form.add_error("case", _("There is no case %(id)s.") % {"id": case_id})
        else:
            try:
                complaint = _record(form, case=case, actor=user)
            except DomainError as error:
                _errors_into(form, error)
            else:
                return _after_recording(request, complaint)
    return render(request, "cases/complaint_form.html", {"form": form, "case": None})


@require_POST
def complaint_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if not policies.can_resolve_complaint(request.user, None):
        raise Http404
    complaint = get_object_or_404(Complaint, pk=pk)
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("compliance:complaint-detail", pk=complaint.pk)
    service = (
        disputes.dispute_resolve if complaint.kind == Complaint.Kind.DISPUTE else disputes.complaint_resolve
    )
    try:
        service(
            complaint=complaint,
            actor=request.user,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Resolved."))
    except DomainError as error:
        report_refusal(request, error)
    return redirect("compliance:complaint-detail", pk=complaint.pk)


@require_POST
def case_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    profiles = policies.dossier_profiles(request.user, case)
    if not profiles:
        raise Http404
    form = forms.DossierForm(request.POST, profiles=profiles)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("cases:case-detail", pk=case.pk)
    try:
        built = dossier.dossier_build(
            case_id=case.pk, profile=form.cleaned_data["profile"], actor=request.user
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("cases:case-detail", pk=case.pk)
    response = FileResponse(
        built.file, as_attachment=True, filename=built.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = built.sha256
    return response
