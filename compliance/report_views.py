"""The compliance officer's reports: exceptions (with a CSV export), agents per month, the access log
("who saw what"), and every rule decision with the pack version it used. Compliance officers only."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from . import agents, audit, exceptions, forms, policies, registry, search, selectors
from .models import RuleDecision, RulePack

DECISION_PAGE = 50


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _report_filter(request: HttpRequest) -> tuple[forms.ReportFilterForm, exceptions.ReportFilter]:
    directory = registry.case_directory()
    today = timezone.now().astimezone(dt.UTC).date()
    data = request.GET.copy()
    if not data.get("date_from") and not data.get("date_to"):
        data["date_from"] = (today - dt.timedelta(days=exceptions.DEFAULT_DAYS)).isoformat()
    form = forms.ReportFilterForm(data, teams=directory.teams(), creditors=directory.creditors())
    form.is_valid()
    clean = getattr(form, "cleaned_data", {})
    f = exceptions.ReportFilter(
        date_from=clean.get("date_from"),
        date_to=clean.get("date_to"),
        code=clean.get("code") or "",
        actor_id=clean.get("actor"),
        team_id=clean.get("team"),
        creditor_id=clean.get("creditor"),
    )
    return form, f


def exceptions_report(request: HttpRequest) -> HttpResponse:
    _require(policies.can_view_workspace(request.user))
    form, f = _report_filter(request)
    rows = list(exceptions.rows(f, limit=exceptions.PAGE_ROWS))
    users = selectors.people([r.actor_id for r in rows] + [r.approver_id for r in rows])
    labels = registry.case_directory().labels(r.case_id for r in rows if r.case_id)
    return render(
        request,
        "compliance/exceptions.html",
        {
            "form": form,
            "rows": [
                (r, users.get(r.actor_id), users.get(r.approver_id), labels.get(r.case_id, "")) for r in rows
            ],
            "limit": exceptions.PAGE_ROWS,
            "query": urlencode({k: v for k, v in request.GET.items() if v}),
            "sources": registry.exception_sources(),
        },
    )


def exceptions_csv(request: HttpRequest) -> HttpResponse:
    """The whole report (no row limit) as CSV: written to a temporary file in constant memory, recorded
    (`exceptions.exported`: filter, rows, SHA-256), then sent."""
    _require(policies.can_view_workspace(request.user))
    _form, f = _report_filter(request)

    @lru_cache(maxsize=4096)
    def name(user_id: int | None) -> str:
        user = selectors.people([user_id]).get(user_id) if user_id else None
        return f"{user.display_name} (user:{user.pk})" if user else ""

    tmp, count, sha = exceptions.export_csv(f, names=name)
    audit.record(
        actor=request.user,
        action="exceptions.exported",
        object_type="compliance.report",
        object_id="exceptions",
        data={"filter": f.as_dict(), "rows": count, "sha256": sha, "format": "csv"},
    )
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    response = FileResponse(
        tmp, as_attachment=True, filename=f"exceptions-{stamp}.csv", content_type="text/csv"
    )
    response["Cache-Control"] = "no-store"
    return response


def agents_report(request: HttpRequest) -> HttpResponse:
    _require(policies.can_view_workspace(request.user))
    directory = registry.case_directory()
    form = forms.MonthForm(request.GET or None, teams=directory.teams())
    today = timezone.localdate()
    month = form.month_start(today) if form.is_bound else today.replace(day=1)
    team_id = form.cleaned_data.get("team") if form.is_bound and form.is_valid() else None
    table = agents.agent_table(month=month, team_id=team_id)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "compliance/agents.html",
        {
            "form": form,
            "table": table,
            "month": month,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "team": team_id or "",
        },
    )


def access_log(request: HttpRequest) -> HttpResponse:
    """Who saw what: every full view of personal data, document download and export, by case, user, date."""
    _require(policies.can_view_workspace(request.user))
    form = forms.AccessLogForm(request.GET or None)
    clean: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    actions = tuple(a.action for a in registry.access_actions())
    f = search.AuditFilter(
        case_id=clean.get("case"),
        actor=clean.get("actor") or "",
        date_from=clean.get("date_from"),
        date_to=clean.get("date_to"),
        actions=actions,
    )
    result = search.page(f, before=_int(request.GET.get("before")), after=_int(request.GET.get("after")))
    users = selectors.people(selectors.actor_ids(result.events))
    labels = {a.action: a.label for a in registry.access_actions()}
    return render(
        request,
        "compliance/access_log.html",
        {
            "form": form,
            "rows": [(e, users.get(e.actor_user_id), labels.get(e.action, e.action)) for e in result.events],
            "older": result.older,
            "newer": result.newer,
            "query": urlencode(f.query_string()),
            "actions": registry.access_actions(),
        },
    )


def decision_list(request: HttpRequest) -> HttpResponse:
    """Every rule decision with the pack and version it used, filterable, newest first (keyset on id)."""
    _require(policies.can_view_all_decisions(request.user))
    codes = list(RulePack.objects.order_by("code").values_list("code", flat=True).distinct())
    form = forms.DecisionFilterForm(
        request.GET or None, pack_codes=codes, outcomes=list(RuleDecision.Outcome.choices)
    )
    clean: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = RuleDecision.objects.select_related("pack", "actor")
    if clean.get("pack"):
        qs = qs.filter(pack__code=clean["pack"])
    if clean.get("version"):
        qs = qs.filter(pack__version=clean["version"])
    if clean.get("outcome"):
        qs = qs.filter(outcome=clean["outcome"])
    if clean.get("action"):
        qs = qs.filter(action__startswith=clean["action"])
    if clean.get("case"):
        qs = qs.filter(case_id=clean["case"])
    if clean.get("date_from"):
        qs = qs.filter(at__gte=search._utc_start(clean["date_from"]))
    if clean.get("date_to"):
        qs = qs.filter(at__lt=search._utc_start(clean["date_to"] + dt.timedelta(days=1)))
    before = _int(request.GET.get("before"))
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: DECISION_PAGE + 1])
    query = {k: v for k, v in request.GET.items() if v and k != "before"}
    return render(
        request,
        "compliance/decision_list.html",
        {
            "form": form,
            "decisions": rows[:DECISION_PAGE],
            "older": rows[DECISION_PAGE - 1].pk if len(rows) > DECISION_PAGE else None,
            "query": urlencode(query),
        },
    )
