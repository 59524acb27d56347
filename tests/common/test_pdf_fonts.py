"""No unreadable legal document: a Chinese document is refused when no Chinese font is installed, any
document is refused when WeasyPrint had to draw a `.notdef` box, the refusal names the package, the
production settings fail `check`, and `seed_demo` stops before storing anything."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from cases.models import Creditor
from common import checks, pdf
from common.pdf import FontMissing, html_to_pdf

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def no_chinese_font(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pdf, "_fonts_found", set())
    monkeypatch.setattr(pdf, "font_installed", lambda lang="zh": False)


def test_a_chinese_document_is_refused_without_a_chinese_font(no_chinese_font):
    with pytest.raises(FontMissing) as refused:
        html_to_pdf("<p>还款协议 张三</p>", filename="a.pdf")

    assert refused.value.codes == ["FONT_MISSING"]
    assert "fonts-wqy-zenhei" in str(refused.value)


def test_an_english_document_renders_without_a_chinese_font(no_chinese_font):
    assert html_to_pdf("<p>Repayment agreement</p>", filename="a.pdf").content.startswith(b"%PDF")


def test_a_character_no_font_draws_refuses_the_document_and_is_not_logged(caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")

    with pytest.raises(FontMissing) as refused:
        html_to_pdf("<p>Name: \U00017000 \u1230</p>", filename="a.pdf")

    assert "\U00017000" in str(refused.value)
    assert "fonts-wqy-zenhei" in str(refused.value)
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig (fc-list)")
def test_the_installed_font_is_found():
    assert pdf.font_installed("zh") is True


def test_the_system_check_is_an_error_under_production_settings(no_chinese_font):
    with override_settings(REQUIRE_DOCUMENT_FONTS=True):
        errors = checks.document_fonts()
    with override_settings(REQUIRE_DOCUMENT_FONTS=False):
        quiet = checks.document_fonts()

    assert [e.id for e in errors] == ["fieldledger.E001"]
    assert "fonts-wqy-zenhei" in errors[0].hint
    assert quiet == []


@pytest.mark.django_db
def test_seed_demo_stops_before_seeding_without_a_chinese_font(no_chinese_font):
    with pytest.raises(CommandError) as stopped:
        call_command("seed_demo", "--cases", "1")

    assert "fonts-wqy-zenhei" in str(stopped.value)
    assert not Creditor.objects.exists()


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig (fc-list)")
def test_manage_check_fails_under_production_settings_on_a_host_without_the_font(tmp_path):
    """A real fontconfig that knows only DejaVu: `manage.py check` under production settings fails."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/cache</cachedir></fontconfig>"
    )
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(45)[:60],
        PII_DIGEST_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        FONTCONFIG_FILE=str(conf),
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "fieldledger.E001" in result.stderr
    assert "fonts-wqy-zenhei" in result.stderr
