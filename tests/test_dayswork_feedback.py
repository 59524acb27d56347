"""Truthful feedback and ways back (issue 18 points 4, 8, 9, 10): an empty or unchanged agent assignment
says so and records nothing, a repeated payment says nothing new was recorded, the app's own 403/404/500
pages lead back to the start page, every role lands where its work is, and /favicon.ico is served."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import audit_actions_since, audit_head

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_an_empty_or_unchanged_assignment_says_nothing_changed_and_records_nothing(case, supervisor, agent):
    client = signed_in(supervisor)
    url = reverse("cases:case-assign", args=[case.pk])
    assert set(case.assignments.values_list("agent", flat=True)) == {agent.pk}
    head = audit_head()

    unchanged = client.post(url, {"agents": [agent.pk]}, follow=True)
    assert messages_of(unchanged) == ["Nothing changed: these agents were already assigned."]
    assert audit_actions_since(head) == []

    emptied = client.post(url, {}, follow=True)
    assert messages_of(emptied) == ["Every agent was unassigned from this case."]
    assert audit_actions_since(head) == ["case.agents_assigned"]

    again = client.post(url, {}, follow=True)
    assert messages_of(again) == ["Nothing changed: no agent was chosen."]
    assert audit_actions_since(head) == ["case.agents_assigned"]


def test_an_assignment_names_who_was_assigned(case, supervisor, agent, other_agent):
    response = signed_in(supervisor).post(
        reverse("cases:case-assign", args=[case.pk]), {"agents": [agent.pk, other_agent.pk]}, follow=True
    )

    assert messages_of(response) == [f"Agents assigned: {agent.display_name}, {other_agent.display_name}."]


def test_a_missing_page_is_the_apps_own_with_a_way_back(agent):
    response = signed_in(agent).get("/cases/999999999/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert f'href="{reverse("home")}"' in body
    assert "Sign out" in body  # the app's layout, with its navigation


def test_the_server_error_page_renders_without_a_request():
    body = render_to_string("500.html")

    assert "Something went wrong" in body
    assert 'href="/"' in body


def test_the_forbidden_page_has_a_way_back(rf, agent):
    body = render_to_string("403.html", {"user": agent})

    assert "Not allowed" in body
    assert 'href="/"' in body


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("supervisor", "supervision:dashboard"),
        ("agent", "visits:agenda"),
        ("compliance_officer", "compliance:dashboard"),
    ],
)
def test_each_role_lands_where_its_work_is(all_roles, role, landing):
    assert signed_in(all_roles[role]).get(reverse("home"))["Location"] == reverse(landing)


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
