"""Rate limits per credential (each key and each token counted apart) and per IP for token requests;
beyond the rate: 429 in JSON with Retry-After."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.conftest import key_client, key_for, user_client

pytestmark = pytest.mark.django_db


def test_a_key_over_its_rate_gets_429_and_another_key_does_not(placing_creditor, settings):
    settings.API_RATE_CREDITOR_KEY = "3/minute"
    first, second = (
        key_client(key_for(placing_creditor)[1]),
        key_client(key_for(placing_creditor, name="b")[1]),
    )
    url = reverse("api:creditor-case-list")

    statuses = [first.get(url).status_code for _ in range(4)]
    limited = first.get(url)

    assert statuses == [200, 200, 200, 429]
    assert limited.json()["errors"][0]["code"] == "RATE_LIMITED"
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert second.get(url).status_code == 200


def test_a_token_over_its_rate_gets_429(agent, supervisor, settings):
    settings.API_RATE_USER_TOKEN = "2/minute"
    agent_api, supervisor_api = user_client(agent), user_client(supervisor)
    url = reverse("api:case-list")

    assert [agent_api.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert supervisor_api.get(url).status_code == 200


def test_token_requests_are_limited_per_ip(agent, settings):
    settings.API_RATE_TOKEN_REQUESTS = "2/minute"
    body = {"username": "agent1", "password": "wrong-password-1"}

    def ask(ip: str) -> int:
        return APIClient().post(reverse("api:token"), body, format="json", REMOTE_ADDR=ip).status_code

    assert [ask("198.51.100.1") for _ in range(3)] == [401, 401, 429]
    assert ask("198.51.100.2") == 401


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(agent, settings):
    settings.API_RATE_TOKEN_REQUESTS = "1/minute"
    body = {"username": "agent1", "password": "wrong-password-1"}
    client = APIClient()

    client.post(
        reverse("api:token"), body, format="json", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.1.1.1"
    )
    again = client.post(
        reverse("api:token"), body, format="json", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="2.2.2.2"
    )

    assert again.status_code == 429


def test_the_later_stage_endpoints_count_against_the_same_rates(placing_creditor, owing, agent, settings):
    """Recall, payments, agreement and the on-site/agreement user actions share their credential's rate."""
    settings.API_RATE_CREDITOR_KEY = "2/minute"
    settings.API_RATE_USER_TOKEN = "1/minute"
    creditor = key_client(key_for(placing_creditor)[1])

    creditor.get(reverse("api:creditor-case-agreement", args=[owing.pk]))
    creditor.post("/api/v1/creditor/payments/", {"payments": []}, format="json")
    limited = creditor.post(reverse("api:creditor-case-recall", args=[owing.pk]), {}, format="json")
    agent_api = user_client(agent)
    agent_api.get(reverse("api:case-agreements", args=[owing.pk]))
    agent_limited = agent_api.post(reverse("api:case-agreements", args=[owing.pk]), {}, format="json")

    assert limited.status_code == 429
    assert agent_limited.status_code == 429
