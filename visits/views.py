"""Visit planning pages: plan (from the case page), detail with the decision trace and the actions the
user may take now, the agent's agenda and the team calendar. Thin: parse, call one service, redirect;
refusals become form errors or messages naming the field and the rule's code."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import policies as case_policies
from cases.models import Case
from common.errors import DomainError
from common.views import report_form_errors as _form_errors
from common.views import report_refusal as _report
from compliance.models import RuleDecision
from compliance.refusals import RulesRefused

from . import forms, onsite_views, policies, selectors, services
from .models import ChecklistItem, Visit, VisitState

# A failure's `field` (as the services name it) → the plan form's field that shows it.
PLAN_FIELDS = {
    "address": "address",
    "purpose": "purpose",
    "agents": "agents",
    "checklist": "checklist",
    "window": "date",
    "notice": "date",
    "note": "note",
    "override_reason": "override_reason",
    "reason": "override_reason",
}


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = (
        case_policies.cases_visible_to(request.user)
        .select_related("debtor", "creditor", "team")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _visit_or_404(request: HttpRequest, pk: int) -> Visit:
    visit = policies.visits_visible_to(request.user).select_related("case", "address").filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def _text(failure: Any) -> str:
    return f"{failure.message} [{failure.code}]"


def _errors_into(form: forms.VisitPlanForm, error: DomainError) -> None:
    for failure in error.failures:
        target = PLAN_FIELDS.get(failure.field)
        form.add_error(target if target in form.fields else None, _text(failure))


def _plan_context(request: HttpRequest, case: Case, form: Any, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "form": form,
        "zones": form.zones,
        "user_zone": timezone.get_current_timezone_name(),
        **extra,
    }


def _plan_form(
    request: HttpRequest, case: Case, *, data: Any = None, initial: Any = None
) -> forms.VisitPlanForm:
    return forms.VisitPlanForm(
        data,
        addresses=list(selectors.plannable_addresses(case)),
        agents_qs=selectors.plannable_agents(case),
        can_override=policies.is_team_supervisor(request.user, case),
        initial=initial,
    )


def visit_plan(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_plan(request.user, case):
        messages.error(request, _("Your role cannot plan visits on this case."))
        return redirect("cases:case-detail", pk=case.pk)
    refusal: RulesRefused | None = None
    if request.method == "POST":
        form = _plan_form(request, case, data=request.POST)
        if form.is_valid():
            try:
                visit = services.visit_plan(
                    case=case,
                    actor=request.user,
                    override_reason=form.cleaned_data.get("override_reason", ""),
                    **form.service_kwargs(),
                )
            except RulesRefused as error:
                refusal = error
                _errors_into(form, error)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The visit is planned; a supervisor of the team approves it."))
                return redirect("visits:visit-detail", pk=visit.pk)
    else:
        addresses = list(selectors.plannable_addresses(case))
        form = _plan_form(
            request,
            case,
            initial={
                "address": addresses[0].pk if addresses else None,
                "agents": [a.agent_id for a in case.assignments.all()],
            },
        )
    return render(request, "visits/visit_plan.html", _plan_context(request, case, form, refusal=refusal))


def visit_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    case = _case_or_404(request, visit.case_id)
    if not policies.can_resubmit(request.user, visit) or visit.state != VisitState.RETURNED:
        messages.error(request, _("Only the planner resubmits a plan that was sent back."))
        return redirect("visits:visit-detail", pk=visit.pk)
    refusal: RulesRefused | None = None
    if request.method == "POST":
        form = _plan_form(request, case, data=request.POST)
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                services.visit_resubmit(visit=visit, actor=request.user, **kwargs)
            except RulesRefused as error:
                refusal = error
                _errors_into(form, error)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The plan is resubmitted for approval."))
                return redirect("visits:visit-detail", pk=visit.pk)
    else:
        start = timezone.localtime(visit.window_start, timezone=_zone(visit))
        end = timezone.localtime(visit.window_end, timezone=_zone(visit))
        form = _plan_form(
            request,
            case,
            initial={
                "address": visit.address_id,
                "purpose": visit.purpose,
                "date": start.date(),
                "start_time": start.time(),
                "end_time": end.time(),
                "agents": [va.agent_id for va in visit.visit_agents.all()],
                "checklist": visit.checklist,
                "note": visit.note,
            },
        )
    return render(
        request, "visits/visit_plan.html", _plan_context(request, case, form, visit=visit, refusal=refusal)
    )


def _zone(visit: Visit) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(visit.time_zone)


def _notices_section(request: HttpRequest, visit: Visit) -> dict[str, Any] | None:
    """The prior-notice section of visits/notice_views.py, when that module is installed."""
    try:
        notice_views = importlib.import_module(f"{__package__}.notice_views")
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.notice_views":
            raise
        return None
    section = getattr(notice_views, "notices_section", None)
    return section(request, visit) if section else None


# What each kind of rule decision about a visit is called on its page.
DECISION_LABELS = {
    "visit.plan": gettext_lazy("Planning"),
    "visit.approve": gettext_lazy("Approval"),
    "notice.record": gettext_lazy("Prior notice"),
    "visit.check_in": gettext_lazy("Check-in"),
    "visit.start": gettext_lazy("Start on site"),
    "visit.checks": gettext_lazy("Identity and credentials"),
    "visit.conversation": gettext_lazy("Conversation"),
    "visit.complete": gettext_lazy("Completion"),
}


def decided(decision: RuleDecision) -> str:
    """What an allowed on-site checks decision decided, from its recorded facts (not only "Allowed")."""
    if decision.action != "visit.checks" or decision.outcome == RuleDecision.Outcome.REFUSED:
        return ""
    facts = (decision.inputs or {}).get("facts") or {}
    relation = facts.get("relation")
    if relation == "nobody":
        return str(_("Decided: nobody was met; nothing about the debt was said."))
    verified = (
        relation == "debtor"
        and facts.get("identification") in ("id_card", "known")
        and facts.get("id_match") is not False
    )
    if verified:
        return str(_("Decided: the person met is the verified debtor; the debt may be discussed."))
    if relation == "debtor" and facts.get("id_match") is False:
        return str(
            _(
                "Decided: the ID card sighted did not match the debtor's on file (%(n)s tries); the person met "
                "counts as not identified and nothing about the debt may be said."
            )
            % {"n": facts.get("id_tries") or 1}
        )
    return str(_("Decided: the person met is not the verified debtor; nothing about the debt may be said."))


def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.visit_detail(request.user, pk)
    if detail is None:
        raise Http404
    visit, user = detail.visit, request.user
    for decision in detail.decisions:
        decision.label = DECISION_LABELS.get(decision.action, decision.action)  # type: ignore[attr-defined]
        decision.summary = decided(decision)  # type: ignore[attr-defined]
    can_override = policies.can_override(user, visit) and visit.state == VisitState.PLANNED
    refused_approval = next(
        (
            d
            for d in reversed(detail.decisions)
            if d.action == "visit.approve" and d.outcome == RuleDecision.Outcome.REFUSED
        ),
        None,
    )
    # An override form only while the latest approval decision is a refusal the pack lets one override.
    latest_approval = next((d for d in reversed(detail.decisions) if d.action == "visit.approve"), None)
    offer_override = (
        can_override
        and refused_approval is not None
        and latest_approval is refused_approval
        and all(
            f.get("overridable") for f in refused_approval.failures if f.get("level", "refuse") == "refuse"
        )
    )
    live = visit.state in policies.LIVE_STATES
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "case": visit.case,
            "agents": [va.agent for va in visit.visit_agents.all()],
            "checklist_labels": [
                ChecklistItem(i).label for i in visit.checklist if i in ChecklistItem.values
            ],
            "decisions": detail.decisions,
            "user_zone": timezone.get_current_timezone_name(),
            "can_approve": policies.can_approve(user, visit) and visit.state == VisitState.PLANNED,
            "can_send_back": policies.can_send_back(user, visit) and visit.state == VisitState.PLANNED,
            "can_cancel": policies.can_cancel(user, visit) and live,
            "can_resubmit": policies.can_resubmit(user, visit) and visit.state == VisitState.RETURNED,
            "offer_override": offer_override,
            "override_form": forms.OverrideForm(initial={"decision": refused_approval.pk})
            if offer_override and refused_approval
            else None,
            "reason_form": forms.ReasonForm(),
            "notices": _notices_section(request, visit),
            "onsite": onsite_views.onsite_section(request, visit),
        },
    )


@require_POST
def visit_approve(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    try:
        services.visit_approve(visit=visit, actor=request.user)
        messages.success(request, _("The visit is approved."))
    except DomainError as error:
        _report(request, error)
    return redirect("visits:visit-detail", pk=visit.pk)


@require_POST
def visit_override(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = forms.OverrideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("visits:visit-detail", pk=visit.pk)
    decision = RuleDecision.objects.filter(
        pk=form.cleaned_data["decision"], object_type="visits.visit", object_id=str(visit.pk)
    ).first()
    if decision is None:
        raise Http404
    try:
        services.visit_override(
            visit=visit, decision=decision, actor=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The refusal is overridden and the visit approved."))
    except DomainError as error:
        _report(request, error)
    return redirect("visits:visit-detail", pk=visit.pk)


def _reason_action(request: HttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("visits:visit-detail", pk=visit.pk)
    try:
        service(visit=visit, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, done)
    except DomainError as error:
        _report(request, error)
    return redirect("visits:visit-detail", pk=visit.pk)


@require_POST
def visit_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, services.visit_send_back, _("The plan is sent back to its planner."))


@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, services.visit_cancel, _("The visit is cancelled."))


def agenda(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "visits/agenda.html",
        {"agenda": selectors.agenda(request.user, today), "user_zone": timezone.get_current_timezone_name()},
    )


def calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        week = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        week = today
    monday = selectors.week_of(week)
    return render(
        request,
        "visits/calendar.html",
        {
            "days": selectors.team_calendar(request.user, monday),
            "week_start": monday,
            "week_end": monday + dt.timedelta(days=6),
            "previous_week": (monday - dt.timedelta(days=7)).isoformat(),
            "next_week": (monday + dt.timedelta(days=7)).isoformat(),
            "this_week": selectors.week_of(today).isoformat(),
            "today": today,
            "user_zone": timezone.get_current_timezone_name(),
        },
    )
