"""API fixtures: a creditor key and user tokens made through the services, clients that send them,
the visit fixtures of tests/visits (a verified case of the `team`, a plan every rule allows) and the
agreement fixtures of tests/agreements (a case owing CNY 8,200.50, a draft, an active agreement)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import system_user
from api import services
from tests.agreements.conftest import active, draft, owing  # noqa: F401 (fixtures)
from tests.factories import CreditorFactory, MandateFactory
from tests.visits.conftest import (  # noqa: F401 (fixtures)
    approved_visit,
    home,
    identified,
    notified,
    on_site,
    plan,
    planned,
    talked,
    verified_case,
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """The throttle counts live in the (local-memory) cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def key_for(creditor: Any, **kwargs: Any) -> tuple[Any, str]:
    issued = services.api_key_create(
        creditor=creditor, name=kwargs.pop("name", "core banking"), actor=system_user(), **kwargs
    )
    return issued.credential, issued.secret


def key_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def token_for(user: Any) -> str:
    return services.user_token_issue(user=user, actor=user).secret


# One token per user and test (issuing one is itself an audit event, which tests count).
_TOKENS: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _tokens_per_test():  # type: ignore[no-untyped-def]
    _TOKENS.clear()
    yield
    _TOKENS.clear()


def user_client(user: Any) -> APIClient:
    if user.pk not in _TOKENS:
        _TOKENS[user.pk] = token_for(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_TOKENS[user.pk]}")
    return client


@pytest.fixture
def signed_in(all_roles):  # type: ignore[no-untyped-def]
    """Every role user holds a token already (so that a test's audit events are its action's only)."""
    for role, user in all_roles.items():
        if role != "administrator":
            user_client(user)
    return all_roles


@pytest.fixture
def placing_creditor(creditor, mandate, supervisor):  # type: ignore[no-untyped-def]
    """`creditor` (hzbank) with a default supervisor, so that placed cases have a team."""
    creditor.default_supervisor = supervisor
    creditor.save()
    return creditor


@pytest.fixture
def creditor_key(placing_creditor):  # type: ignore[no-untyped-def]
    return key_for(placing_creditor)


@pytest.fixture
def creditor_api(creditor_key) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(creditor_key[1])


@pytest.fixture
def other_creditor(db):  # type: ignore[no-untyped-def]
    other = CreditorFactory(code="szbank", name="Shenzhen Bank")
    MandateFactory(creditor=other)
    return other


@pytest.fixture
def other_creditor_api(other_creditor) -> APIClient:  # type: ignore[no-untyped-def]
    return key_client(key_for(other_creditor)[1])
