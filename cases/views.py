"""Case pages. Thin: parse input, call one service, redirect; refusals become messages naming field and rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError, PermissionRefused
from common.views import report_form_errors as _form_errors
from common.views import report_refusal as _report
from compliance import documents
from compliance import policies as compliance_policies

from . import forms, policies, selectors, services, workload
from .models import Case, Creditor

PAGE_SIZE = 25


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = selectors.visible_case(user=request.user, pk=pk, related=("debtor", "creditor", "team"))
    if case is None:
        raise Http404
    return case


def _back(case: Case, anchor: str = "") -> HttpResponse:
    response = redirect("cases:case-detail", pk=case.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _list_form(request: HttpRequest, data: Any) -> forms.CaseFilterForm:
    user = request.user
    people = selectors.list_filter_people(user)
    # From the small creditors table, not from the visible cases (a scan of every visible case).
    creditors = Creditor.objects.order_by("code")
    return forms.CaseFilterForm(
        data,
        agents=people.agents,
        supervisors=people.supervisors,
        teams=people.teams,
        creditors=creditors,
    )


def case_list(request: HttpRequest) -> HttpResponse:
    """The case list. The filter form is posted and answered with a redirect to the list's canonical
    URL (so a phone number searched for never appears in a URL, a log or the history: only its digest);
    the GET URL takes the same filters directly (links, saved filters)."""
    user = request.user
    list_url = reverse("cases:case-list")
    if request.method == "POST" or "phone" in request.GET:
        form = _list_form(request, request.POST if request.method == "POST" else request.GET)
        if form.is_valid():
            query = form.canonical_query()
            return redirect(f"{list_url}?{query}" if query else list_url)
        cursor_raw = ""
    else:
        params = request.GET.copy()
        cursor_raw = params.pop("cursor", [""])[-1]
        params.pop("page", None)
        form = _list_form(request, params or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = form.filters()
    elif form.is_bound:
        messages.error(request, _("The filter was not applied: correct the fields marked below."))
    sort = filters.get("sort", "newest")
    cursor = None
    if cursor_raw:
        try:
            cursor = selectors.Cursor.decode(cursor_raw, sort=sort)
        except selectors.BadCursor:
            messages.error(
                request,
                _("That page link is not valid (or was made for another sort): here is the first page."),
            )
    page = selectors.case_list_page(
        cases=selectors.case_list(user=user, **filters), sort=sort, cursor=cursor, size=PAGE_SIZE
    )
    query = form.canonical_query() if filters else ""
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "searching_phone": bool(filters.get("phone_digest")),
            "can_import": policies.can_import(user),
            "can_bulk_assign": policies.can_bulk_assign(user),
            "save_form": forms.SavedFilterForm(initial={"query": query}),
            "bulk_form": forms.BulkSelectForm(initial={"page_ids": ",".join(str(c.pk) for c in page.cases)}),
            "back": f"{list_url}?{query}" if query else list_url,
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
            "phone_form": forms.PhoneAddForm(),
            "address_zone_form": forms.AddressTimeZoneForm(),
            "document_form": forms.DocumentForm(),
            "assessment_form": forms.AssessmentForm(),
            "unverify_form": forms.UnverifyForm(),
            **_compliance_context(user, case, page),
            **_facts_context(user, case, page),
        },
    )


def _facts_context(user: Any, case: Case, page: selectors.CasePage) -> dict[str, Any]:
    from .fact_views import facts_context  # the section's own module (it imports this one)

    context = facts_context(user, case, list(page.debtor_facts), list(page.consents))
    context["open_complaints"] = any(c.is_open for c in page.complaints)
    return context


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


def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the assignment helper (each agent's workload, a suggested agent by area); POST: assign."""
    case = _case_or_404(request, pk)
    if request.method == "GET":
        if not policies.can_assign(request.user, case):
            _report(request, PermissionRefused.because(_("Your role cannot assign agents to this case.")))
            return _back(case, "agents")
        agents_qs = selectors.assignable_agents(case=case)
        loads = workload.agent_loads(agents=agents_qs)
        area = workload.case_areas([case])[case.pk]
        suggested = workload.suggest(loads, area)
        return render(
            request,
            "cases/case_assign.html",
            {
                "case": case,
                "loads": loads,
                "area": area,
                "suggested": suggested,
                "suggested_count": suggested.areas[area] if suggested else 0,
                "least_loaded": None if suggested else workload.least_loaded(loads),
                "form": forms.AssignAgentsForm(
                    agents_qs=agents_qs,
                    loads={load.agent.pk: load for load in loads},
                    initial={"agents": [a.agent_id for a in case.assignments.all()]},
                ),
            },
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = forms.AssignAgentsForm(request.POST, agents_qs=selectors.assignable_agents(case=case))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "agents")
    before = set(case.assignments.values_list("agent_id", flat=True))
    chosen = list(form.cleaned_data["agents"])
    try:
        services.case_assign_agents(case=case, agents=chosen, actor=request.user)
    except DomainError as error:
        _report(request, error)
    else:
        if before == {a.pk for a in chosen}:
            messages.warning(
                request,
                _("Nothing changed: no agent was chosen.")
                if not chosen
                else _("Nothing changed: these agents were already assigned."),
            )
        elif not chosen:
            messages.success(request, _("Every agent was unassigned from this case."))
        else:
            messages.success(
                request,
                _("Agents assigned: %(names)s.") % {"names": ", ".join(a.display_name for a in chosen)},
            )
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
def case_phone_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.PhoneAddForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "phones")
    try:
        services.phone_add(case=case, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Phone added (unverified)."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "phones")


@require_POST
def case_phone_verify(request: HttpRequest, pk: int, phone_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AddressVerifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "phones")
    try:
        services.phone_verify(
            case=case, phone_id=phone_id, actor=request.user, source=form.cleaned_data["source"]
        )
        messages.success(request, _("Phone verified."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "phones")


@require_POST
def case_phone_invalidate(request: HttpRequest, pk: int, phone_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.RevokeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "phones")
    try:
        services.phone_invalidate(
            case=case, phone_id=phone_id, actor=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Phone marked invalid."))
    except DomainError as error:
        _report(request, error)
    return _back(case, "phones")


@require_POST
def case_address_time_zone(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = forms.AddressTimeZoneForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "addresses")
    try:
        services.address_time_zone_set(
            case=case, address_id=address_id, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("Time zone changed."))
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
    if document is None or not document.file:
        raise Http404
    try:
        response = documents.file_response(
            actor=request.user,
            key="case_document",
            handle=document.file.open("rb"),
            filename=document.original_name,
            sha256=document.sha256,
            case_id=case.pk,
            obj=document,
            content_type=document.content_type,
        )
    except DomainError as error:
        _report(request, error)
        return _back(case, "documents")
    # Uploaded content runs nothing even if a browser opens it in place (as visit evidence).
    response["Content-Security-Policy"] = "sandbox"
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
