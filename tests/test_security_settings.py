"""The settings behind SECURITY.md: password rules, idle sessions, security headers on every page, and
uploaded files that are never reachable by a URL of their own (only through the permission-checked views)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from cases import services as case_services
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    [
        "short1",  # fewer than 10 characters
        "1234567890123",  # only digits
        "password123",  # a common password
        "qwertyuiop",
        "agent1abcd",  # too close to the username
    ],
)
def test_weak_passwords_are_refused(agent, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=agent)


def test_a_long_passphrase_passes(agent):
    validate_password("lantern-harbour-violet-42", user=agent)


def test_the_password_rules_are_the_documented_ones():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]

    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"] == 10


def test_idle_sessions_end_and_do_not_outlive_the_browser():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_every_page_carries_the_security_headers(client, agent):
    client.force_login(agent)

    for url in (reverse("accounts:login"), reverse("cases:case-list"), "/no-such-page/"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "geolocation=(self)" in response["Permissions-Policy"]
        assert "camera=(self)" in response["Permissions-Policy"]
        assert "microphone=(self)" in response["Permissions-Policy"]
        assert "payment=()" in response["Permissions-Policy"]


def test_media_is_never_routed():
    assert settings.MEDIA_URL == "/media-not-public/"
    for path in (settings.MEDIA_URL, f"{settings.MEDIA_URL}cases/1/x.pdf", "/media/cases/1/x.pdf"):
        with pytest.raises(Resolver404):
            resolve(path)


def test_a_stored_document_is_reached_only_through_the_checked_view(case, agent, other_team_agent):
    document = case_services.document_add(
        case=case, actor=agent, kind="contract", upload=SimpleUploadedFile("c.pdf", PDF_BYTES)
    )
    owner, outsider = Client(), Client()
    owner.force_login(agent)
    outsider.force_login(other_team_agent)
    stored_path = document.file.name

    assert owner.get(f"{settings.MEDIA_URL}{stored_path}").status_code == 404
    assert owner.get(f"/media/{stored_path}").status_code == 404
    download = owner.get(reverse("cases:case-document-download", args=[case.pk, document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Security-Policy"] == "sandbox"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert (
        outsider.get(reverse("cases:case-document-download", args=[case.pk, document.pk])).status_code == 404
    )
