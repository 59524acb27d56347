"""Case pages. Thin: parse input, call one service, redirect; refusals become messages naming field and rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors as _form_errors
from common.views import report_refusal as _report
from compliance import audit
from compliance import policies as compliance_policies

from . import forms, policies, selectors, services
from .models import Case, Creditor

PAGE_SIZE = 25


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = (
        policies.cases_visible_to(request.user)
        .select_related("debtor", "creditor", "team")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _back(case: Case, anchor: str = "") -> HttpResponse:
    response = redirect("cases:case-detail", pk=case.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    creditors = Creditor.objects.filter(
        pk__in=policies.cases_visible_to(user).values("creditor_id")
    ).order_by("code")
    form = forms.CaseFilterForm(
        request.GET or None, agents=selectors.agents_visible_to(user), creditors=creditors
    )
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "stage": data["stage"],
            "agent_id": data["agent"],
            "creditor_code": data["creditor"],
            "q": data["q"],
            "sort": data["sort"] or "newest",
        }
    cases = selectors.case_list(user=user, **filters)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_import": policies.can_import(user),
        },
    )


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    page = selectors.case_page(
        user=user,
        pk=pk,
        with_hold=compliance_policies.can_view_retention(user),
        with_agents=policies.can_assign_somewhere(user),
    )
    if page is None:
        raise Http404
    case = page.case
    can_work = policies.can_work_on(user, case)
    can_assign = policies.can_assign(user, case)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "debtor": case.debtor,
            "transitions": selectors.transition_options(case=case, user=user),
            "timeline": page.timeline,
            "assessment": next(iter(case.assessments.all()), None),
            "can_work": can_work,
            "can_assign": can_assign,
            "can_reveal": policies.can_view_full_pii(user, case),
            "assign_form": forms.AssignAgentsForm(
                agents_qs=selectors.assignable_agents(case=case),
                agents=page.assignable_agents,
                initial={"agents": [a.agent_id for a in case.assignments.all()]},
            )
            if can_assign
            else None,
            "identity_form": forms.IdentityCheckForm(),
            "revoke_form": forms.RevokeForm(),
            "address_form": forms.AddressForm(),
            "address_verify_form": forms.AddressVerifyForm(),
            "document_form": forms.DocumentForm(),
            "assessment_form": forms.AssessmentForm(),
            "unverify_form": forms.UnverifyForm(),
            **_compliance_context(user, case, page),
        },
    )


def _compliance_context(user: Any, case: Case, page: selectors.CasePage) -> dict[str, Any]:
    """Complaints and disputes of the case, the dossier export and the legal hold (compliance workspace)."""
    profiles = policies.dossier_profiles(user, case)
    return {
        "complaints": page.complaints,
        "can_record_complaint": policies.can_record_complaint(user, case),
        "can_view_complaints": compliance_policies.can_view_complaints(user),
        "dossier_form": forms.DossierForm(profiles=profiles) if profiles else None,
        "legal_hold": page.legal_hold,
        "can_manage_holds": compliance_policies.can_manage_legal_holds(user),
    }


@require_POST
def case_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        if name == "verify":
            services.case_verify(case=case, actor=request.user)
            messages.success(request, _("The case is verified."))
        elif name == "unverify":
            form = forms.UnverifyForm(request.POST)
            if not form.is_valid():
                _form_errors(request, form)
                return _back(case, "stage")
            services.case_unverify(case=case, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The case is back to new."))
        else:
            raise Http404
    except DomainError as error:
        _report(request, error)
    return _back(case, "stage")


@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AssignAgentsForm(request.POST, agents_qs=selectors.assignable_agents(case=case))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "agents")
    try:
        services.case_assign_agents(case=case, agents=form.cleaned_data["agents"], actor=request.user)
        messages.success(request, _("Agents assigned."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "agents")


@require_POST
def case_identity(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        if request.POST.get("action") == "revoke":
            form = forms.RevokeForm(request.POST)
            if form.is_valid():
                services.identity_check_revoke(
                    case=case, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The identity check was withdrawn."))
        else:
            form = forms.IdentityCheckForm(request.POST)
            if form.is_valid():
                services.identity_check_record(
                    case=case, actor=request.user, method=form.cleaned_data["method"]
                )
                messages.success(request, _("The identity check is recorded."))
        if not form.is_valid():
            _form_errors(request, form)
    except DomainError as error:
        _report(request, error)
    return _back(case, "debtor")


@require_POST
def case_address_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AddressForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "addresses")
    try:
        services.address_add(case=case, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Address added."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "addresses")


@require_POST
def case_address_verify(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AddressVerifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "addresses")
    try:
        services.address_verify(
            case=case, address_id=address_id, actor=request.user, source=form.cleaned_data["source"]
        )
        messages.success(request, _("Address verified."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "addresses")


@require_POST
def case_address_invalidate(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.RevokeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "addresses")
    try:
        services.address_invalidate(
            case=case, address_id=address_id, actor=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Address marked invalid."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "addresses")


@require_POST
def case_document_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "documents")
    try:
        services.document_add(
            case=case, actor=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
        )
        messages.success(request, _("Document added."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "documents")


def case_document_download(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    document = case.documents.filter(pk=doc_id).first()
    if document is None:
        raise Http404
    audit.record(
        actor=request.user,
        action="case.document_viewed",
        obj=document,
        case_id=case.pk,
        data={"sha256": document.sha256},
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    # Uploaded content runs nothing even if a browser opens it in place (as visit evidence).
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def case_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AssessmentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "assessment")
    try:
        services.assessment_record(case=case, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Assessment recorded."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "assessment")


@require_POST
def case_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        revealed = services.pii_reveal(case=case, actor=request.user, field=field)
    except DomainError as error:
        _report(request, error)
        return _back(case, "debtor")
    response = render(request, "cases/case_reveal.html", {"case": case, "revealed": revealed})
    response["Cache-Control"] = "no-store"
    return response
