"""Rule-pack pages for compliance officers (list, detail, stricter copy, new version, creditor binding)
and the decision trace page linked from the visit page.

Who sees what is asked of `compliance.packs` (`can_*`); a user without the right gets 404, never a hint
that the page exists. Creditors are read through the app registry (compliance imports no stage app at
module level); the cases policy for the decision page comes through the case directory (registry.py).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.forms.models import fields_for_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.errors import DomainError

from . import packs, policies, registry
from .limitation import INTERRUPTIONS
from .models import PackChangeRequest, RuleDecision, RulePack
from .pack_floors import floor_rows
from .rules import CHECKS

_REASON_HELP = gettext_lazy(
    "Required when the change loosens anything or moves a creditor to another jurisdiction's pack: "
    "a second compliance officer reads it before approving."
)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Reason"),
        help_text=_REASON_HELP,
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


_FIELDS = [name for name in packs.PARAMETERS if name not in ("overridable", "limitation_interrupted_by")]


class PackParametersForm(forms.Form):
    """Every parameter a copy or a version may change, initialised from the pack it starts from."""

    def __init__(self, *args: Any, pack: RulePack, **kwargs: Any) -> None:
        initial = packs.parameters_of(pack)
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(fields_for_model(RulePack, fields=_FIELDS))
        for name in ("contact_window_start", "contact_window_end"):
            self.fields[name].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        self.fields["limitation_interrupted_by"] = forms.MultipleChoiceField(
            label=RulePack._meta.get_field("limitation_interrupted_by").verbose_name,
            help_text=gettext_lazy("A stricter pack may count fewer events, never more."),
            choices=list(INTERRUPTIONS.items()),
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self.fields["overridable"] = forms.MultipleChoiceField(
            label=RulePack._meta.get_field("overridable").verbose_name,
            help_text=gettext_lazy("A stricter pack may allow fewer overrides, never more."),
            choices=[(code, code) for code in CHECKS],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in packs.PARAMETERS}


class NewVersionForm(PackParametersForm):
    def __init__(self, *args: Any, pack: RulePack, **kwargs: Any) -> None:
        super().__init__(*args, pack=pack, **kwargs)
        self.fields["reason"] = _reason_field()


class StricterCopyForm(PackParametersForm):
    def __init__(self, *args: Any, pack: RulePack, **kwargs: Any) -> None:
        super().__init__(*args, pack=pack, **kwargs)
        head = {
            "code": forms.SlugField(
                label=gettext_lazy("Code of the copy"),
                max_length=40,
                help_text=gettext_lazy("Short unique code, e.g. hzbank-strict."),
            ),
            "name": forms.CharField(label=gettext_lazy("Pack name"), max_length=120),
        }
        self.fields = {**head, **self.fields}  # type: ignore[assignment]


class BindForm(forms.Form):
    creditor = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Creditor"))  # type: ignore[arg-type]
    pack = forms.ChoiceField(label=gettext_lazy("Rule pack"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = apps.get_model("cases", "Creditor").objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["pack"].choices = [  # type: ignore[attr-defined]
            (f.code, f"{f.current.name} ({f.code} v{f.current.version}, {f.current.jurisdiction})")
            for f in packs.pack_families()
        ]
        self.fields["reason"] = _reason_field()


class DecideForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("Required to reject; the requester reads it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _form_errors(form: forms.Form, error: DomainError) -> None:
    """Each failure under its field when the form has it, else at the top; code and message shown."""
    for failure in error.failures:
        field = failure.field if failure.field in form.fields else None
        form.add_error(field, f"{failure.code}: {failure.message}")


# --- pages ---------------------------------------------------------------------------------------


def pack_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_packs(request.user):
        raise Http404
    return render(
        request,
        "compliance/rulepack_list.html",
        {
            "families": packs.pack_families(),
            "can_manage": policies.can_manage_packs(request.user),
            "can_bind": policies.can_bind_creditor(request.user),
            "pending": packs.pending_changes(),
        },
    )


def pack_detail(request: HttpRequest, code: str, version: int) -> HttpResponse:
    if not policies.can_view_packs(request.user):
        raise Http404
    pack = get_object_or_404(
        RulePack.objects.select_related("based_on", "created_by"), code=code, version=version
    )
    latest = packs.latest_version(code)
    is_current = latest is not None and latest.pk == pack.pk
    return render(
        request,
        "compliance/rulepack_detail.html",
        {
            "pack": pack,
            "rows": packs.parameter_rows(pack),
            "current": latest,
            "is_current": is_current,
            "creditors": packs.creditors_bound_to(code),
            "can_manage": policies.can_manage_packs(request.user),
            "can_view_decisions": policies.can_view_all_decisions(request.user),
            "pending": packs.pending_changes_for(code),
            "floor": floor_rows(pack.jurisdiction, {n: str(packs._label(n)) for n in packs.PARAMETERS}),
        },
    )


def pack_copy(request: HttpRequest, code: str, version: int) -> HttpResponse:
    if not policies.can_manage_packs(request.user):
        raise Http404
    base = get_object_or_404(RulePack, code=code, version=version)
    form = StricterCopyForm(request.POST or None, pack=base)
    if request.method == "POST" and form.is_valid():
        try:
            copy = packs.pack_create_stricter_copy(
                base=base,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                changes=form.changes(),
                actor=request.user,
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Rule pack %(code)s v1 created.") % {"code": copy.code})
            return redirect("compliance:rulepack-detail", code=copy.code, version=copy.version)
    return render(
        request,
        "compliance/rulepack_form.html",
        {
            "form": form,
            "base": base,
            "title": _("Create a stricter copy of %(pack)s") % {"pack": base},
            "intro": _("Every parameter must be at least as strict as in the base pack."),
        },
    )


def pack_version(request: HttpRequest, code: str) -> HttpResponse:
    if not policies.can_manage_packs(request.user):
        raise Http404
    latest = packs.latest_version(code)
    if latest is None:
        raise Http404
    form = NewVersionForm(request.POST or None, pack=latest)
    if request.method == "POST" and form.is_valid():
        try:
            result = packs.pack_new_version(
                pack_code=code, changes=form.changes(), actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            if isinstance(result, PackChangeRequest):
                messages.warning(
                    request,
                    _(
                        "This version loosens the pack: it waits for a second compliance officer's "
                        "approval (request #%(pk)d). Nothing changed yet."
                    )
                    % {"pk": result.pk},
                )
                return redirect("compliance:rulepack-change-detail", pk=result.pk)
            messages.success(
                request,
                _("Rule pack %(code)s v%(version)d created.") % {"code": code, "version": result.version},
            )
            return redirect("compliance:rulepack-detail", code=code, version=result.version)
    return render(
        request,
        "compliance/rulepack_form.html",
        {
            "form": form,
            "base": latest,
            "title": _("New version of %(pack)s") % {"pack": latest},
            "intro": _(
                "The current version stays as it is; decisions already taken keep pointing at it. "
                "Creditors bound to this code follow the new version from now on. A version that "
                "loosens anything waits for a second compliance officer; none may go below the "
                "jurisdiction's floor."
            ),
        },
    )


def creditor_bind(request: HttpRequest) -> HttpResponse:
    if not policies.can_bind_creditor(request.user):
        raise Http404
    form = BindForm(request.POST or None, initial={"creditor": request.GET.get("creditor")})
    if request.method == "POST" and form.is_valid():
        try:
            result = packs.creditor_bind_pack(
                creditor=form.cleaned_data["creditor"],
                pack_code=form.cleaned_data["pack"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            if isinstance(result, PackChangeRequest):
                messages.warning(
                    request,
                    _(
                        "This move waits for a second compliance officer's approval (request #%(pk)d); "
                        "the creditor keeps its pack until then."
                    )
                    % {"pk": result.pk},
                )
                return redirect("compliance:rulepack-change-detail", pk=result.pk)
            messages.success(
                request,
                _("%(creditor)s now follows the rule pack %(code)s.")
                % {"creditor": result.name, "code": result.rule_pack_code},
            )
            return redirect("compliance:rulepack-list")
    return render(request, "compliance/rulepack_bind.html", {"form": form})


# --- four eyes: pending rule-pack changes ---------------------------------------------------------


def change_list(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_packs(request.user):
        raise Http404
    return render(
        request,
        "compliance/rulepack_change_list.html",
        {"pending": packs.pending_changes(), "recent": packs.decided_changes(size=20)},
    )


def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not policies.can_view_packs(request.user):
        raise Http404
    change = get_object_or_404(
        PackChangeRequest.objects.select_related("requested_by", "decided_by", "result_pack"), pk=pk
    )
    return _change_page(request, change, DecideForm())


def _change_page(request: HttpRequest, change: PackChangeRequest, form: forms.Form) -> HttpResponse:
    pending = change.status == PackChangeRequest.Status.PENDING
    return render(
        request,
        "compliance/rulepack_change_detail.html",
        {
            "change": change,
            "rows": packs.change_rows(change),
            "creditor": packs.creditor_of(change),
            "form": form,
            "can_approve": pending and policies.can_approve_pack_change(request.user, change),
            "can_reject": pending and policies.can_approve_pack_change(request.user, change),
            "can_withdraw": pending and change.requested_by_id == request.user.pk,
            "own": change.requested_by_id == request.user.pk,
        },
    )


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    if not policies.can_view_packs(request.user):
        raise Http404
    change = get_object_or_404(PackChangeRequest.objects.select_related("requested_by"), pk=pk)
    if not (policies.can_manage_packs(request.user) or change.requested_by_id == request.user.pk):
        raise Http404
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            if approve:
                packs.pack_change_approve(change=change, actor=request.user, note=form.cleaned_data["note"])
            else:
                change = packs.pack_change_decline(
                    change=change, actor=request.user, note=form.cleaned_data["note"]
                )
        except DomainError as error:
            for failure in error.failures:
                form.add_error(
                    "note" if failure.field == "note" else None, f"{failure.code}: {failure.message}"
                )
        else:
            if approve:
                messages.success(request, _("Approved: the change is in force."))
            else:
                messages.success(request, _("The change was closed without effect."))
            return redirect("compliance:rulepack-change-detail", pk=pk)
    change.refresh_from_db()
    return _change_page(request, change, form)


@require_POST
def change_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_POST
def change_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One decision's trace: pack and version, inputs, failures, outcome, override reason and who."""
    decision = (
        RuleDecision.objects.select_related("pack", "actor", "override_of__actor").filter(pk=pk).first()
    )
    if decision is None or not policies.decision_visible_to(
        request.user, decision, can_view_case=registry.case_directory().can_view
    ):
        raise Http404
    inputs = decision.inputs or {}
    facts = inputs.get("facts", {})
    return render(
        request,
        "compliance/decision_detail.html",
        {
            "decision": decision,
            "overrides": list(decision.overrides.select_related("actor")),
            "facts": [(key, json.dumps(value, ensure_ascii=False)) for key, value in facts.items()],
            "pack_trace": json.dumps(inputs.get("pack", {}), ensure_ascii=False, indent=1),
            "can_view_packs": policies.can_view_packs(request.user),
        },
    )
