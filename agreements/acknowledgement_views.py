"""The debtor's acknowledgement of the debt, recorded from the case page (the limitation section), and a
scheduled review of a follow-up plan marked done from the follow-ups page. Thin: parse the form, call
one service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.views import report_refusal

from . import forms, policies, selectors, services
from .views import _case_or_404, _errors_into


def acknowledgement_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(request, case_pk)
    back = f"{reverse('cases:case-detail', args=[case.pk])}#limitation"
    if not policies.can_record_acknowledgement(request.user, case):
        messages.error(
            request, _("Your role cannot record an acknowledgement on this case. [PERMISSION_DENIED]")
        )
        return redirect(back)
    form = forms.AcknowledgementRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledgement_record(case=case, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request, _("The acknowledgement is recorded; the limitation period starts again.")
            )
            return redirect(back)
    return render(request, "agreements/acknowledgement_form.html", {"case": case, "form": form})


@require_POST
def review_done(request: HttpRequest, pk: int) -> HttpResponse:
    """A scheduled review of a follow-up plan is done (from the follow-ups page)."""
    review = selectors.due_reviews(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404
    try:
        services.review_complete(review=review, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as error:
        report_refusal(request, error)
    else:
        messages.success(request, _("The review is recorded."))
    return redirect(f"{reverse('agreements:follow-up-list')}#reviews")
