"""Sign-in, sign-out, failed sign-in (all audited), password change, idle sessions, and no anonymous pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.services import system_user
from common.pii import digest
from compliance import audit
from tests.factories import audit_events_since, audit_head

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's


def login(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_is_audited(client, agent):
    since = audit_head()

    response = login(client, "agent1")

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case-list")
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.login"]
    assert (events[0].actor, events[0].object_id) == (f"user:{agent.pk}", str(agent.pk))
    assert events[0].data == {"ip_digest": digest("127.0.0.1", kind="ip")}


@pytest.mark.parametrize("username", ["agent1", "Nobody-张三"])
def test_failed_login_is_audited_with_a_username_digest_only(client, agent, username):
    since = audit_head()

    response = login(client, username, "wrong-password")

    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.login_failed"]
    assert events[0].actor == "system"
    assert events[0].data["username_digest"] == digest(username.lower(), kind="username")
    line = audit.export_line(events[0])
    assert username not in line
    assert username.lower() not in line
    assert "127.0.0.1" not in line


def test_logout_is_audited(client, agent):
    client.force_login(agent)
    since = audit_head()

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert [e.action for e in audit_events_since(since)] == ["auth.logout"]
    assert client.get(reverse("cases:case-list")).status_code == 302


def test_inactive_user_cannot_login(client, agent):
    agent.is_active = False
    agent.save()

    assert login(client, "agent1").status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_change(client, agent):
    client.force_login(agent)
    new = "a-much-longer-passphrase-42"

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password-change-done")
    assert client.get(reverse("accounts:password-change-done")).status_code == 200  # still signed in
    agent.refresh_from_db()
    assert agent.check_password(new)
    fresh = Client()
    assert login(fresh, "agent1", PASSWORD).status_code == 200
    assert login(fresh, "agent1", new).status_code == 302


def test_password_change_needs_the_old_password_and_a_strong_new_one(client, agent):
    client.force_login(agent)

    wrong_old = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "nope",
            "new_password1": "a-much-longer-pass-42",
            "new_password2": "a-much-longer-pass-42",
        },
    )
    too_short = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )

    assert wrong_old.status_code == too_short.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


# --- sessions end when idle ------------------------------------------------------------------------


def test_session_idle_expiry_settings():
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60  # minutes, not weeks
    assert settings.SESSION_SAVE_EVERY_REQUEST is True  # activity renews it: an *idle* timeout
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_each_request_renews_the_session(client, agent):
    login(client, "agent1")
    session = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + dt.timedelta(seconds=5))

    client.get(reverse("cases:case-list"))

    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_idle_session_is_signed_out(client, agent):
    login(client, "agent1")
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    response = client.get(reverse("cases:case-list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- the service account -------------------------------------------------------------------------


def test_service_account_cannot_log_in(client):
    user = system_user()

    assert login(client, user.username, "").status_code == 200
    assert not client.login(username=user.username, password="")
    assert "_auth_user_id" not in client.session


def test_service_account_cannot_log_in_even_with_a_password(client):
    """`is_service_account`: "it cannot sign in" - not merely "has no password today"."""
    user = system_user()
    user.set_password("someone-set-this-1")
    user.save()

    response = login(client, user.username, "someone-set-this-1")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- no page but login is reachable anonymously ------------------------------------------------

# admin:login is a login page too; visits:public-verify is the debtor's check of a visit (no account);
# agreements:public-sign the debtor's one-time link to sign an agreement.
ANONYMOUS_ALLOWED = {
    "agreements:public-sign",
    "accounts:login",
    "set_language",
    "admin:login",
    "visits:public-verify",
    "visits:public-agent-photo",
    "visits:sms-receipt-twilio",  # Twilio's status callback: no session, its X-Twilio-Signature is checked
    "favicon",  # browsers ask for it before sign-in; a redirect to a static file (tests/test_dayswork_feedback.py)
}
_GROUP = re.compile(r"\((?:\?P<\w+>)?([^)]*)\)")
_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def _concrete(piece: object) -> str:
    """A path fragment matching one URL pattern, with every parameter set to 1 (or a literal choice)."""
    text = str(piece)
    if not text.startswith("^") and "(" not in text:
        return _CONVERTER.sub("1", text)

    def first_choice(match: re.Match[str]) -> str:
        first = match.group(1).split("|")[0]
        return first if re.fullmatch(r"\w+", first) else "1"

    return _GROUP.sub(first_choice, text).lstrip("^").rstrip("$").replace("\\", "")


def all_url_patterns(resolver=None, prefix: str = "/", namespace: str = ""):  # type: ignore[no-untyped-def]
    """(name, path) for every pattern of the URLconf, walked recursively (admin included)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_url_patterns(entry, prefix + _concrete(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (
                f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed>",
                prefix + _concrete(entry.pattern),
            )


PATTERNS = sorted(set(all_url_patterns()))
# The integration API authenticates every call by key or token and answers 401 in JSON, never a
# redirect to the sign-in page (tests/api/test_auth.py walks its URLs).
PROTECTED = [
    (name, path) for name, path in PATTERNS if name not in ANONYMOUS_ALLOWED and not name.startswith("api:")
]


def test_the_walk_finds_every_app():
    names = {name for name, _ in PATTERNS}

    assert {
        "cases:case-list",
        "cases:case-detail",
        "compliance:audit-list",
        "accounts:password-change",
    } <= names
    assert any(name.startswith("admin:cases_case_") for name in names)
    assert len(PATTERNS) > 50
    assert names >= ANONYMOUS_ALLOWED  # the exceptions are real patterns, not typos that hide pages


@pytest.mark.parametrize(("name", "path"), PROTECTED, ids=[f"{n} {p}" for n, p in PROTECTED])
def test_every_page_but_login_redirects_anonymous_users_to_login(client, name, path):
    assert resolve(path) is not None  # the generated path really is a URL of the app

    login_urls = (reverse("accounts:login"), reverse("admin:login"))  # the admin may send to its own
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 302, path
        assert response["Location"].startswith(login_urls), (path, response["Location"])


def test_login_page_is_reachable_anonymously(client):
    assert client.get(reverse("accounts:login")).status_code == 200


def test_service_account_sign_in_attempt_is_audited(client):
    user = system_user()
    user.set_password("someone-set-this-1")
    user.save()
    since = audit_head()

    login(client, user.username, "someone-set-this-1")

    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.login_failed"]
    assert events[0].data["username_digest"] == digest(user.username, kind="username")
