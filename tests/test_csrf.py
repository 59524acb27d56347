"""CSRF: every state-changing request of the site needs the CSRF token.

The walk covers every URL pattern of the root URLconf (the Django admin included) and posts to each,
signed in, with a client that enforces CSRF checks and sends no token: 403 everywhere. CSRF is checked
before the view runs, so the ids in the URLs need not name real objects. The integration API (api:)
is left out on purpose: it authenticates by an `Authorization` header only (an API key or a token,
never a cookie), which a cross-site form cannot send; `test_the_api_ignores_the_session_cookie` proves
a signed-in browser gets nothing from it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter

from tests.factories import audit_head

pytestmark = pytest.mark.django_db

EXEMPT_NAMESPACES = {"api": "header credentials only (no cookie), see the module docstring"}
SAMPLE = {IntConverter: 1, StringConverter: "x", SlugConverter: "x", PathConverter: "1"}
# Regex patterns of the admin name their groups; a valid value for each.
REGEX_SAMPLES = {"app_label": "accounts"}


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            if inner in EXEMPT_NAMESPACES:
                continue
            found += _walk(entry.url_patterns, inner)
        elif entry.name:
            found.append((f"{namespace}:{entry.name}" if namespace else entry.name, entry))
    return found


def every_url() -> list[str]:
    urls = []
    for name, pattern in _walk(get_resolver().url_patterns):
        kwargs = {key: SAMPLE[type(conv)] for key, conv in pattern.pattern.converters.items()}
        regex = pattern.pattern.regex
        for group in regex.groupindex:
            kwargs.setdefault(group, REGEX_SAMPLES.get(group, "1"))
        unnamed = regex.groups - len(regex.groupindex)
        if unnamed and not kwargs:
            urls.append(reverse(name, args=["1"] * unnamed))
        else:
            urls.append(reverse(name, kwargs=kwargs))
    return sorted(set(urls))


URLS = every_url()


def test_the_walk_covers_the_site_and_the_admin():
    assert {"/accounts/login/", "/i18n/setlang/", "/cases/1/assign/", "/visits/1/site/check-in/"} <= set(URLS)
    assert any(u.startswith("/admin/accounts/user/") for u in URLS)
    assert any(u.startswith("/compliance/") for u in URLS)
    assert len(URLS) > 150


@pytest.mark.parametrize("signed_in_as", ["supervisor", "administrator", None])
def test_every_post_without_the_csrf_token_is_refused(all_roles, signed_in_as):
    client = Client(enforce_csrf_checks=True)
    if signed_in_as:
        client.force_login(all_roles[signed_in_as])
    since = audit_head()

    answers = {url: client.post(url, {"reason": "x" * 12}).status_code for url in URLS}

    assert {url: code for url, code in answers.items() if code != 403} == {}
    assert audit_head() == since  # nothing was done, so nothing was recorded


def test_a_post_with_the_token_gets_through(all_roles):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("accounts:login"))
    token = page.cookies["csrftoken"].value

    response = client.post(
        reverse("accounts:login"),
        {"username": "agent1", "password": "correct-horse-battery", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302


def test_the_api_ignores_the_session_cookie(all_roles):
    client = Client(enforce_csrf_checks=True)
    client.force_login(all_roles["supervisor"])

    assert client.get("/api/v1/cases/").status_code == 401
    assert client.post("/api/v1/cases/1/verify/", {}, content_type="application/json").status_code == 401
    assert client.post("/api/v1/auth/logout/").status_code == 401
