"""Case work at scale: bulk actions on the cases ticked in the list (with a confirmation page) and the
user's saved list filters. Thin: parse the form, call one service, answer."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors as _form_errors
from common.views import report_refusal as _report

from . import forms, policies, selectors, services, workload
from .models import SavedFilter


def _list_url(query: str = "") -> str:
    """The list with `query` re-encoded (whatever was posted, the answer stays on the list)."""
    url = reverse("cases:case-list")
    query = QueryDict(query.lstrip("?")).urlencode()
    return f"{url}?{query}" if query else url


def _safe_back(raw: str) -> str:
    """Only the case list itself, with a query (never another site or page)."""
    url = reverse("cases:case-list")
    return raw if raw == url or raw.startswith(url + "?") else url


def _team_of(cases: list[Any], user: Any) -> int | None:
    teams = {c.team_id for c in cases}
    return teams.pop() if len(teams) == 1 else user.team_id


def _confirm_context(
    request: HttpRequest, action: str, case_ids: list[int], data: Any = None
) -> dict[str, Any]:
    """The confirmation page: the selected cases (visible ones), the action's form, the helpers."""
    user = request.user
    cases = list(
        selectors.case_list(user=user, sort="oldest").filter(pk__in=case_ids)
    )  # what the user may see, joined as in the list
    context: dict[str, Any] = {
        "action": action,
        "action_label": dict(forms.BulkSelectForm.ACTIONS)[action],
        "cases": cases,
        "case_ids": ",".join(str(i) for i in case_ids),
        "missing": len(set(case_ids) - {c.pk for c in cases}),
        "back": _safe_back(request.POST.get("back", "")),
    }
    team_id = _team_of(cases, user)
    if action == "assign":
        agents_qs = workload.team_agents(team_id=team_id)
        loads = workload.agent_loads(agents=agents_qs)
        areas = workload.case_areas(cases)
        context["loads"] = loads
        context["suggestions"] = [
            (case, areas[case.pk], workload.suggest(loads, areas[case.pk])) for case in cases
        ]
        context["form"] = forms.BulkAssignForm(
            data, agents_qs=agents_qs, loads={x.agent.pk: x for x in loads}
        )
    elif action == "supervisor":
        context["form"] = forms.BulkSupervisorForm(
            data, supervisors_qs=selectors.team_supervisors(team_id=team_id)
        )
    else:
        form = forms.BulkExportForm(data)
        if not any(policies.can_view_full_pii(user, c) for c in cases):
            del form.fields["full_pii"]
        context["form"] = form
    return context


@require_POST
def case_bulk(request: HttpRequest) -> HttpResponse:
    """From the list: the ticked cases and the action → the confirmation page (nothing written yet)."""
    select = forms.BulkSelectForm(request.POST)
    back = _safe_back(request.POST.get("back", ""))
    if not select.is_valid():
        _form_errors(request, select)
        return redirect(back)
    action = select.cleaned_data["action"]
    if action in ("assign", "supervisor") and not policies.can_bulk_assign(request.user):
        messages.error(request, _("Your role cannot assign cases. [PERMISSION_DENIED]"))
        return redirect(back)
    return render(
        request, "cases/case_bulk.html", _confirm_context(request, action, select.cleaned_data["case_ids"])
    )


def _ids(raw: str) -> list[int]:
    parts = [p for p in (raw or "").split(",") if p]
    if not parts or not all(p.isdigit() for p in parts):
        return []
    return sorted({int(p) for p in parts})


@require_POST
def case_bulk_apply(request: HttpRequest) -> HttpResponse:
    """The confirmed bulk action: one transaction; a refusal re-shows the page naming the case and why."""
    action = request.POST.get("action", "")
    if action not in dict(forms.BulkSelectForm.ACTIONS):
        messages.error(request, _("Choose what to do with the selected cases."))
        return redirect(_safe_back(request.POST.get("back", "")))
    case_ids = _ids(request.POST.get("cases", ""))
    back = _safe_back(request.POST.get("back", ""))
    if not case_ids:
        messages.error(request, _("Select at least one case."))
        return redirect(back)
    context = _confirm_context(request, action, case_ids, request.POST)
    form = context["form"]
    if not form.is_valid():
        return render(request, "cases/case_bulk.html", context)
    user = request.user
    try:
        if action == "assign":
            count = services.cases_bulk_assign_agents(
                case_ids=case_ids,
                agents=list(form.cleaned_data["agents"]),
                mode=form.cleaned_data["mode"],
                actor=user,
            )
            messages.success(
                request,
                ngettext("Agents assigned on %(n)d case.", "Agents assigned on %(n)d cases.", count)
                % {"n": count},
            )
        elif action == "supervisor":
            count = services.cases_bulk_change_supervisor(
                case_ids=case_ids, supervisor=form.cleaned_data["supervisor"], actor=user
            )
            messages.success(
                request,
                ngettext("Supervisor changed on %(n)d case.", "Supervisor changed on %(n)d cases.", count)
                % {"n": count},
            )
        else:
            tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
            services.cases_export_csv(
                case_ids=case_ids, actor=user, stream=tmp, full_pii=bool(form.cleaned_data.get("full_pii"))
            )
            tmp.seek(0)
            name = f"cases-{timezone.localtime():%Y%m%d-%H%M}.csv"
            response = FileResponse(
                tmp, as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
            )
            response["Cache-Control"] = "private, no-store"
            return response
    except DomainError as error:
        context["errors"] = error.failures
        return render(request, "cases/case_bulk.html", context, status=200)
    return redirect(back)


# --- saved filters -------------------------------------------------------------------------------


def saved_filter_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_save_filters(request.user):
        raise Http404
    saved = SavedFilter.objects.filter(user=request.user).order_by("name", "pk")
    return render(
        request,
        "cases/saved_filters.html",
        {"saved": [(s, _list_url(s.query)) for s in saved]},
    )


@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    if not policies.can_save_filters(request.user):
        raise Http404
    form = forms.SavedFilterForm(request.POST)
    query = request.POST.get("query", "")
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_list_url(query))
    try:
        saved = services.saved_filter_create(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    except DomainError as error:
        _report(request, error)
    return redirect(_list_url(query))


@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if (
        not policies.can_save_filters(request.user)
        or not SavedFilter.objects.filter(user=request.user, pk=pk).exists()
    ):
        raise Http404
    try:
        services.saved_filter_delete(user=request.user, saved_filter_id=pk)
        messages.success(request, _("Saved filter deleted."))
    except DomainError as error:
        _report(request, error)
    return redirect("cases:saved-filter-list")
