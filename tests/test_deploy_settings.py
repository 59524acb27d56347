"""Production settings: `check --deploy` is clean, and they refuse to start without their secrets.

Each check runs `manage.py` in a subprocess with a minimal environment, so that neither the test
settings already loaded here nor CI's DATABASE_URL/REDIS_URL leak into what is being checked.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments, our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(45)[:60],
        PII_DIGEST_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploycheck.sqlite3'}",
        **REAL_MESSAGING,
        **_agency_signing_files(tmp_path),
    )
    env.update(overrides)
    return env


# Real gateways and a real SMTP server: what production must name (README, "SMS gateways").
REAL_MESSAGING = {
    "SMS_BACKEND": "visits.sms.GatewayBackend",
    "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-deploy-check",
    "ALIYUN_SMS_ACCESS_KEY_SECRET": "deploy-check-secret",
    "ALIYUN_SMS_SIGN_NAME": "FieldLedger",
    "ALIYUN_SMS_TEMPLATE_CODE": "SMS_000000",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "deploy-check-token",
    "TWILIO_FROM": "+15005550006",
    "TWILIO_STATUS_CALLBACK_URL": "https://example.com/visits/sms/receipts/twilio/",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def _agency_signing_files(tmp_path: Path) -> dict[str, str]:
    """The agency's signing key and certificate (production requires them: common/checks.py)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Deploy check agency")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = tmp_path / "agency.key", tmp_path / "agency.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"DOCUMENT_SIGNING_KEY": str(key_path), "DOCUMENT_SIGNING_CERT": str(cert_path)}


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    env = _production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 60

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"SMS_BACKEND": "visits.sms.FileBackend"}, "visits.E010"),
        ({"SMS_BACKEND": "visits.sms.ConsoleBackend"}, "visits.E010"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "visits.E013"),
        ({"TWILIO_AUTH_TOKEN": ""}, "visits.E012"),
        ({"ALIYUN_SMS_TEMPLATE_CODE": ""}, "visits.E012"),
        ({"TWILIO_STATUS_CALLBACK_URL": "http://example.com/visits/sms/receipts/twilio/"}, "visits.E012"),
    ],
)
def test_production_refuses_simulated_or_incomplete_messaging(tmp_path, overrides, check_id):
    env = _production_env(tmp_path, **overrides)

    result = _manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert check_id in result.stderr + result.stdout


def test_the_staging_switch_allows_simulated_messaging(tmp_path):
    env = _production_env(
        tmp_path,
        SMS_BACKEND="visits.sms.FileBackend",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        ALLOW_SIMULATED_MESSAGING="1",
    )

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("secret", ["SECRET_KEY", "PII_DIGEST_KEY"])
def test_production_settings_refuse_to_load_without_a_secret(tmp_path, secret):
    env = _production_env(tmp_path)
    del env[secret]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert secret in result.stderr, result.stderr


def test_production_settings_refuse_to_load_without_a_database_url(tmp_path):
    """No silent fallback to base.py's SQLite file: the settings do not load, and say what is missing."""
    env = _production_env(tmp_path)
    del env["DATABASE_URL"]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL must be set under production settings" in result.stderr, (
        result.stderr
    )


def test_a_blank_database_url_is_refused_too(tmp_path):
    result = _manage("check", env=_production_env(tmp_path, DATABASE_URL=" "))

    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr, result.stderr


DOTENV_SCRIPT = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps("config.settings.dotenv" in sys.modules))
"""


@pytest.mark.parametrize(
    ("settings_module", "reads_dotenv"),
    [
        ("config.settings.local", True),
        ("config.settings.test", False),
        ("config.settings.production", False),
    ],
)
def test_only_local_settings_read_dotenv(tmp_path, settings_module, reads_dotenv):
    """`.env` is a developer's convenience: test and production read the process environment only."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", DOTENV_SCRIPT, settings_module],
        cwd=BASE_DIR,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ("true" if reads_dotenv else "false")


def test_dotenv_is_read_in_one_place_only():
    """Nothing but config/settings/dotenv.py reads `.env`, and only local.py imports it."""
    readers = {
        str(path.relative_to(BASE_DIR))
        for path in (BASE_DIR / "config").rglob("*.py")
        if "read_env" in path.read_text(encoding="utf-8")
    }
    importers = {
        path.name
        for path in (BASE_DIR / "config" / "settings").glob("*.py")
        if "import dotenv" in path.read_text(encoding="utf-8")
    }
    assert readers == {"config/settings/dotenv.py"}
    assert importers == {"local.py"}


# --- the browser-facing headers and the second factor under production settings ----------------------

HEADERS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# Only so that the page renders without `collectstatic` (the manifest storage needs its manifest).
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    response = Client().get("/accounts/login/", secure=True, HTTP_HOST="example.com")
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "cookies": {name: dict(morsel) for name, morsel in response.cookies.items()},
    "two_factor_roles": list(settings.TWO_FACTOR_ROLES),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "language_cookie_secure": settings.LANGUAGE_COOKIE_SECURE,
}))
"""


def _production_facts(tmp_path: Path, **overrides: str) -> dict:
    import json

    env = _production_env(tmp_path, **overrides)
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", HEADERS_SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_the_security_headers_and_secure_cookies(tmp_path):
    facts = _production_facts(tmp_path)
    headers = facts["headers"]

    assert facts["status"] == 200
    csp = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
    }
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(item.split("=", 1) for item in headers["Permissions-Policy"].split(", "))
    assert policy["geolocation"] == policy["camera"] == policy["microphone"] == "(self)"
    assert {
        value for feature, value in policy.items() if feature not in ("geolocation", "camera", "microphone")
    } == {"()"}
    assert {"payment", "usb", "display-capture", "browsing-topics"} <= set(policy)
    csrf = facts["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    assert (
        facts["session_cookie_secure"]
        is facts["csrf_cookie_secure"]
        is facts["language_cookie_secure"]
        is True
    )


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("", ["supervisor", "compliance_officer", "administrator"]),
        ("supervisor", ["supervisor", "compliance_officer", "administrator"]),
        ("field_agent", ["supervisor", "compliance_officer", "administrator", "field_agent"]),
    ],
)
def test_production_always_requires_two_factor_of_the_three_roles(tmp_path, configured, expected):
    facts = _production_facts(tmp_path, TWO_FACTOR_ROLES=configured)

    assert facts["two_factor_roles"] == expected
