"""Test settings: SQLite in memory unless DATABASE_URL is set (CI sets PostgreSQL and Redis)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
PII_DIGEST_KEY = "test-pii-digest-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Tests run tasks eagerly unless a test starts a real worker against REDIS_URL.
CELERY_TASK_ALWAYS_EAGER = True
LANGUAGE_CODE = "en"
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default="/tmp/fieldledger-test-media")  # noqa: S108
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Two-factor enforcement is off so that tests can force_login a supervisor; tests of the second factor
# turn it on with `settings.TWO_FACTOR_ROLES = (...)` (tests/accounts/test_two_factor.py).
TWO_FACTOR_ROLES: tuple[str, ...] = ()
AUDIT_FLUSH_ALLOWED = True  # flush (TransactionTestCase) may empty the audit table: compliance/db.py
