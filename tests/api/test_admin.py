"""The administrator manages keys, tokens and webhooks in the Django admin: a new secret is shown once
on a page of its own (never kept in a message cookie), revocations are audited, the delivery log
shows each delivery with its attempts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import system_user
from api import services
from api.models import ApiKey, UserToken, WebhookDelivery, WebhookEndpoint
from api.services.credentials import secret_digest
from tests.api.conftest import key_client, user_client
from tests.factories import audit_actions_since, audit_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):  # type: ignore[no-untyped-def]
    client.force_login(administrator)
    return client


def test_adding_a_key_shows_it_once(admin_client, placing_creditor):
    head = audit_head()

    response = admin_client.post(
        reverse("admin:api_apikey_add"),
        {"creditor": placing_creditor.pk, "name": "core banking", "expires_at_0": "", "expires_at_1": ""},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    secret = response.context["secret"]
    assert secret.startswith(f"flk_{key.prefix}_")
    assert key.digest == secret_digest(secret)
    assert not response.cookies.get("messages")
    assert audit_actions_since(head)[-1] == "api.key_created"
    assert key.created_by is not None
    assert key_client(secret).get(reverse("api:creditor-case-list")).status_code == 200
    assert secret not in admin_client.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()


def test_a_key_without_a_name_is_a_form_error(admin_client, placing_creditor):
    response = admin_client.post(
        reverse("admin:api_apikey_add"), {"creditor": placing_creditor.pk, "name": ""}
    )

    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    assert response.context["adminform"].form.errors


def test_the_revoke_actions(admin_client, placing_creditor, agent):
    issued = services.api_key_create(creditor=placing_creditor, name="x", actor=system_user())
    api = user_client(agent)
    head = audit_head()

    admin_client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [issued.credential.pk]},
    )
    admin_client.post(
        reverse("admin:api_usertoken_changelist"),
        {"action": "revoke", "_selected_action": [UserToken.objects.get().pk]},
    )

    assert audit_actions_since(head) == ["api.key_revoked", "api.token_revoked"]
    assert key_client(issued.secret).get(reverse("api:creditor-case-list")).status_code == 401
    assert api.get(reverse("api:case-list")).status_code == 401


def test_an_endpoint_is_added_with_its_secret_shown_once_and_rotated(admin_client, creditor):
    response = admin_client.post(
        reverse("admin:api_webhookendpoint_add"),
        {"creditor": creditor.pk, "url": "https://hooks.example/fl", "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    rotated = admin_client.post(
        reverse("admin:api_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )

    assert response.context["secret"].startswith("whsec_")
    assert rotated.context["secret"] != response.context["secret"]
    assert "no-store" in rotated["Cache-Control"]


def test_an_http_url_is_a_form_error(admin_client, creditor):
    response = admin_client.post(
        reverse("admin:api_webhookendpoint_add"),
        {"creditor": creditor.pk, "url": "http://hooks.example/fl", "is_active": "on"},
    )

    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_lists_deliveries_and_their_attempts(admin_client, creditor, case, agent):
    from tests.api.test_webhooks import URL, verify_and_unverify

    services.webhook_endpoint_create(creditor=creditor, url=URL, actor=system_user())
    services.stage_changes_scan()
    verify_and_unverify(case, agent)
    services.stage_changes_scan()
    delivery = WebhookDelivery.objects.first()

    listing = admin_client.get(reverse("admin:api_webhookdelivery_changelist"))
    detail = admin_client.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk]))

    assert listing.status_code == detail.status_code == 200
    assert str(delivery.event_id) in listing.content.decode()
    assert admin_client.get(reverse("admin:api_stagechange_changelist")).status_code == 200


def test_a_supervisor_has_no_access_to_the_api_admin(client, supervisor):
    client.force_login(supervisor)

    assert client.get(reverse("admin:api_apikey_changelist")).status_code in (302, 403)
