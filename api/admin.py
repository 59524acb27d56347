"""Admin for API keys, user tokens, webhook endpoints and the delivery log (administrators).

Keys, tokens and endpoints are made and changed through api.services (audited); a new key's or
endpoint's secret is shown once, on a page of its own (never in a message, which would keep it in a
cookie), with caching forbidden. Nothing here can be deleted: a revoked key stays listed, so that the
`apikey:<id>` of the audit trail always names a row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin
from common.errors import DomainError

from . import services
from .models import ApiKey, StageChange, UserToken, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services.credentials import key_input_failures
from .services.webhooks import url_failures


def _secret_page(
    request: HttpRequest, model: Any, *, title: str, intro: str, secret: str, usage: str
) -> HttpResponse:
    opts = model._meta
    response = TemplateResponse(
        request,
        "admin/api/secret_once.html",
        {
            **admin.site.each_context(request),
            "opts": opts,
            "title": title,
            "intro": intro,
            "secret": secret,
            "usage": usage,
            "back_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _failures_into(form: forms.Form, failures: list[Any]) -> None:
    for failure in failures:
        form.add_error(
            failure.field if failure.field in form.fields else None, f"{failure.message} [{failure.code}]"
        )


class _Credentials(admin.ModelAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("status"))
    def status_display(self, obj: Any) -> str:
        return {"active": gettext("Active"), "expired": gettext("Expired"), "revoked": gettext("Revoked")}[
            obj.status
        ]


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("creditor", "name", "expires_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _failures_into(
            self,
            key_input_failures(
                name=data.get("name", ""), expires_at=data.get("expires_at"), now=timezone.now()
            ),
        )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(_Credentials):
    form = ApiKeyForm
    list_display = (
        "prefix",
        "name",
        "creditor",
        "status_display",
        "created_at",
        "expires_at",
        "last_used_at",
    )
    list_filter = ("creditor",)
    list_select_related = ("creditor",)
    search_fields = ("=prefix", "name", "creditor__code")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (
            "prefix",
            "creditor",
            "name",
            "created_at",
            "created_by",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("creditor", "name", "expires_at") if obj is None else self.get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return  # keys do not change: revoke and make a new one
        issued = services.api_key_create(
            creditor=obj.creditor, name=obj.name, expires_at=obj.expires_at, actor=request.user
        )
        obj.pk, obj.prefix, obj.created_at = (
            issued.credential.pk,
            issued.credential.prefix,
            issued.credential.created_at,
        )
        request._fieldledger_secret = issued.secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None) -> HttpResponse:
        return _secret_page(
            request,
            ApiKey,
            title=gettext("API key created"),
            intro=gettext("The API key “%(name)s” for %(creditor)s:")
            % {"name": obj.name, "creditor": obj.creditor},
            secret=request._fieldledger_secret,  # type: ignore[attr-defined]
            usage=gettext(
                "The creditor's system sends it as the header Authorization: Api-Key <key> (docs/api.md)."
            ),
        )

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(key=key, actor=request.user)
            done += 1
        self.message_user(request, gettext("%(n)d keys revoked.") % {"n": done}, messages.SUCCESS)


@admin.register(UserToken)
class UserTokenAdmin(_Credentials):
    list_display = ("prefix", "user", "name", "status_display", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("=prefix", "user__username")
    readonly_fields = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # users obtain tokens themselves (POST /api/v1/auth/token/)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.user_token_revoke(token=token, actor=request.user)
            done += 1
        self.message_user(request, gettext("%(n)d tokens revoked.") % {"n": done}, messages.SUCCESS)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ("creditor", "url", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _failures_into(self, url_failures(data.get("url", "")))
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("creditor", "url", "is_active", "secret_hint", "secret_set_at", "updated_at")
    list_select_related = ("creditor",)
    readonly_fields = ("secret_hint", "secret_set_at", "created_at", "updated_at")
    actions = ["rotate_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields + (("creditor",) if obj is not None else ())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: deliveries keep pointing at it

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        if change:
            services.webhook_endpoint_update(
                endpoint=obj, url=obj.url, is_active=obj.is_active, actor=request.user
            )
            return
        made = services.webhook_endpoint_create(
            creditor=obj.creditor, url=obj.url, is_active=obj.is_active, actor=request.user
        )
        obj.pk = made.endpoint.pk
        request._fieldledger_secret = made.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: Any = None
    ) -> HttpResponse:
        return self._secret(request, obj, request._fieldledger_secret)  # type: ignore[attr-defined]

    def _secret(self, request: HttpRequest, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
        return _secret_page(
            request,
            WebhookEndpoint,
            title=gettext("Webhook signing secret"),
            intro=gettext("The signing secret of %(creditor)s's webhook endpoint:")
            % {"creditor": endpoint.creditor},
            secret=secret,
            usage=gettext(
                "Give it to the creditor: they check X-FieldLedger-Signature with it (docs/api.md, Webhooks)."
            ),
        )

    @admin.action(description=_("Rotate the signing secret (shows the new one once)"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one endpoint."), messages.ERROR)
            return None
        try:
            made = services.webhook_secret_rotate(endpoint=queryset.get(), actor=request.user)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        return self._secret(request, made.endpoint, made.secret)


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "at", "status_code", "error", "duration_ms", "next_attempt_at")
    readonly_fields = fields
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: each stage change sent to a creditor, its attempts, answers and next retry."""

    list_display = (
        "event_id",
        "creditor",
        "case_link",
        "transition",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "endpoint__creditor")
    list_select_related = ("endpoint__creditor", "change")
    search_fields = ("=event_id", "=change__case__id", "change__external_ref")
    readonly_fields = (
        "event_id",
        "endpoint",
        "change",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("creditor"))
    def creditor(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.creditor.code

    @admin.display(description=_("case"))
    def case_link(self, obj: WebhookDelivery) -> str:
        return f"{obj.change.case_id} ({obj.change.external_ref})"

    @admin.display(description=_("change"))
    def transition(self, obj: WebhookDelivery) -> str:
        return f"{obj.change.from_stage} → {obj.change.to_stage}"

    @admin.action(description=_("Try the selected failed deliveries once more"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        from .tasks import queue_deliveries

        retried = []
        for delivery in queryset.filter(status="failed"):
            services.webhook_delivery_retry(delivery=delivery, actor=request.user)
            retried.append(delivery.pk)
        queue_deliveries(retried)
        self.message_user(
            request, gettext("%(n)d deliveries queued again.") % {"n": len(retried)}, messages.SUCCESS
        )


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: every stage change found in the case history (read-only)."""

    list_display = ("case_id", "external_ref", "creditor", "from_stage", "to_stage", "at", "found_at")
    list_filter = ("to_stage", "creditor")
    list_select_related = ("creditor",)
    search_fields = ("=case__id", "external_ref")
