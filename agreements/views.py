"""Pages of the agreements stage: draft, detail, signing on the phone, approval, payments and their
import, follow-up plans, escalation and closure. Thin: parse the form, call one service, redirect;
refusals become form errors or messages naming the field and the rule's code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from cases import policies as case_policies
from cases.models import Case, Creditor
from common.errors import DomainError
from common.views import report_form_errors, report_refusal
from compliance import documents

from . import forms, policies, selectors, services
from .models import Agreement, AgreementState, Closure, Escalation, FollowUp

# A failure's `field` as the services name it → the form field that shows it.
ALIASES = {"count": "instalment_count", "first_due": "first_due_date", "schedule": "schedule"}


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = (
        case_policies.cases_visible_to(request.user)
        .select_related("debtor", "creditor", "team", "mandate")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _agreement_or_404(request: HttpRequest, pk: int) -> Agreement:
    agreement = selectors.agreement_detail(request.user, pk)
    if agreement is None:
        raise Http404
    return agreement


def _errors_into(form: Any, error: DomainError) -> None:
    for failure in error.failures:
        name = ALIASES.get(failure.field, failure.field)
        form.add_error(name if name in form.fields else None, f"{failure.message} [{failure.code}]")


def _back(case: Case) -> HttpResponse:
    return redirect(f"{_case_url(case)}#agreements")


def _case_url(case: Case) -> str:
    from django.urls import reverse

    return reverse("cases:case-detail", args=[case.pk])


# --- agreements -------------------------------------------------------------------------------------


def agreement_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_draft(request.user, case):
        messages.error(request, _("Your role cannot draft agreements on this case. [PERMISSION_DENIED]"))
        return _back(case)
    owed = selectors.balance(case)
    if request.method == "POST":
        form = forms.AgreementForm(request.POST)
        if form.is_valid():
            try:
                agreement = services.agreement_draft(case=case, actor=request.user, **form.service_kwargs())
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The agreement is drafted: check the schedule, then sign."))
                return redirect("agreements:agreement-detail", pk=agreement.pk)
    else:
        form = forms.AgreementForm(
            initial={
                "kind": "instalments",
                "total": owed,
                "first_due_date": timezone.localdate() + dt.timedelta(days=14),
                "method": "bank_transfer",
                "stated_income": case.debtor.monthly_income,
                "language": "zh-hans",
                "instalment_count": 6,
            }
        )
    return render(request, "agreements/agreement_form.html", {"case": case, "form": form, "owed": owed})


def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's terms changed in place until it is submitted or signed (agreement_redraft)."""
    agreement = _agreement_or_404(request, pk)
    case = agreement.case
    if not (policies.can_draft(request.user, case) and services.agreement_editable(agreement)):
        messages.error(
            request, _("Only a draft nobody has signed yet can be edited; cancel it and draft a new one.")
        )
        return redirect("agreements:agreement-detail", pk=agreement.pk)
    if request.method == "POST":
        form = forms.AgreementForm(request.POST)
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                services.agreement_redraft(agreement=agreement, actor=request.user, **kwargs)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The draft is changed: check the schedule, then sign."))
                return redirect("agreements:agreement-detail", pk=agreement.pk)
    else:
        form = forms.AgreementForm(initial=forms.AgreementForm.initial_from(agreement))
    return render(
        request,
        "agreements/agreement_form.html",
        {"case": case, "form": form, "owed": selectors.balance(case), "agreement": agreement},
    )


def _refused_on_terms(request: HttpRequest, agreement: Agreement, error: DomainError) -> HttpResponse | None:
    """A refusal about a term of the draft (e.g. affordability: `debtor_requested_terms`) is shown on the
    edit page, where that field is, when the draft can still be edited."""
    fields = forms.AgreementForm.base_fields
    named = [f for f in error.failures if ALIASES.get(f.field, f.field) in fields]
    if not named or not services.agreement_editable(agreement):
        return None
    for failure in error.failures:
        name = ALIASES.get(failure.field, failure.field)
        label = fields[name].label if name in fields else ""
        messages.error(
            request,
            f"{label}: {failure.message} [{failure.code}]"
            if label
            else f"{failure.message} [{failure.code}]",
        )
    return redirect("agreements:agreement-edit", pk=agreement.pk)


def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    user, state = request.user, agreement.state
    can_draft = policies.can_draft(user, agreement.case)
    facts = selectors.facts_of(agreement, today=timezone.localdate())
    from compliance.rules.agreements import check_agreement

    preview = (
        check_agreement(moment="sign", facts=facts, params=selectors.params_for(agreement.case))
        if state
        in (
            AgreementState.DRAFT,
            AgreementState.AWAITING_APPROVAL,
            AgreementState.APPROVED,
        )
        else []
    )
    signable = state == (AgreementState.APPROVED if agreement.approval_required else AgreementState.DRAFT)
    return render(
        request,
        "agreements/agreement_detail.html",
        {
            "agreement": agreement,
            "case": agreement.case,
            "instalments": list(agreement.instalments.all()),
            "signatures": list(agreement.signatures.all()),
            "payments": list(agreement.payments.select_related("recorded_by").order_by("paid_on", "pk")),
            "credit": selectors.agreement_credit(agreement) if state not in (AgreementState.DRAFT,) else None,
            "preview": preview,
            "can_submit": can_draft and state == AgreementState.DRAFT and agreement.approval_required,
            "can_edit": can_draft and services.agreement_editable(agreement),
            "can_approve": policies.can_approve(user, agreement)
            and state == AgreementState.AWAITING_APPROVAL,
            "can_sign": can_draft and signable,
            "can_cancel": can_draft
            and state in (AgreementState.DRAFT, AgreementState.AWAITING_APPROVAL, AgreementState.APPROVED),
            "reason_form": forms.ReasonForm(),
            "approval_form": forms.ApprovalForm(),
            "link_form": forms.SigningLinkForm(),
        },
    )


def _agreement_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)  # before any form check: an outsider learns nothing
    try:
        action(agreement)
        messages.success(request, done)
    except DomainError as error:
        on_terms = _refused_on_terms(request, agreement, error)
        if on_terms is not None:
            return on_terms
        report_refusal(request, error)
    return redirect("agreements:agreement-detail", pk=agreement.pk)


@require_POST
def agreement_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _agreement_action(
        request,
        pk,
        lambda a: services.agreement_submit(agreement=a, actor=request.user),
        _("Submitted for approval."),
    )


@require_POST
def agreement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    _agreement_or_404(request, pk)
    form = forms.ApprovalForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("agreements:agreement-detail", pk=pk)
    approve = form.cleaned_data["decision"] == "approve"
    return _agreement_action(
        request,
        pk,
        lambda a: services.agreement_approve(
            agreement=a, actor=request.user, approve=approve, comment=form.cleaned_data["comment"]
        ),
        _("Approved: the agreement can be signed.") if approve else _("Sent back to the drafter."),
    )


@require_POST
def agreement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _agreement_or_404(request, pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("agreements:agreement-detail", pk=pk)
    return _agreement_action(
        request,
        pk,
        lambda a: services.agreement_cancel(
            agreement=a, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        _("The draft is cancelled."),
    )


@require_POST
def signing_link_send(request: HttpRequest, pk: int) -> HttpResponse:
    _agreement_or_404(request, pk)
    form = forms.SigningLinkForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("agreements:agreement-detail", pk=pk)
    return _agreement_action(
        request,
        pk,
        lambda a: services.signing_link_send(
            agreement=a,
            actor=request.user,
            channel=form.cleaned_data["channel"],
            email=form.cleaned_data.get("email") or "",
        ),
        _("The one-time signing link is sent to the debtor (valid 72 hours)."),
    )


def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    remote = agreement.signatures.filter(role="debtor").first()
    if request.method == "POST":
        form = forms.SignForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.agreement_sign(
                    agreement=agreement,
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                    agent_signature=data["agent_signature"],
                    debtor_signature=data["debtor_signature"],
                    witness_name=data["witness_name"],
                    witness_signature=data["witness_signature"],
                    debtor_understood=data["debtor_understood"],
                )
            except DomainError as error:
                on_terms = _refused_on_terms(request, agreement, error)
                if on_terms is not None:
                    return on_terms
                _errors_into(form, error)
            else:
                messages.success(request, _("Signed: the agreement is active and its PDF is stored."))
                return redirect("agreements:agreement-detail", pk=agreement.pk)
    else:
        form = forms.SignForm()
    return render(
        request,
        "agreements/agreement_sign.html",
        {
            "agreement": agreement,
            "case": agreement.case,
            "instalments": list(agreement.instalments.all()),
            "form": form,
            "remote": remote,
        },
    )


def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    if not agreement.pdf:
        raise Http404
    try:
        return documents.file_response(
            actor=request.user,
            key="agreement",
            handle=agreement.pdf.open("rb"),
            filename=f"{agreement.number}.pdf",
            sha256=agreement.pdf_sha256,
            case_id=agreement.case_id,
            obj=agreement,
            data={"agreement": agreement.number},
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("agreements:agreement-detail", pk=agreement.pk)


# --- payments ----------------------------------------------------------------------------------------


def payment_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_record_payment(request.user, case):
        messages.error(request, _("Only a supervisor of the team records payments. [PERMISSION_DENIED]"))
        return _back(case)
    if request.method == "POST":
        form = forms.PaymentForm(request.POST)
        if form.is_valid():
            try:
                payment = services.payment_record(
                    case=case, actor=request.user, currency=case.currency, **form.cleaned_data
                )
            except DomainError as error:
                _errors_into(form, error)
            else:
                if getattr(payment, "replayed", False):
                    messages.warning(
                        request,
                        _("This payment (reference %(ref)s) was already recorded: nothing new was recorded.")
                        % {"ref": payment.reference},
                    )
                else:
                    messages.success(request, _("The payment is recorded and allocated."))
                return _back(case)
    else:
        form = forms.PaymentForm(initial={"paid_on": timezone.localdate(), "method": "bank_transfer"})
    return render(
        request,
        "agreements/payment_form.html",
        {"case": case, "form": form, "balance": selectors.balance(case)},
    )


def payments_import(request: HttpRequest) -> HttpResponse:
    if not policies.can_import_payments(request.user):
        raise Http404
    creditors = Creditor.objects.order_by("code")
    report = None
    if request.method == "POST":
        form = forms.PaymentImportForm(request.POST, request.FILES, creditors=creditors)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = services.payments_import(
                    creditor=form.cleaned_data["creditor"],
                    actor=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except DomainError as error:
                report_refusal(request, error)
            else:
                (messages.success if report.ok else messages.error)(request, report.summary())
    else:
        form = forms.PaymentImportForm(creditors=creditors)
    return render(
        request,
        "agreements/payments_import.html",
        {"form": form, "report": report, "columns": services.payments.COLUMNS},
    )


# --- follow-up ---------------------------------------------------------------------------------------


def _owners(case: Case) -> Any:
    return (
        User.objects.filter(
            is_active=True, team_id=case.team_id, groups__name__in=[Role.SUPERVISOR, Role.FIELD_AGENT]
        )
        .distinct()
        .order_by("full_name", "username")
    )


def follow_up_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_plan_follow_up(request.user, case):
        messages.error(request, _("Your role cannot plan follow-ups on this case. [PERMISSION_DENIED]"))
        return _back(case)
    if request.method == "POST":
        form = forms.FollowUpForm(request.POST, owners=_owners(case))
        if form.is_valid():
            try:
                services.follow_up_plan(case=case, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The follow-up plan is saved."))
                return _back(case)
    else:
        latest = case.assessments.first()
        form = forms.FollowUpForm(
            owners=_owners(case),
            initial={
                "owner": request.user.pk,
                "due_on": timezone.localdate() + dt.timedelta(days=7),
                "capacity": latest.capacity if latest else "",
                "willingness": latest.willingness if latest else "",
            },
        )
    return render(request, "agreements/follow_up_form.html", {"case": case, "form": form})


@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up: FollowUp | None = selectors.open_follow_ups(request.user).filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    form = forms.DoneForm(request.POST)
    form.is_valid()
    try:
        services.follow_up_done(
            follow_up=follow_up, actor=request.user, note=form.cleaned_data.get("note", "")
        )
        messages.success(request, _("Marked done: plan the next step."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(follow_up.case)


def follow_up_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    plans = list(selectors.open_follow_ups(request.user)[:300])
    return render(
        request,
        "agreements/follow_up_list.html",
        {
            "overdue": [p for p in plans if p.due_on < today],
            "upcoming": [p for p in plans if p.due_on >= today],
            "today": today,
            "reviews": list(selectors.due_reviews(request.user)[:300]),
        },
    )


# --- escalation and closure ----------------------------------------------------------------------------


def escalate(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_close(request.user, case):
        messages.error(request, _("Only a supervisor of the team escalates a case. [PERMISSION_DENIED]"))
        return _back(case)
    if request.method == "POST":
        form = forms.EscalationForm(request.POST)
        if form.is_valid():
            try:
                services.case_escalate(case=case, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The case is escalated."))
                return _back(case)
    else:
        form = forms.EscalationForm(initial={"language": "zh-hans", "kind": "lawyer_letter"})
    return render(
        request,
        "agreements/escalation_form.html",
        {"case": case, "form": form, "balance": selectors.balance(case)},
    )


def escalation_document(request: HttpRequest, pk: int) -> HttpResponse:
    escalation = Escalation.objects.filter(
        pk=pk, case__in=case_policies.cases_visible_to(request.user)
    ).first()
    if escalation is None or not escalation.document:
        raise Http404
    try:
        return documents.file_response(
            actor=request.user,
            key="lawyer_letter",
            handle=escalation.document.open("rb"),
            filename=escalation.document.name.rsplit("/", 1)[-1],
            sha256=escalation.document_sha256,
            case_id=escalation.case_id,
            obj=escalation,
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("cases:case-detail", pk=escalation.case_id)


def close(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    if not policies.can_close(request.user, case):
        messages.error(request, _("Only a supervisor of the team closes a case. [PERMISSION_DENIED]"))
        return _back(case)
    if request.method == "POST":
        form = forms.CloseForm(request.POST)
        if form.is_valid():
            try:
                services.case_close(case=case, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("The case is closed; the closing report is stored."))
                return _back(case)
    else:
        form = forms.CloseForm(initial={"creditor_informed_on": timezone.localdate()})
    money = selectors.case_money(case)
    return render(request, "agreements/close_form.html", {"case": case, "form": form, "money": money})


@require_POST
def reopen(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case)
    try:
        services.case_reopen(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The case is reopened."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case)


def closing_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored closing report (the regulator's copy: the debtor's full personal data) for the roles
    the document policy allows; a field agent is refused with the reason (compliance/documents.py)."""
    closure = Closure.objects.filter(pk=pk, case__in=case_policies.cases_visible_to(request.user)).first()
    if closure is None or not closure.report:
        raise Http404
    try:
        return documents.file_response(
            actor=request.user,
            key="closing_report",
            handle=closure.report.open("rb"),
            filename=f"closing-report-{closure.case_id}.pdf",
            sha256=closure.report_sha256,
            case_id=closure.case_id,
            obj=closure,
        )
    except DomainError as error:
        report_refusal(request, error)
        return redirect("cases:case-detail", pk=closure.case_id)
