"""Settings shared by every environment; every value that differs comes from the environment.

With no environment variable set the app runs on a SQLite file and executes Celery tasks eagerly
(the one-command demo). See README "Configuration reference" for the variables.
"""

import datetime as dt
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# The process environment only: `.env` is read by local.py (development), never by test or production.
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "django_fsm",
    "common",
    "compliance",
    "accounts",
    "cases",
    "visits",
    "agreements",
    "supervision",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets served from here: nothing loads from a CDN
    "api",
    # Security (SECURITY.md): sign-in lockout per username + IP, TOTP two-factor with backup codes, CSP.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "common.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The cache (throttles) unreachable: a clear 503, JSON under /api/ (common/middleware.py).
    "common.middleware.CacheUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Every page but login requires a signed-in user (Django 5.1+).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Users of TWO_FACTOR_ROLES go to enrolment / verification until the session is verified.
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a sign-in refused for lockout into the lockout page (or the API's JSON); keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/fieldledger; default: a SQLite file.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers queue instead of
    # failing half-way; the audit chain relies on appends being serialized.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: refuses a locked-out username + IP before the password is even checked.
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users see nothing.
GUARDIAN_RAISE_403 = False
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:case-list"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Idle sessions end after SESSION_IDLE_MINUTES (the cookie is renewed on every request).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-in lockout (django-axes, accounts/lockout.py): LOGIN_FAILURE_LIMIT failed sign-ins for one
# username from one IP address (web, admin and the API's token endpoint alike) lock that pair for
# LOGIN_LOCKOUT_MINUTES; an administrator unlocks earlier (admin "Sign-in lockouts", or `unlock_login`).
AXES_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A refused attempt during a lockout neither counts again nor prolongs it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail already
AXES_ENABLE_ADMIN = False  # accounts/admin.py shows the lockouts, and unlocking is audited
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"  # REMOTE_ADDR, as the API's throttles
AXES_CLIENT_STR_CALLABLE = "accounts.lockout.client_str"  # axes' log lines name digests, not people
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "otp_code"]

# Two-factor authentication (django-otp, accounts/two_factor.py): the roles that must pass a TOTP code
# (or a backup code) after the password. Comma-separated role names; empty switches it off.
TWO_FACTOR_ROLES = tuple(
    env.list("TWO_FACTOR_ROLES", default=["supervisor", "compliance_officer", "administrator"])
)
OTP_TOTP_ISSUER = env.str("TWO_FACTOR_ISSUER", default="FieldLedger")
TWO_FACTOR_BACKUP_CODES = 10

# --- Browser security headers (SECURITY.md) -------------------------------------------------------
# No inline script or style anywhere: scripts and styles come from static files of this site only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Permissions-Policy (common/middleware.py): location for the on-site check-in, camera and microphone
# for evidence, everything else off.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    "microphone": ["self"],
    "accelerometer": [],
    "autoplay": [],
    "bluetooth": [],
    "browsing-topics": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "gamepad": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "local-fonts": [],
    "magnetometer": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "web-share": [],
    "xr-spatial-tracking": [],
}

# --- I18N / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-public/"  # evidence is never served by URL; only through permission-checked views
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": {"BACKEND": MEDIA_STORAGE},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# S3-compatible object storage for uploads and evidence (install the `s3` extra: django-storages +
# boto3). Files stay private: no public ACL, no public URLs; the app streams them after its checks.
if MEDIA_STORAGE == "storages.backends.s3.S3Storage":
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env.str("S3_BUCKET"),
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("S3_REGION", default="") or None,
        "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
        "location": env.str("S3_PREFIX", default=""),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": env.str("S3_SERVER_SIDE_ENCRYPTION", default="AES256")},
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FIELDLEDGER_MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# Largest evidence files of a visit, by kind (judged by content, not by name).
EVIDENCE_MAX_PHOTO_BYTES = env.int("EVIDENCE_MAX_PHOTO_BYTES", default=20 * 1024 * 1024)
EVIDENCE_MAX_AUDIO_BYTES = env.int("EVIDENCE_MAX_AUDIO_BYTES", default=100 * 1024 * 1024)
EVIDENCE_MAX_VIDEO_BYTES = env.int("EVIDENCE_MAX_VIDEO_BYTES", default=300 * 1024 * 1024)

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis (the embedded demo) tasks run in-process, eagerly.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Agreements (agreements/tasks.py): payment reminders hourly (each is sent once, within the debtor's
    # hours), and overdue instalments, broken agreements and promises kept or broken, every few hours.
    "agreements-payment-reminders": {"task": "agreements.tasks.send_payment_reminders", "schedule": 60 * 60},
    "agreements-daily-follow-up": {"task": "agreements.tasks.daily_follow_up", "schedule": 6 * 60 * 60},
    # Scheduled reviews of open follow-up plans (review_every_days), idempotent: hourly is enough.
    "agreements-follow-up-reviews": {
        "task": "agreements.tasks.schedule_follow_up_reviews",
        "schedule": 60 * 60,
    },
    "verify-audit-chain-nightly": {
        "task": "compliance.tasks.verify_audit_chain",
        "schedule": 24 * 60 * 60,
    },
    # Compliance (compliance/tasks.py): alerts for complaints past their pack's response targets, and
    # the retention job (anonymization of cases closed longer than the pack's retention period).
    "compliance-flag-overdue-complaints": {
        "task": "compliance.tasks.flag_overdue_complaints",
        "schedule": 60 * 60,
    },
    "compliance-anonymize-expired-cases": {
        "task": "compliance.tasks.anonymize_expired_cases",
        "schedule": 24 * 60 * 60,
    },
    # Visits (visits/tasks.py): reminders to the agents, expiry of plans not approved in time, and
    # approved visits whose notice lead time can no longer be met. Each task is idempotent.
    "visits-remind-agents": {"task": "visits.tasks.remind_agents", "schedule": 5 * 60},
    # Delivery receipts that are pulled rather than pushed (Aliyun QuerySendDetails): visits/sms_aliyun.py.
    "visits-pull-sms-receipts": {"task": "visits.tasks.pull_sms_receipts", "schedule": 5 * 60},
    "visits-expire-unapproved": {"task": "visits.tasks.expire_unapproved_plans", "schedule": 15 * 60},
    "visits-flag-notice-lead-time": {
        "task": "visits.tasks.flag_notice_lead_time_at_risk",
        "schedule": 15 * 60,
    },
}

CELERY_BEAT_SCHEDULE.update(
    {
        # Integration API (api/tasks.py): the stage-change outbox read from the audit trail and the case
        # history, and the webhook deliveries whose retry is due. Both idempotent.
        "api-scan-stage-changes": {"task": "api.tasks.scan_stage_changes", "schedule": 60},
        "api-deliver-due-webhooks": {"task": "api.tasks.deliver_due_webhooks", "schedule": 60},
    }
)

# Robustness (docs/deployment.md): tasks are acknowledged after they ran (a worker killed mid-task has
# its task delivered again; every task is idempotent), one message prefetched per worker process, and a
# task not acknowledged within the visibility timeout is delivered again (longer than the longest task).
# Publishing fails fast when the broker is down: the outbox (common/outbox.py) keeps the task for the relay.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=15 * 60),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_BEAT_SCHEDULE.update(
    {
        # The outbox relay (common/tasks.py) and the reconcilers of work recorded `queued` for too long.
        "outbox-relay": {"task": "common.tasks.relay_outbox", "schedule": 60},
        "outbox-purge": {"task": "common.tasks.purge_outbox", "schedule": 24 * 60 * 60},
        "visits-requeue-stuck-notices": {"task": "visits.tasks.requeue_stuck_notices", "schedule": 5 * 60},
        "compliance-requeue-stuck-exports": {
            "task": "compliance.tasks.requeue_stuck_exports",
            "schedule": 5 * 60,
        },
    }
)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)
# Queued notices and exports older than this are handed over again by the reconcilers.
OUTBOX_REQUEUE_AFTER_MINUTES = env.int("OUTBOX_REQUEUE_AFTER_MINUTES", default=15)

# The cache (throttles, rate limits) on its own Redis database or server (CACHE_URL), never the broker's:
# a broker outage must not take the pages down. Short timeouts; when it is down the pages answer a clear
# 503 (common.middleware.CacheUnavailableMiddleware), never a bare 500.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- FieldLedger --------------------------------------------------------------------------
# Key for the keyed digests (HMAC-SHA256) of ID numbers and phones used for matching and search.
# Separate from SECRET_KEY so that rotating the session key does not orphan the digests.
PII_DIGEST_KEY = env.str("PII_DIGEST_KEY", default="")
SYSTEM_USERNAME = "fieldledger-system"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools log every rendering step at INFO.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Notices, SMS and email (visits) ------------------------------------------------------------
# The agency named in notices and on the debtor's public verification page.
AGENCY_NAME = env.str("AGENCY_NAME", default="FieldLedger Demo Agency")
# The agency's PAdES signature on the PDFs it issues (common/signing.py, README "Signed documents").
DOCUMENT_SIGNING_KEY = env.str("DOCUMENT_SIGNING_KEY", default="")
DOCUMENT_SIGNING_CERT = env.str("DOCUMENT_SIGNING_CERT", default="")
DOCUMENT_SIGNING_CHAIN = env.str("DOCUMENT_SIGNING_CHAIN", default="")
DOCUMENT_SIGNING_PASSPHRASE = env.str("DOCUMENT_SIGNING_PASSPHRASE", default="")
DOCUMENT_TSA_URL = env.str("DOCUMENT_TSA_URL", default="")
DOCUMENT_SIGNING_REQUIRED = False  # production: True (no demo certificate there)
REQUIRE_DOCUMENT_FONTS = False  # production: True (system check fieldledger.E001)
# Absolute links in notices (the debtor's verification page) are built on this base.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Pluggable SMS gateway (see visits/sms.py). The default file backend is the simulated gateway: its
# outbox necessarily holds phone numbers, so keep it out of backups and logs.
SMS_BACKEND = env.str("SMS_BACKEND", default="visits.sms.FileBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms-outbox.jsonl"))
# Real gateways (README, "SMS gateways"): SMS_BACKEND=visits.sms.GatewayBackend sends each message through
# the gateway of its jurisdiction, with delivery receipts. `check --deploy` refuses the simulated backends
# and the console e-mail backend unless ALLOW_SIMULATED_MESSAGING=1 (a staging system, on purpose).
ALLOW_SIMULATED_MESSAGING = env.bool("ALLOW_SIMULATED_MESSAGING", default=False)
SMS_DEFAULT_JURISDICTION = env.str("SMS_DEFAULT_JURISDICTION", default="CN")
SMS_GATEWAY_CN = env.str("SMS_GATEWAY_CN", default="aliyun")
SMS_GATEWAY_US = env.str("SMS_GATEWAY_US", default="twilio")
SMS_GATEWAY_UK = env.str("SMS_GATEWAY_UK", default="twilio")
SMS_HTTP_CONNECT_TIMEOUT = env.float("SMS_HTTP_CONNECT_TIMEOUT", default=5.0)
SMS_HTTP_READ_TIMEOUT = env.float("SMS_HTTP_READ_TIMEOUT", default=10.0)
SMS_RETRY_ATTEMPTS = env.int("SMS_RETRY_ATTEMPTS", default=3)
SMS_RETRY_BASE_SECONDS = env.float("SMS_RETRY_BASE_SECONDS", default=1.0)
ALIYUN_SMS_ACCESS_KEY_ID = env.str("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env.str("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env.str("ALIYUN_SMS_SIGN_NAME", default="")
ALIYUN_SMS_TEMPLATE_CODE = env.str("ALIYUN_SMS_TEMPLATE_CODE", default="")
ALIYUN_SMS_TEMPLATE_PARAM = env.str("ALIYUN_SMS_TEMPLATE_PARAM", default="content")
ALIYUN_SMS_REGION = env.str("ALIYUN_SMS_REGION", default="cn-hangzhou")
ALIYUN_SMS_ENDPOINT = env.str("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")  # a sender number, or a Messaging Service SID (MG...)
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com")
# The exact public URL Twilio posts status callbacks to (its signature covers it): behind a proxy the
# request's own URL may differ, so the setting is what is signed and checked.
TWILIO_STATUS_CALLBACK_URL = env.str(
    "TWILIO_STATUS_CALLBACK_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/visits/sms/receipts/twilio/"
)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FieldLedger <noreply@fieldledger.invalid>")
# Audit exports (compliance/exports.py): PDFs are rendered in parts of this many events, and refused
# beyond the maximum (JSON Lines and CSV have no limit).
AUDIT_EXPORT_PDF_PART_EVENTS = env.int("AUDIT_EXPORT_PDF_PART_EVENTS", default=1000)
AUDIT_EXPORT_PDF_MAX_EVENTS = env.int("AUDIT_EXPORT_PDF_MAX_EVENTS", default=20000)
# Requests per minute and client IP on the public verification page (429 beyond).
PUBLIC_VERIFY_RATE_PER_MINUTE = env.int("PUBLIC_VERIFY_RATE_PER_MINUTE", default=30)

# --- Bounds on placement files (cases/import_limits.py, docs/deployment.md) ----------------------
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=40)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=2000)
IMPORT_MAX_PHONES_PER_ROW = env.int("IMPORT_MAX_PHONES_PER_ROW", default=10)
IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=200)
IMPORT_TIME_BUDGET_SECONDS = env.int("IMPORT_TIME_BUDGET_SECONDS", default=120)

# --- Integration API (api/, docs/api.md) ------------------------------------------------------------
REST_FRAMEWORK = {
    # Every API view names its own authentication (a creditor's API key or a user's token) and
    # permissions (api/views/base.py); nothing falls back to the session or to basic auth.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FieldLedger Integration API",
    "DESCRIPTION": (
        "Creditor endpoints (API key) and user endpoints (token) of FieldLedger. Errors are "
        '`{"errors": [{"code", "message", "source", "field"}]}`; see docs/api.md.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "tryItOutEnabled": False},
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "visits.models.Channel.choices",
        "NoticeChannelEnum": "api.serializers.user.NOTICE_CHANNELS",
        "ContactChannelEnum": "api.serializers.user.CONTACT_CHANNELS",
        "ContactResultEnum": "visits.models.ContactResult.choices",
        "PlacementResultEnum": "api.serializers.user.PLACEMENT_RESULTS",
        "VisitStateEnum": "visits.models.VisitState.choices",
        "AgreementStateEnum": "agreements.models.AgreementState.choices",
        "LevelEnum": "cases.models.Level.choices",
        "AgreementKindEnum": "agreements.models.AgreementKind.choices",
        "AddressKindEnum": "cases.models.AddressKind.choices",
        "InstalmentStatusEnum": "agreements.models.InstalmentStatus.choices",
        "FollowUpStatusEnum": "agreements.models.FollowUpStatus.choices",
        "VerificationStatusEnum": "cases.models.VerificationStatus.choices",
        "LogStatusEnum": "visits.models.LogStatus.choices",
        "FactSourceEnum": "cases.models.FactSource.choices",
        "PaymentSourceEnum": "agreements.models.PaymentSource.choices",
        "FactKindEnum": "cases.fact_models.FactKind.choices",
        "ConsentKindEnum": "cases.fact_models.ConsentKind.choices",
        "ConsentMethodEnum": "cases.fact_models.ConsentMethod.choices",
        "PaymentMethodEnum": "agreements.models.PaymentMethod.choices",
    },
}
# Requests per credential (DRF rate syntax: N/second|minute|hour|day); 429 beyond.
API_RATE_CREDITOR_KEY = env.str("API_RATE_CREDITOR_KEY", default="600/minute")
API_RATE_USER_TOKEN = env.str("API_RATE_USER_TOKEN", default="300/minute")
# Token requests (username + password) per client IP.
API_RATE_TOKEN_REQUESTS = env.str("API_RATE_TOKEN_REQUESTS", default="10/minute")
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=12)
API_PLACEMENT_MAX_ROWS = env.int("API_PLACEMENT_MAX_ROWS", default=5000)
API_WEBHOOK_TIMEOUT_SECONDS = env.int("API_WEBHOOK_TIMEOUT_SECONDS", default=10)
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=8)
API_WEBHOOK_RETRY_BASE_SECONDS = env.int("API_WEBHOOK_RETRY_BASE_SECONDS", default=30)
API_WEBHOOK_RETRY_MAX_SECONDS = env.int("API_WEBHOOK_RETRY_MAX_SECONDS", default=3600)
# Webhook URLs must be https unless this is set (development only).
API_WEBHOOK_ALLOW_HTTP = env.bool("API_WEBHOOK_ALLOW_HTTP", default=False)
# The API's schema and docs (/api/v1/schema/, /api/v1/docs/) for anyone; off under production settings:
# a signed-in user only (api/docs_views.py).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
# Complaints one verification link may file a day (the same words again while open are one complaint).
PUBLIC_COMPLAINTS_PER_DAY = env.int("PUBLIC_COMPLAINTS_PER_DAY", default=3)
