"""The embedded default: the one-command demo and development (SQLite unless DATABASE_URL is set).

The only settings that read `.env` (for variables the environment does not set): `dotenv` is imported
before `base`, which reads the environment.
"""

from . import dotenv  # noqa: F401  (must come before base: it fills the environment base reads)
from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# A development-only key; production.py refuses to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
PII_DIGEST_KEY = env.str("PII_DIGEST_KEY", default="dev-only-pii-digest-key")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
API_WEBHOOK_ALLOW_HTTP = env.bool("API_WEBHOOK_ALLOW_HTTP", default=True)  # a local test receiver
# The demo signs in without a second factor; TWO_FACTOR_ROLES=supervisor,compliance_officer,administrator
# turns it on (README "Security").
TWO_FACTOR_ROLES = tuple(env.list("TWO_FACTOR_ROLES", default=[]))
# `manage.py flush` may empty the audit table on a development database (compliance/db.py); never in production.
AUDIT_FLUSH_ALLOWED = True
