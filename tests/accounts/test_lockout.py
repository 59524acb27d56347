"""Sign-in lockout (django-axes): LOGIN_FAILURE_LIMIT failures per username + address lock that pair, on
the sign-in page and the API's token endpoint alike; recorded with digests only; lifted by time, by an
administrator in the admin, or by `unlock_login`."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from common.errors import DomainError
from common.pii import digest
from compliance import audit
from tests.factories import audit_events_since, audit_head

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """The API's per-IP token rate (API_RATE_TOKEN_REQUESTS) counts in the cache, across tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


PASSWORD = "correct-horse-battery"  # UserFactory's
IP = "198.51.100.7"


def attempt(client: Client, username: str, password: str = "wrong-password", ip: str = IP):  # type: ignore[no-untyped-def]  # noqa: S107
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(times: int, username: str = "agent1", ip: str = IP) -> list[int]:
    client = Client()
    return [attempt(client, username, ip=ip).status_code for _ in range(times)]


def test_the_fifth_failure_locks_the_username_from_that_address(agent, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    since = audit_head()

    statuses = fail(5)

    assert statuses == [200, 200, 200, 200, 429]
    events = audit_events_since(since)
    # axes' receiver of the fifth failure announces the lockout before ours records the failure.
    assert [e.action for e in events] == ["auth.login_failed"] * 4 + ["auth.locked_out", "auth.login_failed"]
    locked = events[4]
    assert locked.actor == "system"
    assert locked.data == {
        "username_digest": digest("agent1", kind="username"),
        "ip_digest": digest(IP, kind="ip"),
        "failure_limit": 5,
        "minutes": 30,
    }
    line = audit.export_line(locked)
    assert "agent1" not in line
    assert IP not in line


def test_a_locked_pair_is_refused_even_with_the_right_password_and_says_why(agent):
    fail(5)
    since = audit_head()

    response = attempt(Client(), "agent1", PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30 * 60
    page = response.content.decode()
    assert "Too many failed sign-ins for this username from your address" in page
    assert "30 minutes" in page
    assert "_auth_user_id" not in response.client.session
    # The refused attempt is a failed sign-in; it neither counts again nor starts a new lockout.
    assert [e.action for e in audit_events_since(since)] == ["auth.login_failed"]
    assert AccessAttempt.objects.get(username="agent1").failures_since_start == 5


def test_the_lock_is_per_username_and_address(agent, other_agent):
    fail(5)

    assert attempt(Client(), "agent1", PASSWORD, ip="198.51.100.8").status_code == 302
    assert attempt(Client(), "agent2", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(agent):
    fail(4)
    assert attempt(Client(), "agent1", PASSWORD).status_code == 302

    assert fail(4) == [200, 200, 200, 200]


def test_the_lock_ends_after_the_cool_off(agent):
    fail(5)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31), tick=False):
        assert attempt(Client(), "agent1", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_the_same_way(administrator):
    client = Client()
    statuses = [
        client.post(
            reverse("admin:login"), {"username": "admin1", "password": "nope-nope"}, REMOTE_ADDR=IP
        ).status_code
        for _ in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]


# --- the API's token endpoint --------------------------------------------------------------------------


def ask_token(username: str, password: str, ip: str = IP):  # type: ignore[no-untyped-def]
    return APIClient().post(
        reverse("api:token"), {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_the_token_endpoint_locks_after_five_failures_with_json(agent):
    since = audit_head()

    statuses = [ask_token("agent1", "wrong-password").status_code for _ in range(5)]
    locked = ask_token("agent1", PASSWORD)

    assert statuses == [401, 401, 401, 401, 429]
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["errors"][0]["code"] == "ACCOUNT_LOCKED"
    assert locked.json()["errors"][0]["field"] == "username"
    assert int(locked["Retry-After"]) == 30 * 60
    actions = [e.action for e in audit_events_since(since)]
    assert actions.count("auth.locked_out") == 1
    assert "api.token_issued" not in actions


def test_the_web_and_the_api_count_together(agent):
    fail(3)
    statuses = [ask_token("agent1", "wrong-password").status_code for _ in range(2)]

    assert statuses == [401, 429]
    assert attempt(Client(), "agent1", PASSWORD).status_code == 429


def test_a_token_obtained_clears_the_failures(agent):
    for _ in range(4):
        ask_token("agent1", "wrong-password")

    assert ask_token("agent1", PASSWORD).status_code == 201
    assert not AccessAttempt.objects.filter(username="agent1").exists()


# --- unlocking ----------------------------------------------------------------------------------------


def test_an_administrator_unlocks_in_the_admin(agent, administrator):
    fail(5)
    admin = Client()
    admin.force_login(administrator)
    attempt_row = AccessAttempt.objects.get(username="agent1")
    since = audit_head()

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    response = admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt_row.pk]},
        follow=True,
    )

    assert listing.status_code == 200
    assert "agent1" in listing.content.decode()
    assert response.status_code == 200
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.lockout_reset"]
    assert events[0].actor == f"user:{administrator.pk}"
    assert events[0].object_id == str(agent.pk)
    assert events[0].data == {
        "username_digest": digest("agent1", kind="username"),
        "ip_digest": digest(IP, kind="ip"),
        "removed": 1,
    }
    assert attempt(Client(), "agent1", PASSWORD).status_code == 302


def test_the_admin_lists_lockouts_read_only(administrator):
    fail(5)
    admin = Client()
    admin.force_login(administrator)
    row = AccessAttempt.objects.get()

    assert admin.get(reverse("admin:axes_accessattempt_add")).status_code == 403
    assert admin.post(reverse("admin:axes_accessattempt_delete", args=[row.pk])).status_code == 403
    assert AccessAttempt.objects.filter(pk=row.pk).exists()


def test_the_unlock_command(agent, capsys):
    fail(5)
    since = audit_head()

    call_command("unlock_login", "--username", "agent1", "--ip", IP)

    assert "lifted 1 lockout record(s)" in capsys.readouterr().out
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.lockout_reset"]
    assert events[0].actor == f"user:{services.system_user().pk}"
    assert attempt(Client(), "agent1", PASSWORD).status_code == 302


def test_the_unlock_command_needs_a_username_or_an_address(db):
    since = audit_head()

    with pytest.raises(CommandError, match="FIELD_REQUIRED"):
        call_command("unlock_login")

    assert [e.action for e in audit_events_since(since)] == ["auth.lockout_reset.refused"]


@pytest.mark.parametrize("role", ["supervisor", "agent", "compliance_officer"])
def test_only_administrators_unlock(all_roles, role):
    fail(5)
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        services.login_lockout_reset(actor=all_roles[role], username="agent1")

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert [e.action for e in audit_events_since(since)] == ["auth.lockout_reset.refused"]
    assert AccessAttempt.objects.filter(username="agent1").exists()


def test_axes_logs_name_digests_not_usernames_or_addresses(agent, caplog):
    caplog.set_level(logging.DEBUG)

    fail(5)

    axes_lines = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any("Locking out" in line for line in axes_lines)
    text = "\n".join(axes_lines)
    assert "agent1" not in text
    assert IP not in text
    assert digest("agent1", kind="username")[:12] in text
