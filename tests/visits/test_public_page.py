# ruff: noqa: F811 (the fixtures imported from test_notices are used as parameters)
"""The debtor's public verification page: no sign-in, who comes and on whose authority, nothing
about the debt; unknown or expired links say only "not valid"; rate-limited; a report button."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEvent, Complaint
from tests.factories import audit_actions_since, audit_events_since, audit_head
from tests.visits.test_notices import URLS, approved, notice_case, outbox, record  # noqa: F401
from visits import notice_texts
from visits.models import VisitToken

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


@pytest.fixture(autouse=True)
def _fresh_rate_counts():  # type: ignore[no-untyped-def]
    cache.clear()


@pytest.fixture
def link(approved, agent) -> str:  # type: ignore[no-untyped-def]
    notice = record(approved, agent)
    return notice_texts.link_in(notice.text).replace("https://verify.example.test", "")


def test_anonymous_visitor_sees_agency_creditor_mandate_agents_and_window_only(client, link, approved):
    response = client.get(link)

    assert response.status_code == 200
    body = response.content.decode()
    case = approved.case
    assert "Anxin Collections" in body
    assert case.creditor.name in body
    assert case.mandate.number in body
    assert case.mandate.valid_until.isoformat() in body
    for agent in approved.agents.all():
        assert agent.display_name in body
        assert agent.work_id_number in body
    assert "2026-11-26 10:00–12:00" in body
    assert "Asia/Shanghai" in body
    for secret in (
        str(case.outstanding),
        str(case.principal),
        case.contract_no,
        case.debtor.name,
        case.debtor.id_number,
        "13800138000",
        "漕溪北路",
    ):
        assert secret not in body


@pytest.mark.parametrize("token", ["nope", "x" * 32, "A" * 200])
def test_an_unknown_link_says_only_that_it_is_not_valid(client, token):
    response = client.get(f"/visits/v/{token}/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_a_link_expires_with_the_visit_window(client, link, approved):
    VisitToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))  # the window ended

    response = client.get(link)

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_only_the_digest_of_the_token_is_stored(link):
    token = link.rstrip("/").rsplit("/", 1)[1]

    assert not VisitToken.objects.filter(token_digest=token).exists()
    assert len(token) >= 32


def test_the_page_is_rate_limited_per_ip(client, link, settings):
    settings.PUBLIC_VERIFY_RATE_PER_MINUTE = 3
    statuses = [client.get(link, REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert client.get(link, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_report_records_a_complaint_without_personal_data_in_the_audit(link, approved):
    client = Client(enforce_csrf_checks=True)
    page = client.get(link)
    csrf = page.cookies["csrftoken"].value
    head = audit_head()

    response = client.post(
        link, {"text": "Nobody told me; my phone is 13912345678.", "csrfmiddlewaretoken": csrf}
    )

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.visit_id, complaint.case_id, complaint.status) == (
        "public_page",
        approved.pk,
        approved.case_id,
        "open",
    )
    assert audit_actions_since(head) == ["complaint.recorded"]
    event = audit_events_since(head)[0]
    assert event.actor == "system"
    assert "13912345678" not in json.dumps(event.data)


def test_report_without_the_csrf_token_is_refused(link):
    client = Client(enforce_csrf_checks=True)

    response = client.post(link, {"text": "hello"})

    assert response.status_code == 403
    assert not Complaint.objects.exists()
    assert not AuditEvent.objects.filter(action="complaint.recorded").exists()


def test_a_cancelled_visit_still_lets_the_debtor_report(client, link, approved):
    approved.refresh_from_db()
    approved.cancel(reason="agent ill", at=approved.window_start)
    approved.save()

    body = client.get(link).content.decode()

    assert "no longer planned" in body
    assert "Report it" in body


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _give_photo(user, data: bytes = PNG) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    user.photo.save("face.png", ContentFile(data), save=True)


def test_the_page_shows_an_agents_photo_through_the_link_only(client, link, approved):
    agent = approved.agents.order_by("pk").first()
    _give_photo(agent)

    body = client.get(link).content.decode()
    photo_url = f"{link}agents/{agent.pk}/photo/"
    assert photo_url in body

    response = client.get(photo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PNG


def test_a_photo_is_not_served_for_someone_not_on_the_visit(client, link, other_team_agent):
    _give_photo(other_team_agent)

    assert client.get(f"{link}agents/{other_team_agent.pk}/photo/").status_code == 404


def test_a_photo_is_not_served_through_an_unknown_link(client, approved):
    agent = approved.agents.order_by("pk").first()
    _give_photo(agent)

    assert client.get(f"/visits/v/{'x' * 32}/agents/{agent.pk}/photo/").status_code == 404


def test_an_agent_without_a_photo_gets_initials_and_no_photo_url(client, link, approved):
    agent = approved.agents.order_by("pk").first()

    body = client.get(link).content.decode()
    assert f"agents/{agent.pk}/photo/" not in body
    assert client.get(f"{link}agents/{agent.pk}/photo/").status_code == 404


def test_a_photo_that_is_not_an_image_is_not_served(client, link, approved):
    agent = approved.agents.order_by("pk").first()
    _give_photo(agent, b"<script>alert(1)</script>")

    assert client.get(f"{link}agents/{agent.pk}/photo/").status_code == 404
