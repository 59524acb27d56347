"""The case page's "Debtor facts" section: record and lift facts, record and withdraw consents.

Thin: parse the form, call one service (cases/services/facts.py), redirect to the section; refusals
become messages naming the field and the rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_form_errors, report_refusal

from . import fact_forms, policies, services
from .fact_models import FactKind, FactScope
from .models import Case
from .views import _back, _case_or_404


def _address_choices(case: Case, addresses: Any = None) -> list[tuple[int, str]]:
    rows = addresses if addresses is not None else case.debtor.addresses.all()
    return [(a.pk, f"{a.get_kind_display()}: {a.masked}") for a in rows]


def facts_context(user: Any, case: Case, facts: list[Any], consents: list[Any]) -> dict[str, Any]:
    """What the section shows: the facts and consents (newest first, lifted/withdrawn ones kept), the
    lawyers to route contact to while a representation stands, the forms for who may use them."""
    addresses = _address_choices(case, case.debtor.addresses.all())
    can_record = policies.can_record_debtor_fact(user, case)
    in_force = [f for f in facts if f.lifted_at is None]
    return {
        "debtor_facts": facts,
        "consents": consents,
        "lawyers": [f for f in in_force if f.kind == FactKind.REPRESENTATION],
        "lawyers_everywhere": any(
            f.kind == FactKind.REPRESENTATION and f.scope == FactScope.ALL for f in in_force
        ),
        "can_record_fact": can_record,
        "can_lift_fact": policies.can_lift_debtor_fact(user, case),
        "can_see_fact_details": policies.can_view_full_pii(user, case),
        "fact_forms": [
            (
                kind,
                FactKind(kind).label,
                form_class(addresses=addresses) if kind == FactKind.INCONVENIENT_PLACE else form_class(),
            )  # type: ignore[call-arg]
            for kind, form_class in fact_forms.FACT_FORMS.items()
        ]
        if can_record
        else [],
        "consent_form": fact_forms.ConsentForm(addresses=addresses) if can_record else None,
        "lift_form": fact_forms.LiftForm(),
        "finances_form": fact_forms.FinancesForm(
            initial={
                "occupation": case.debtor.occupation,
                "employer": case.debtor.employer,
                "monthly_income": case.debtor.monthly_income,
                "income_currency": case.debtor.income_currency,
                "assets": case.debtor.assets,
            }
        )
        if policies.can_work_on(user, case)
        else None,
    }


@require_POST
def case_fact_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    form_class = fact_forms.FACT_FORMS.get(kind)
    if form_class is None:
        raise Http404
    extra = {"addresses": _address_choices(case)} if kind == FactKind.INCONVENIENT_PLACE else {}
    form = form_class(request.POST, request.FILES, **extra)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case, "facts")
    try:
        services.debtor_fact_record(
            case=case, actor=request.user, **fact_forms.fact_service_kwargs(kind, form.cleaned_data)
        )
        messages.success(request, _("The fact is recorded."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case, "facts")


@require_POST
def case_fact_lift(request: HttpRequest, pk: int, fact_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = fact_forms.LiftForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case, "facts")
    try:
        services.debtor_fact_lift(
            case=case, actor=request.user, fact_id=fact_id, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The fact is lifted."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case, "facts")


@require_POST
def case_consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = fact_forms.ConsentForm(request.POST, request.FILES, addresses=_address_choices(case))
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case, "facts")
    try:
        services.consent_record(case=case, actor=request.user, **form.service_kwargs())
        messages.success(request, _("The consent is recorded."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case, "facts")


@require_POST
def case_consent_withdraw(request: HttpRequest, pk: int, consent_id: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = fact_forms.LiftForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case, "facts")
    try:
        services.consent_withdraw(
            case=case, actor=request.user, consent_id=consent_id, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The withdrawal of the consent is recorded."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case, "facts")


@require_POST
def case_finances(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = fact_forms.FinancesForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(case, "facts")
    try:
        services.debtor_finances_record(case=case, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The debtor's work and means are recorded."))
    except DomainError as error:
        report_refusal(request, error)
    return _back(case, "facts")
