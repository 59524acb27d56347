"""The second-factor pages: set up the authenticator (QR code and key), enter a code after the password,
and a new set of backup codes. Only users who must pass a second factor (TWO_FACTOR_ROLES) reach them;
everyone else gets 404. The services (accounts/two_factor.py) write and audit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from common.errors import DomainError

from . import two_factor
from .policies import requires_two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _guard(request: HttpRequest) -> None:
    if not requires_two_factor(request.user):
        raise Http404


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:case-list")


def _errors(form: forms.Form, error: DomainError) -> None:
    for failure in error.failures:
        form.add_error("code" if failure.field == "code" else None, f"{failure.message} [{failure.code}]")


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Rendered in the response to the POST only: the codes are shown this once and stored nowhere else.
    response = render(
        request, "accounts/two_factor_backup_codes.html", {"codes": codes, "next": _next(request)}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    _guard(request)
    user = request.user
    if two_factor.is_enrolled(user):
        return redirect(f"{reverse('accounts:2fa-verify')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = two_factor.two_factor_enrol(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            _errors(form, error)
        else:
            otp_login(request, enrolled.device)
            return _codes_page(request, enrolled.backup_codes)
    device = two_factor.totp_pending(user=user)
    qr = segno.make(device.config_url, error="m")
    key = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    response = render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, border=2),
            "manual_key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "next": _next(request),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    _guard(request)
    user = request.user
    if not two_factor.is_enrolled(user):
        return redirect(f"{reverse('accounts:2fa-setup')}?{urlencode({'next': _next(request)})}")
    if user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(
                user=user, code=form.cleaned_data["code"], ip=request.META.get("REMOTE_ADDR")
            )
        except DomainError as error:
            _errors(form, error)
        else:
            otp_login(request, device)
            left = two_factor.backup_codes_left(user)
            if left <= 3:
                messages.warning(
                    request,
                    _("%(n)d backup codes left: make a new set on the two-factor page.") % {"n": left},
                )
            return redirect(_next(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)})


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Where an enrolled user sees how many backup codes are left and makes a new set."""
    _guard(request)
    user = request.user
    if request.method == "POST":
        try:
            codes = two_factor.backup_codes_regenerate(user=user)
        except DomainError as error:
            for failure in error.failures:
                messages.error(request, f"{failure.message} [{failure.code}]")
            return redirect("accounts:2fa-manage")
        return _codes_page(request, codes)
    context: dict[str, Any] = {
        "enrolled": two_factor.is_enrolled(user),
        "backup_codes_left": two_factor.backup_codes_left(user),
    }
    return render(request, "accounts/two_factor_manage.html", context)
