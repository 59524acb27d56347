"""Production settings: the process environment only (never `.env`), no secret defaults, HTTPS only.

`DJANGO_SETTINGS_MODULE=config.settings.production python manage.py check --deploy` passes with no
warnings when SECRET_KEY, PII_DIGEST_KEY and DATABASE_URL are set.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Before base.py reads it: no silent fallback to its SQLite file (for development and tests only).
if not os.environ.get("DATABASE_URL", "").strip():
    raise ImproperlyConfigured(
        "DATABASE_URL must be set under production settings, e.g. "
        "postgres://user:password@host:5432/fieldledger (there is no default database in production)"
    )

from .base import *  # noqa: F403
from .base import TWO_FACTOR_ROLES, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # required: raises ImproperlyConfigured when missing
PII_DIGEST_KEY = env.str("PII_DIGEST_KEY")
for _name, _value in (("SECRET_KEY", SECRET_KEY), ("PII_DIGEST_KEY", PII_DIGEST_KEY)):
    if len(_value.strip()) < 32:
        raise ImproperlyConfigured(f"{_name} must be set to a random value of at least 32 characters")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Documents: a Chinese font must be installed (system check fieldledger.E001, common/checks.py).
REQUIRE_DOCUMENT_FONTS = True
# The agency's own signing key and certificate (DOCUMENT_SIGNING_KEY/CERT): system check fieldledger.E002.
DOCUMENT_SIGNING_REQUIRED = True

# Two-factor authentication is always required of supervisors, compliance officers and administrators
# in production; TWO_FACTOR_ROLES may add field agents, never remove one of these.
ALWAYS_TWO_FACTOR = ("supervisor", "compliance_officer", "administrator")
TWO_FACTOR_ROLES = tuple(dict.fromkeys((*ALWAYS_TWO_FACTOR, *TWO_FACTOR_ROLES)))
# The deploy check that the application does not connect as the audit table's owner or a superuser
# (compliance/checks.py, `manage.py check --deploy`).
AUDIT_ROLE_CHECK = env.bool("AUDIT_ROLE_CHECK", default=True)
# The API's schema and docs only for signed-in users (api/docs_views.py).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
