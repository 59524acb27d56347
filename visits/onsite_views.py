"""The on-site wizard on the agent's phone, the debt statement, evidence downloads, the visit report, and
the supervisor's review. Thin: parse the form, call one service, redirect (or answer the autosave in
JSON); refusals become form errors or messages naming the field and the rule's code."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors, report_refusal
from compliance.refusals import RulesRefused

from . import onsite_forms as forms
from . import policies, selectors, services
from .models import Outcome, Visit, VisitLog, VisitState
from .selectors import OnSiteView

# The wizard's steps, in order; "conversation" shows the not-the-debtor form when the person met was not
# identified as the debtor.
STEPS = ("check-in", "checks", "conversation", "outcome", "evidence", "finish")
STEP_URL = {
    "check-in": "visits:site-check-in",
    "checks": "visits:site-checks",
    "conversation": "visits:site-conversation",
    "outcome": "visits:site-outcome",
    "evidence": "visits:site-evidence",
    "finish": "visits:site-finish",
}


def _visit_or_404(request: HttpRequest, pk: int) -> Visit:
    visit = policies.visits_visible_to(request.user).select_related("case", "address").filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def _autosave(request: HttpRequest) -> bool:
    return request.headers.get("X-Autosave") == "1"


def _json_errors(error: DomainError, status: int = 409) -> JsonResponse:
    return JsonResponse({"errors": [f.as_dict() for f in error.failures]}, status=status)


def _errors_into(form: Any, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    aliases = aliases or {}
    for failure in error.failures:
        name = aliases.get(failure.field, failure.field)
        form.add_error(name if name in form.fields else None, f"{failure.message} [{failure.code}]")


def _page(request: HttpRequest, template: str, view: OnSiteView, step: str, **extra: Any) -> HttpResponse:
    context = {
        "view": view,
        "visit": view.visit,
        "case": view.visit.case,
        "step": step,
        "steps": view.steps,
        "step_urls": STEP_URL,
        "now": timezone.now(),
        **extra,
    }
    return render(request, template, context)


def _next(visit: Visit, step: str) -> HttpResponse:
    following = STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]
    return redirect(STEP_URL[following], pk=visit.pk)


def site(request: HttpRequest, pk: int) -> HttpResponse:
    """The wizard's entry: the first step not done yet."""
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    for item in view.steps:
        if not item["done"] and item["name"] != "evidence":
            return redirect(STEP_URL[item["name"]], pk=visit.pk)
    return redirect(STEP_URL["finish"], pk=visit.pk)


# --- check-in ---------------------------------------------------------------------------------------


def site_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = forms.CheckInForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            position, status = form.position()
            try:
                arrival = services.visit_check_in(
                    visit=visit,
                    actor=request.user,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    position=position,
                    position_status=status,
                )
            except DomainError as error:
                report_refusal(request, error)
            else:
                started = getattr(arrival, "start_refusal", None)
                if started is not None:
                    report_refusal(request, started)
                else:
                    messages.success(request, _("You are checked in."))
                visit.refresh_from_db()
                if visit.state == VisitState.ON_SITE:
                    return redirect(STEP_URL["checks"], pk=visit.pk)
            return redirect(STEP_URL["check-in"], pk=visit.pk)
        report_form_errors(request, form)
    view = selectors.onsite_view(request.user, visit)
    return _page(request, "visits/site/check_in.html", view, "check-in", form=forms.CheckInForm())


# --- the log steps ----------------------------------------------------------------------------------


def _log_step(
    request: HttpRequest, *, step: str, service_step: str, form: Any, view: OnSiteView
) -> HttpResponse | None:
    """POST of a log step: autosave (JSON) or confirm (redirect to the next step). None: show the form."""
    if _autosave(request):
        return _autosave_step(request, service_step=service_step, form=form, view=view)
    if not form.is_valid():
        return None
    data = form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)
    try:
        services.visit_log_save(
            visit=view.visit, actor=request.user, step=service_step, data=data, confirm=not _autosave(request)
        )
    except DomainError as error:
        if _autosave(request):
            return _json_errors(error)
        _errors_into(form, error, {"started_at": "started", "ended_at": "ended"})
        return None
    if _autosave(request):
        return JsonResponse({"saved_at": timezone.localtime().strftime("%H:%M:%S")})
    return _next(view.visit, step)


# Refusals of one typed value (left out of an autosaved draft); any other code refuses the whole save.
INPUT_CODES = frozenset(
    {
        "INVALID_INPUT",
        "TIME_INVALID",
        "DATE_INVALID",
        "PROMISE_TOO_LARGE",
        "CURRENCY_MISMATCH",
        "NOT_CORRECTABLE",
    }
)
# A form field → the service's field it feeds, when the names differ.
SERVICE_FIELD = {"started": "started_at", "ended": "ended_at"}


def _autosave_step(request: HttpRequest, *, service_step: str, form: Any, view: OnSiteView) -> JsonResponse:
    """The autosave keeps what can be kept: an invalid field (a form error, or an input the service
    refuses) is left out and named in the answer, everything else typed is saved. A refusal by the rules
    (nothing about the debt to someone not identified) saves nothing (409)."""
    form.is_valid()
    errors = [{"field": f, "message": str(e[0])} for f, e in form.errors.items()]
    data = form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)
    for name in form.errors:
        data.pop(SERVICE_FIELD.get(name, name), None)
        data.pop(name, None)
    for attempt in (1, 2):
        try:
            services.visit_log_save(
                visit=view.visit, actor=request.user, step=service_step, data=data, confirm=False
            )
        except RulesRefused as error:
            return _json_errors(error)
        except DomainError as error:
            refused = {f.field for f in error.failures} & set(data)
            by_rule = any(f.code not in INPUT_CODES for f in error.failures)
            if attempt == 2 or not refused or by_rule:
                return _json_errors(error)
            errors += [f.as_dict() for f in error.failures]
            for name in refused:
                data.pop(name, None)
        else:
            break
    return JsonResponse({"saved_at": timezone.localtime().strftime("%H:%M:%S"), "errors": errors})


def site_checks(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    if view.log is None:
        messages.error(request, _("The visit has not started: every agent checks in first."))
        return redirect(STEP_URL["check-in"], pk=visit.pk)
    if request.method == "POST":
        form = forms.ChecksForm(request.POST, agents=view.agents)
        if _autosave(request) or not form.is_valid():
            response = _log_step(request, step="checks", service_step="checks", form=form, view=view)
            if response is not None:
                return response
        else:
            # Nothing locks before the agent has seen what will be locked: the first press reviews (the
            # rules run, the ID is compared, the draft is kept), the review's button confirms.
            lock = request.POST.get("lock") == "1"
            try:
                services.visit_log_save(
                    visit=view.visit,
                    actor=request.user,
                    step="checks",
                    data=form.service_data(),
                    confirm=lock,
                    review=not lock,
                )
            except DomainError as error:
                _errors_into(form, error)
            else:
                if lock:
                    return _next(view.visit, "checks")
                view = selectors.onsite_view(request.user, visit)
                return _page(request, "visits/site/checks_review.html", view, "checks", form=form)
    else:
        form = forms.ChecksForm(initial=forms.ChecksForm.initial_from(view.log), agents=view.agents)
    return _page(request, "visits/site/checks.html", view, "checks", form=form)


def site_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    log = view.log
    if log is None or not log.checks_confirmed:
        messages.error(request, _("Confirm the identity and credential checks first."))
        return redirect(STEP_URL["checks"], pk=visit.pk)
    if log.identity_verified:
        form_class, service_step, template = (
            forms.ConversationForm,
            "conversation",
            "visits/site/conversation.html",
        )
        kwargs: dict[str, Any] = {"visit": view.visit}
    else:
        form_class, service_step, template = forms.NotDebtorForm, "not_debtor", "visits/site/not_debtor.html"
        kwargs = {}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        response = _log_step(request, step="conversation", service_step=service_step, form=form, view=view)
        if response is not None:
            if request.POST.get("we_left") and log.identity_verified and not _autosave(request):
                return _we_left(request, view)
            return response
    elif log.identity_verified:
        form = form_class(
            initial=forms.ConversationForm.initial_from(log, view.visit, timezone.now()), **kwargs
        )
    else:
        form = form_class(
            initial={
                "nothing_about_debt_said": log.nothing_about_debt_said,
                "third_party_note": log.third_party_note,
            }
        )
    return _page(request, template, view, "conversation", form=form)


def _we_left(request: HttpRequest, view: OnSiteView) -> HttpResponse:
    """The debtor was agitated and the agents left: the outcome is recorded at once; attest and finish."""
    try:
        services.visit_log_save(
            visit=view.visit, actor=request.user, step="outcome", data={"outcome": Outcome.WE_LEFT}
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect(STEP_URL["outcome"], pk=view.visit.pk)
    messages.warning(
        request, _("Recorded: you left because the debtor was agitated. Attest your conduct and finish.")
    )
    return redirect(STEP_URL["finish"], pk=view.visit.pk)


def site_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    log = view.log
    if log is None or not log.checks_confirmed:
        messages.error(request, _("Confirm the identity and credential checks first."))
        return redirect(STEP_URL["checks"], pk=visit.pk)
    debtor_met = log.identity_verified
    if request.method == "POST":
        form = forms.OutcomeForm(request.POST, debtor_met=debtor_met)
        response = _log_step(request, step="outcome", service_step="outcome", form=form, view=view)
        if response is not None:
            return response
    else:
        form = forms.OutcomeForm(initial=forms.OutcomeForm.initial_from(log), debtor_met=debtor_met)
    return _page(request, "visits/site/outcome.html", view, "outcome", form=form, debtor_met=debtor_met)


# --- evidence ---------------------------------------------------------------------------------------


def site_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    if request.method == "POST":
        form = forms.EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            key = form.cleaned_data["idempotency_key"]
            for index, upload in enumerate(form.cleaned_data["files"]):
                try:
                    evidence = services.evidence_add(
                        visit=visit,
                        actor=request.user,
                        idempotency_key=f"{key}-{index}",
                        upload=upload,
                        caption=form.cleaned_data.get("caption", ""),
                    )
                except DomainError as error:
                    report_refusal(request, error)
                    continue
                if evidence.duplicate_of_id:
                    messages.warning(
                        request,
                        _("%(name)s is the same file as evidence already stored; it is kept and flagged.")
                        % {"name": evidence.original_name},
                    )
                else:
                    messages.success(
                        request,
                        _("%(name)s stored (SHA-256 %(sha)s…).")
                        % {"name": evidence.original_name, "sha": evidence.sha256[:12]},
                    )
            return redirect(STEP_URL["evidence"], pk=visit.pk)
        report_form_errors(request, form)
    view = selectors.onsite_view(request.user, visit)
    return _page(request, "visits/site/evidence.html", view, "evidence", form=forms.EvidenceForm())


def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    evidence = selectors.evidence_visible(request.user, pk, evidence_pk)
    if evidence is None:
        raise Http404
    handle = services.evidence_open(evidence=evidence, actor=request.user)
    response = FileResponse(handle, content_type=evidence.content_type, filename=evidence.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# --- attest and finish ------------------------------------------------------------------------------


def site_finish(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "attest":
            form = forms.AttestForm(request.POST)
            if form.is_valid():
                try:
                    services.visit_attest(
                        visit=visit,
                        actor=request.user,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                        items=form.cleaned_data["items"],
                    )
                    messages.success(request, _("Your conduct attestation is recorded."))
                except DomainError as error:
                    report_refusal(request, error)
            else:
                report_form_errors(request, form)
        elif action in ("complete", "resubmit"):
            form = forms.CompleteForm(request.POST)
            if form.is_valid():
                service = services.visit_complete if action == "complete" else services.visit_log_resubmit
                try:
                    service(
                        visit=visit,
                        actor=request.user,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                        client_submitted_at=form.cleaned_data.get("client_time"),
                    )
                except DomainError as error:
                    report_refusal(request, error)
                else:
                    messages.success(request, _("The visit log is submitted; a supervisor reviews it."))
                    return redirect("visits:visit-detail", pk=visit.pk)
            else:
                report_form_errors(request, form)
        return redirect(STEP_URL["finish"], pk=visit.pk)
    view = selectors.onsite_view(request.user, visit)
    return _page(
        request,
        "visits/site/finish.html",
        view,
        "finish",
        attest_form=forms.AttestForm(initial={"items": []}),
        complete_form=forms.CompleteForm(),
    )


# --- the debt statement -----------------------------------------------------------------------------


def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement on screen, large, for the debtor to read (agents: only once the debtor is identified)."""
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    if policies.is_visit_agent(request.user, visit) and not (view.log and view.log.identity_verified):
        messages.error(
            request,
            _(
                "The statement is shown only to the debtor, once identified and after the credentials were shown. [IDENTITY_BEFORE_DISCLOSURE]"
            ),
        )
        return redirect(STEP_URL["checks"], pk=visit.pk)
    local_today = timezone.localtime(timezone.now(), timezone=_zone(visit)).date()
    return render(
        request,
        "visits/site/statement.html",
        {
            "view": view,
            "visit": view.visit,
            "case": view.visit.case,
            "statement": selectors.debt_statement(view.visit.case, as_of=local_today),
            "hand_over_form": forms.HandOverForm(initial={"language": translation.get_language()}),
            "can_hand_over": view.flags["can_fill"] and view.visit.state == VisitState.ON_SITE,
        },
    )


def _zone(visit: Visit) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(visit.time_zone)


def _pdf_response(pdf: Any, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(pdf.content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf.filename}"'
    response["X-Content-SHA256"] = pdf.sha256
    return response


@require_POST
def statement_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = forms.HandOverForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("visits:statement", pk=visit.pk)
    try:
        evidence = services.statement_hand_over(
            visit=visit,
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            language=form.cleaned_data["language"],
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("visits:statement", pk=visit.pk)
    response = FileResponse(
        evidence.file.open("rb"),
        content_type="application/pdf",
        filename=evidence.original_name,
        as_attachment=True,
    )
    response["X-Content-SHA256"] = evidence.sha256
    return response


def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as a PDF for supervisors and compliance officers (not handed to anyone; recorded)."""
    visit = _visit_or_404(request, pk)
    try:
        pdf = services.statement_preview_pdf(
            visit=visit, actor=request.user, language=translation.get_language()
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("visits:visit-detail", pk=visit.pk)
    return _pdf_response(pdf, inline=True)


# --- the report, the review, ending a visit ----------------------------------------------------------


def visit_report(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    try:
        pdf = services.visit_report(visit=visit, actor=request.user, language=translation.get_language())
    except DomainError as error:
        report_refusal(request, error)
        return redirect("visits:visit-detail", pk=visit.pk)
    return _pdf_response(pdf)


def log_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    view = selectors.onsite_view(request.user, visit)
    log = next((v for v in view.versions if v.version == version), None)
    if log is None:
        raise Http404
    return render(
        request,
        "visits/site/log_version.html",
        {"view": view, "visit": view.visit, "case": view.visit.case, "log": log},
    )


def _review(
    request: HttpRequest, pk: int, service: Any, done: str, *, field: str = "comment"
) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = forms.AbortForm(request.POST) if field == "reason" else forms.CommentForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("visits:visit-detail", pk=visit.pk)
    try:
        service(visit=visit, actor=request.user, **{field: form.cleaned_data[field]})
        messages.success(request, done)
    except DomainError as error:
        report_refusal(request, error)
    return redirect("visits:visit-detail", pk=visit.pk)


@require_POST
def log_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, services.visit_log_accept, _("The visit log is accepted."))


@require_POST
def log_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(
        request, pk, services.visit_log_return, _("The visit log is returned to the agents for correction.")
    )


@require_POST
def visit_abort(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, services.visit_abort, _("The visit is ended without a log."), field="reason")


def onsite_section(request: HttpRequest, visit: Visit) -> dict[str, Any] | None:
    """The on-site part of the visit page (check-ins, log versions, evidence, review), once it exists."""
    if visit.state not in (*services.evidence.REPORT_STATES, VisitState.APPROVED, VisitState.NOTIFIED):
        return None
    view = selectors.onsite_view(request.user, visit)
    current: VisitLog | None = view.log
    return {
        "view": view,
        "log": current,
        "comment_form": forms.CommentForm(),
        "abort_form": forms.AbortForm(),
        "report": visit.state in services.evidence.REPORT_STATES,
        "open_wizard": view.flags["is_agent"]
        and visit.state
        in (VisitState.APPROVED, VisitState.NOTIFIED, VisitState.ON_SITE, VisitState.CORRECTION),
    }
