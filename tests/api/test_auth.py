"""Credentials: creditor API keys (hashed, shown once, revocable, expiring, scoped) and user tokens
(obtained with a password, inactive users refused, revoked on logout or by an administrator).
Unauthenticated calls get 401 in JSON, never the login page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import system_user
from api import services
from api.models import ApiKey, UserToken
from api.services.credentials import secret_digest
from common.errors import DomainError, PermissionRefused
from compliance.models import AuditEvent
from tests.api.conftest import key_client, key_for, token_for, user_client
from tests.factories import UserFactory, audit_actions_since, audit_events_since, audit_head

pytestmark = pytest.mark.django_db

USER_URL = "/api/v1/cases/"
CREDITOR_URL = "/api/v1/creditor/cases/"


# --- no credential, a wrong one ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "scheme"), [(USER_URL, "Bearer"), (CREDITOR_URL, "Api-Key")])
def test_no_credential_is_401_json_not_a_login_redirect(client, url, scheme):
    response = client.get(url)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == scheme
    assert response.json()["errors"][0]["code"] == "NOT_AUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    ["Api-Key flk_00000000_" + "x" * 43, "Api-Key nonsense", "Api-Key", "Api-Key a b", "Api-Key \u00e9"],
)
def test_a_wrong_key_is_401(creditor_key, header):
    response = APIClient().get(CREDITOR_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "AUTHENTICATION_FAILED"


def api_urls() -> list[tuple[str, str]]:
    from tests.accounts.test_auth import PATTERNS

    return [(name, path) for name, path in PATTERNS if name.startswith("api:")]


PUBLIC = {"api:schema", "api:docs", "api:token", "api:not-found"}


@pytest.mark.parametrize(("name", "path"), api_urls(), ids=[n for n, _p in api_urls()])
def test_every_api_url_answers_anonymous_calls_in_json_never_with_the_login_page(client, name, path):
    for response in (client.get(path), client.post(path, {}, content_type="application/json")):
        assert response.status_code != 302, path
        if name in PUBLIC:
            continue
        assert response.status_code == 401, path
        assert response.json()["errors"][0]["code"] == "NOT_AUTHENTICATED"


def test_an_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"


# --- creditor API keys --------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_and_shown_once(placing_creditor):
    head = audit_head()

    issued = services.api_key_create(creditor=placing_creditor, name="core banking", actor=system_user())

    key = ApiKey.objects.get(pk=issued.credential.pk)
    assert issued.secret.startswith(f"flk_{key.prefix}_")
    assert key.digest == secret_digest(issued.secret) != issued.secret
    assert issued.secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert audit_actions_since(head) == ["api.key_created"]
    event = audit_events_since(head)[0]
    assert event.data == {"creditor": "hzbank", "prefix": key.prefix, "expires_at": None}
    assert issued.secret not in str(event.data)
    assert key.digest not in str(event.data)


def test_a_valid_key_works_and_its_last_use_is_kept(creditor_key, creditor_api):
    key, _secret = creditor_key
    assert key.last_used_at is None

    response = creditor_api.get(CREDITOR_URL)

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_revoked_key_is_401_and_the_revocation_audited(creditor_key, creditor_api, administrator):
    key, _secret = creditor_key
    head = audit_head()

    services.api_key_revoke(key=key, actor=administrator)

    assert creditor_api.get(CREDITOR_URL).status_code == 401
    assert audit_actions_since(head) == ["api.key_revoked"]
    key.refresh_from_db()
    assert key.revoked_by == administrator
    with pytest.raises(DomainError) as refused:
        services.api_key_revoke(key=key, actor=administrator)
    assert refused.value.codes == ["ALREADY_REVOKED"]


def test_an_expired_key_is_401(placing_creditor):
    _key, secret = key_for(placing_creditor, expires_at=timezone.now() + dt.timedelta(minutes=5))
    assert key_client(secret).get(CREDITOR_URL).status_code == 200

    ApiKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert key_client(secret).get(CREDITOR_URL).status_code == 401


def test_a_key_needs_a_name_and_a_future_expiry_and_an_administrator(placing_creditor, supervisor):
    head = audit_head()
    with pytest.raises(DomainError) as refused:
        services.api_key_create(
            creditor=placing_creditor,
            name=" ",
            expires_at=timezone.now() - dt.timedelta(days=1),
            actor=system_user(),
        )
    assert sorted(refused.value.codes) == ["EXPIRY_IN_PAST", "FIELD_REQUIRED"]
    with pytest.raises(PermissionRefused):
        services.api_key_create(creditor=placing_creditor, name="x", actor=supervisor)

    assert audit_actions_since(head) == ["api.key_created.refused", "api.key_created.refused"]
    assert not ApiKey.objects.exists()


def test_the_command_prints_the_key_once(placing_creditor):
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "api_key_create", creditor="hzbank", name="core banking", expires="2027-06-30", stdout=out, stderr=err
    )

    secret = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert secret.startswith(f"flk_{key.prefix}_")
    assert "\n" not in secret
    assert key.digest == secret_digest(secret)
    assert key.expires_at is not None
    assert timezone.localtime(key.expires_at).date() == dt.date(2027, 7, 1)
    assert secret not in err.getvalue()
    assert key_client(secret).get(CREDITOR_URL).status_code == 200


def test_a_creditor_key_is_not_a_user_credential_and_a_token_not_a_creditor_one(creditor_key, agent):
    _key, secret = creditor_key

    assert APIClient().get(USER_URL, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert APIClient().get(USER_URL, HTTP_AUTHORIZATION=f"Api-Key {secret}").status_code == 401
    assert APIClient().get(CREDITOR_URL, HTTP_AUTHORIZATION=f"Bearer {token_for(agent)}").status_code == 401


# --- user tokens ------------------------------------------------------------------------------------


def obtain(username: str, password: str = "correct-horse-battery", **extra):  # type: ignore[no-untyped-def]  # noqa: S107
    return APIClient().post(
        reverse("api:token"),
        {"username": username, "password": password, **extra},
        format="json",
        REMOTE_ADDR="203.0.113.7",
    )


def test_a_token_for_username_and_password(agent):
    head = audit_head()

    response = obtain("agent1", name="field app")

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("flt_")
    assert body["user"] == {
        "id": agent.pk,
        "username": "agent1",
        "name": "Agent Li",
        "roles": ["field_agent"],
        "team": "north",
    }
    token = UserToken.objects.get()
    assert (token.user, token.name, token.digest) == (agent, "field app", secret_digest(body["token"]))
    assert abs((token.expires_at - token.created_at) - dt.timedelta(hours=12)) < dt.timedelta(seconds=1)
    assert audit_actions_since(head) == ["api.token_issued"]
    event = audit_events_since(head)[0]
    assert (event.actor, event.data["via"], event.data["user"]) == (f"user:{agent.pk}", "api", agent.pk)
    assert event.data["ip_digest"]
    assert "203.0.113.7" not in str(event.data)

    me = APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["username"] == "agent1"


@pytest.mark.parametrize("password", ["wrong-password-1", ""])
def test_a_wrong_password_is_401_and_a_failed_sign_in(agent, password):
    head = audit_head()

    response = obtain("agent1", password)

    if password:
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "INVALID_CREDENTIALS"
        assert audit_actions_since(head) == ["auth.login_failed"]
        assert audit_events_since(head)[0].data["via"] == "api"
    else:
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "code": "FIELD_REQUIRED",
            "message": "This field may not be blank.",
            "source": "",
            "field": "password",
        }
    assert not UserToken.objects.exists()


def test_an_inactive_user_gets_no_token_and_loses_the_ones_held(agent):
    client = user_client(agent)
    assert client.get(USER_URL).status_code == 200
    agent.is_active = False
    agent.save()

    assert obtain("agent1").status_code == 401
    assert client.get(USER_URL).status_code == 401


def test_an_administrator_gets_no_token(administrator):
    head = audit_head()

    response = obtain("admin1")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "PERMISSION_DENIED"
    assert audit_actions_since(head) == ["api.token_issued.refused"]


def test_logout_revokes_the_token(agent):
    client = user_client(agent)
    head = audit_head()

    assert client.post(reverse("api:logout")).status_code == 204

    assert client.get(USER_URL).status_code == 401
    assert audit_actions_since(head) == ["api.token_revoked"]
    event = audit_events_since(head)[0]
    assert event.data["by"] == "user"
    assert event.data["api_token"] == UserToken.objects.get().pk


def test_an_administrator_revokes_a_token_and_others_may_not(agent, other_agent, administrator):
    client = user_client(agent)
    token = UserToken.objects.get(user=agent)
    with pytest.raises(PermissionRefused):
        services.user_token_revoke(token=token, actor=other_agent)

    services.user_token_revoke(token=token, actor=administrator)

    assert client.get(USER_URL).status_code == 401
    assert AuditEvent.objects.filter(action="api.token_revoked").get().data["by"] == "administrator"


def test_an_expired_token_is_401(agent):
    client = user_client(agent)
    UserToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert client.get(USER_URL).status_code == 401


def test_a_token_of_another_user_is_not_yours(agent, supervisor):
    """Same endpoint, two tokens: each sees its own user's identity."""
    assert user_client(agent).get(reverse("api:me")).json()["id"] == agent.pk
    assert user_client(supervisor).get(reverse("api:me")).json()["id"] == supervisor.pk


def test_a_service_account_cannot_get_a_token(db):
    user = system_user()
    with pytest.raises(DomainError) as refused:
        services.user_token_issue(user=user, actor=user)
    assert refused.value.codes == ["PERMISSION_DENIED"]


def test_a_user_without_a_role_gets_no_token(db):
    UserFactory(username="nobody")

    assert obtain("nobody").status_code == 403
