"""The debtor's own phone: the one-time signing link. No sign-in; rate-limited per client IP; the debtor
first proves it is them (the last 4 characters of their document number), then reads and signs. Every
answer for a wrong, used or expired link is the same 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.errors import DomainError
from visits.public_views import rate_limited

from . import forms, services

SESSION_KEY = "fieldledger_signing_identified"


@never_cache
@login_not_required
def sign(request: HttpRequest, token: str) -> HttpResponse:
    if rate_limited(request):
        return HttpResponse(_("Too many requests: try again in a minute."), status=429)
    link = services.link_lookup(token)
    if link is None:
        raise Http404
    agreement = link.agreement
    identified = request.session.get(SESSION_KEY) == link.pk
    error = ""
    if request.method == "POST" and not identified:
        form = forms.IdentifyForm(request.POST)
        if form.is_valid() and services.link_identify(link=link, id_last4=form.cleaned_data["id_last4"]):
            request.session[SESSION_KEY] = link.pk
            return redirect("agreements:public-sign", token=token)
        error = _("That does not match the document on file.")
    elif request.method == "POST":
        form = forms.RemoteSignForm(request.POST)
        if form.is_valid():
            try:
                services.agreement_sign_remote(
                    link=link,
                    signature=form.cleaned_data["signature"],
                    understood=form.cleaned_data["understood"],
                )
            except DomainError as refused:
                error = " ".join(f"{f.message}" for f in refused.failures)
            else:
                request.session.pop(SESSION_KEY, None)
                return render(request, "agreements/public_signed.html", {"agreement": agreement})
    context = {
        "agreement": agreement,
        "case": agreement.case,
        "instalments": list(agreement.instalments.order_by("number")),
        "identified": identified,
        "identify_form": forms.IdentifyForm(),
        "sign_form": forms.RemoteSignForm(),
        "error": error,
    }
    return render(request, "agreements/public_sign.html", context)
