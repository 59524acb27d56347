"""Pages for prior notices, the debtor's answer, a case's contact history and the notice templates.

Thin: parse a form, call one service, redirect; a refusal becomes messages naming field and rule.
Objects the user cannot see are 404. `notices_section` gives the visit page what `_notices.html` needs.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import policies as case_policies
from cases.models import Case
from common.errors import DomainError
from common.views import report_form_errors as _form_errors
from common.views import report_refusal as _report

from . import notice_forms, notice_texts, services
from .models import ContactAttempt, Notice, NoticeGroup, Visit, VisitState
from .policies import can_edit_templates, can_record_contact, can_record_notice, can_resume_visits


def _visible_case(request: HttpRequest, pk: int) -> Case:
    case = (
        case_policies.cases_visible_to(request.user)
        .select_related("debtor", "creditor")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _visible_visit(request: HttpRequest, pk: int) -> Visit:
    cases = case_policies.cases_visible_to(request.user).values("pk")
    visit = (
        Visit.objects.filter(case_id__in=cases, pk=pk)
        .select_related("case__debtor", "case__creditor", "address")
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def _visible_notice(request: HttpRequest, pk: int) -> Notice:
    cases = case_policies.cases_visible_to(request.user).values("pk")
    notice = (
        Notice.objects.filter(visit__case_id__in=cases, pk=pk)
        .select_related("visit__case__creditor", "visit__case__debtor", "recorded_by")
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def _both_zones(value: Any, zone: str) -> dict[str, Any]:
    """A time in the debtor's zone and in the user's (the active time zone)."""
    if value is None:
        return {"debtor": None, "user": None, "zone": zone}
    return {"debtor": value.astimezone(ZoneInfo(zone)), "user": timezone.localtime(value), "zone": zone}


def qr_svg(link: str) -> str:
    """An inline SVG QR code of the verification link (segno: pure Python, no image library)."""
    if not link:
        return ""
    return mark_safe(segno.make(link, error="m").svg_inline(scale=4, dark="#111"))  # noqa: S308 (segno's own SVG)


def notice_rows(visit: Visit) -> list[dict[str, Any]]:
    return [
        {
            "notice": n,
            "given": _both_zones(n.given_at, visit.time_zone),
            "answered": _both_zones(n.answered_at, visit.time_zone),
        }
        for n in visit.notices.select_related("recorded_by").order_by("-given_at", "-pk")
    ]


def notices_section(request: HttpRequest, visit: Visit) -> dict[str, Any]:
    """Context for `visits/_notices.html` on the visit page: include it with these variables."""
    can_record = can_record_notice(request.user, visit.case)
    return {
        "visit": visit,
        "notice_rows": notice_rows(visit),
        "can_record_notice": can_record,
        "notice_form": notice_forms.NoticeForm(
            phones=visit.case.debtor.phones.all(),
            initial={"given_at": timezone.localtime().replace(second=0, microsecond=0)},
        )
        if can_record and visit.state == VisitState.APPROVED
        else None,
        "answer_form": notice_forms.AnswerForm() if can_record else None,
    }


def notice_create(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visible_visit(request, pk)
    if not can_record_notice(request.user, visit.case):
        raise Http404
    form = notice_forms.NoticeForm(
        request.POST or None,
        phones=visit.case.debtor.phones.all(),
        initial={"given_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.notice_record(
                    visit=visit,
                    actor=request.user,
                    channel=data["channel"],
                    given_at=data["given_at"],
                    language=data["language"],
                    text=data["text"] or None,
                    phone_id=data["phone_id"],
                    email=data["email"] or "",
                )
            except DomainError as error:
                _report(request, error)
            else:
                messages.success(request, _("The notice is recorded."))
                return redirect("visits:notice-detail", pk=notice.pk)
        else:
            _form_errors(request, form)
    return render(
        request,
        "visits/notice_form.html",
        {"visit": visit, "form": form, "when": _both_zones(visit.window_start, visit.time_zone)},
    )


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible_notice(request, pk)
    visit = notice.visit
    link = notice_texts.link_in(notice.text)
    can_record = can_record_notice(request.user, visit.case)
    return render(
        request,
        "visits/notice_detail.html",
        {
            "notice": notice,
            "visit": visit,
            "given": _both_zones(notice.given_at, visit.time_zone),
            "window": _both_zones(visit.window_start, visit.time_zone),
            "link": link,
            "qr": qr_svg(link),
            "answer_form": notice_forms.AnswerForm() if can_record else None,
        },
    )


@require_POST
def notice_answer(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible_notice(request, pk)
    if not can_record_notice(request.user, notice.visit.case):
        raise Http404
    form = notice_forms.AnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.notice_answer(
                notice=notice,
                actor=request.user,
                answer=data["answer"],
                note=data["note"],
                proposed_window_start=data["proposed_window_start"],
                proposed_window_end=data["proposed_window_end"],
            )
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("The answer is recorded."))
    else:
        _form_errors(request, form)
    return redirect("visits:notice-detail", pk=notice.pk)


def contact_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's one contact history (every channel, notices and visits included) and a form."""
    case = _visible_case(request, pk)
    can_record = can_record_contact(request.user, case)
    form = notice_forms.ContactForm(
        request.POST or None,
        phones=case.debtor.phones.all(),
        initial={"at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST":
        if not can_record:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                contact = services.contact_record(
                    case=case,
                    actor=request.user,
                    channel=data["channel"],
                    at=data["at"],
                    result=data["result"],
                    note=data["note"],
                    phone_id=data["phone_id"],
                )
            except DomainError as error:
                _report(request, error)
            else:
                messages.success(request, _("The contact is recorded."))
                for warning in getattr(contact, "warnings", ()):
                    messages.warning(request, f"{warning.message} [{warning.code}]")
                return redirect("visits:contact-list", pk=case.pk)
        else:
            _form_errors(request, form)
    # One query for the history: the recorder and the notice come with each row.
    contacts = (
        ContactAttempt.objects.filter(case=case)
        .select_related("recorded_by", "notice")
        .order_by("-at", "-pk")
    )
    zone = case.debtor.time_zone
    return render(
        request,
        "visits/contact_list.html",
        {
            "case": case,
            "rows": [{"contact": c, "at": _both_zones(c.at, zone)} for c in contacts],
            "form": form if can_record else None,
            "resume_form": notice_forms.ResumeForm()
            if can_resume_visits(request.user, case) and case.debtor.visits_refused
            else None,
        },
    )


@require_POST
def visits_resume(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    if not can_resume_visits(request.user, case):
        raise Http404
    form = notice_forms.ResumeForm(request.POST)
    if form.is_valid():
        try:
            services.visits_resume(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("Visits may be planned again; the override is recorded."))
    else:
        _form_errors(request, form)
    return redirect("visits:contact-list", pk=case.pk)


def template_list(request: HttpRequest) -> HttpResponse:
    if not can_edit_templates(request.user):
        raise Http404
    rows = []
    for group in NoticeGroup:
        for language in notice_texts.LANGUAGES:
            words = notice_texts.wording(language=language, group=group.value)
            rows.append({"group": group, "language": language, "words": words})
    return render(request, "visits/notice_template_list.html", {"rows": rows})


def template_edit(request: HttpRequest, language: str, group: str) -> HttpResponse:
    if (
        not can_edit_templates(request.user)
        or language not in notice_texts.LANGUAGES
        or group not in NoticeGroup.values
    ):
        raise Http404
    words = notice_texts.wording(language=language, group=group)
    form = notice_forms.TemplateForm(
        request.POST or None, initial={"subject": words.subject, "body": words.body}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.notice_template_save(
                    language=language,
                    group=group,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    actor=request.user,
                )
            except DomainError as error:
                _report(request, error)
            else:
                messages.success(request, _("The notice template is saved."))
                return redirect("visits:notice-template-list")
        else:
            _form_errors(request, form)
    return render(
        request,
        "visits/notice_template_form.html",
        {
            "form": form,
            "language": language,
            "group": NoticeGroup(group),
            "words": words,
            "placeholders": ["{" + p + "}" for p in notice_texts.PLACEHOLDERS],
        },
    )
