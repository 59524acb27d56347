"""The supervisor's pages: the team dashboard, the lists behind its figures, the KPIs and their CSV.

Thin: parse the input, ask one selector (or the export service), render. Field agents and compliance
officers get 404, as for any other role's workspace; so does a team the user does not supervise.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import Team
from common.errors import DomainError
from common.views import report_form_errors, report_refusal

from . import charts, forms, policies, selectors, services


def home(request: HttpRequest) -> HttpResponse:
    """`/`: each role lands where its work is: supervisors on their team's dashboard, compliance officers
    on the compliance workspace, field agents on their visits (then their cases), anyone else on the
    case list."""
    from accounts.models import Role
    from accounts.roles import roles_of
    from compliance import policies as compliance_policies

    if policies.is_team_supervisor(request.user):
        return redirect("supervision:dashboard")
    if compliance_policies.can_view_workspace(request.user):
        return redirect("compliance:dashboard")
    if Role.FIELD_AGENT in roles_of(request.user):
        return redirect("visits:agenda")
    return redirect("cases:case-list")


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _team(request: HttpRequest) -> tuple[Team | None, list[Team]]:
    _require(policies.can_view_dashboard(request.user))
    teams = list(policies.teams_visible_to(request.user).order_by("name"))
    code = request.GET.get("team") or None
    team = selectors.team_choice(request.user, teams, code)
    if code and team is None:
        raise Http404
    return team, teams


def _percent_text(value: Any) -> str:
    return "—" if value is None else f"{value}%"


def dashboard(request: HttpRequest) -> HttpResponse:
    """`/supervision/`: today at a glance for the team."""
    team, teams = _team(request)
    board = selectors.dashboard(request.user, team) if team else None
    stage_chart = None
    if board is not None:
        stage_chart = charts.bar_chart(
            _("Cases by stage"),
            [(s.label, s.count, str(s.count)) for s in board.stages if s.count],
            caption=False,
        )
    return render(
        request,
        "supervision/dashboard.html",
        {
            "board": board,
            "team": team,
            "teams": teams,
            "team_form": forms.TeamForm(initial={"team": team.code if team else ""}, teams=teams),
            "stage_chart": stage_chart,
            "links": policies.can_open_items(request.user),
            "kinds": selectors.ItemKind,
        },
    )


def items(request: HttpRequest) -> HttpResponse:
    """`/supervision/items/?kind=…`: the items behind a dashboard figure no other page lists."""
    team, teams = _team(request)
    # The lists name cases: for the team's supervisors only (administrators see no case).
    _require(team is not None and policies.can_open_items(request.user))
    form = forms.ItemsForm(request.GET, teams=teams)
    if not form.is_valid():
        raise Http404
    kind = form.cleaned_data["kind"]
    return render(
        request,
        "supervision/items.html",
        {
            "team": team,
            "kind": kind,
            "title": selectors.ITEM_KINDS[kind],
            "rows": selectors.items(request.user, team, kind),
            "limit": selectors.ITEMS_LIMIT,
            "links": policies.can_open_items(request.user),
        },
    )


def _period_form(request: HttpRequest, teams: list[Team], team: Team) -> forms.KpiPeriodForm:
    start, end = forms.KpiPeriodForm.default_period(timezone.localdate())
    data = {"team": team.code, "date_from": start.isoformat(), "date_to": end.isoformat()}
    if "date_from" in request.GET or "date_to" in request.GET:
        data.update({k: request.GET.get(k, "") for k in ("date_from", "date_to")})
    form = forms.KpiPeriodForm(data, teams=teams)
    form.is_valid()
    return form


def _kpi_charts(table: selectors.KpiTable) -> list[charts.BarChart]:
    rows = table.rows
    rate_charts = [
        (_("Contact rate"), "contacts"),
        (_("Visit success rate"), "visit_success"),
        (_("Promise-to-pay rate"), "promise_rate"),
        (_("Promises kept"), "promises_kept"),
    ]
    out = [
        charts.bar_chart(
            title,
            [(r.label, getattr(r, name).percent, _percent_text(getattr(r, name).percent)) for r in rows],
            maximum=100,
        )
        for title, name in rate_charts
    ]
    for currency in table.currencies:
        out.append(
            charts.bar_chart(
                _("Recovered / placed (%(currency)s)") % {"currency": currency},
                [(r.label, r.recovery(currency), _percent_text(r.recovery(currency))) for r in rows],
                maximum=100,
                tone="money",
            )
        )
    out.append(
        charts.bar_chart(
            _("Average days from placement to first visit"),
            [(r.label, r.avg_days_to_first_visit, str(r.avg_days_to_first_visit or "—")) for r in rows],
            tone="time",
        )
    )
    return out


def kpis(request: HttpRequest) -> HttpResponse:
    """`/supervision/kpis/`: the KPIs of the team and of each agent over a period, charts and table."""
    team, teams = _team(request)
    if team is None:
        raise Http404
    form = _period_form(request, teams, team)
    table = None
    if form.is_valid():
        table = selectors.kpis(
            request.user, team, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
        )
    return render(
        request,
        "supervision/kpis.html",
        {
            "team": team,
            "teams": teams,
            "form": form,
            "table": table,
            "charts": _kpi_charts(table) if table else [],
            "csv_query": urlencode({k: form.data.get(k, "") for k in ("team", "date_from", "date_to")}),
        },
    )


def kpis_csv(request: HttpRequest) -> HttpResponse:
    """`/supervision/kpis.csv`: the KPI table as CSV (recorded as `supervision.kpis_exported`)."""
    team, teams = _team(request)
    if team is None:
        raise Http404
    form = _period_form(request, teams, team)
    back = reverse("supervision:kpis") + "?" + urlencode({k: form.data.get(k, "") for k in form.data})
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    table = selectors.kpis(request.user, team, date_from=data["date_from"], date_to=data["date_to"])
    try:
        content = services.kpi_csv_export(table=table, actor=request.user)
    except DomainError as error:
        report_refusal(request, error)
        return redirect(back)
    name = f"kpis-{team.code}-{data['date_from'].isoformat()}-{data['date_to'].isoformat()}.csv"
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
