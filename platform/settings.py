"""Settings of the whole product (one project, two kinds of schema).

Every value that differs between machines comes from the environment. Without
DATABASE_URL / REDIS_URL the embedded servers under `.data/` are started (see embedded.py).
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from psycopg.conninfo import conninfo_to_dict

from relier_platform import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production sets DJANGO_SECRET_KEY; a machine without it gets a random key of its own,
# kept in the git-ignored data folder so that sessions survive restarts.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or embedded.local_secret_key()

# Associations live on <slug>.<BASE_DOMAIN>; the platform site on BASE_DOMAIN itself.
BASE_DOMAIN = env.str("RELIER_BASE_DOMAIN", default="localhost")
SITE_SCHEME = env.str("RELIER_SCHEME", default="http")
SITE_PORT = env.str("RELIER_PORT", default="8000" if DEBUG else "")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])

# --- Apps: which schema each one lives in is pinned by tests/platform/test_app_lists.py ---
SHARED_APPS = [
    "django_tenants",
    "relier_platform",
    "tenants",
    "billing",
    "onboarding",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    # Sessions are stored in the schema of the host they were opened on: a session
    # cookie copied to another association's host finds no session there.
    "django.contrib.sessions",
    "tracking",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Association"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "relier_platform.urls_public"
ROOT_URLCONF = "relier_platform.urls_tenant"
# New associations are cloned from this migrated schema instead of running migrations.
TENANT_BASE_SCHEMA = "relier_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
GET_EXECUTOR_FUNCTION = "tenants.migration.get_executor"
# Set the search_path once per schema change, not before every query.
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # First: every log line of the request carries its id (platform/requestid.py).
    "relier_platform.requestid.RequestIdMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.security.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.MembershipMiddleware",
    "billing.middleware.ReadOnlyMiddleware",
]

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
                "tenants.context_processors.workspace",
                "billing.context_processors.billing",
            ],
        },
    }
]
WSGI_APPLICATION = "relier_platform.wsgi.application"

# --- Database: PostgreSQL only ---
_db_url = env.str("DATABASE_URL", default="")
_db = conninfo_to_dict(_db_url) if _db_url else embedded.postgres_settings()
DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": _db.get("dbname", "relier"),
        "USER": _db.get("user", "postgres"),
        "PASSWORD": _db.get("password", ""),
        "HOST": _db.get("host", ""),
        "PORT": _db.get("port", ""),
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env.str("DATABASE_TEST_NAME", default="test_relier")},
    }
}
# A connection that has served this many schemas is closed after the request or task (its
# PostgreSQL caches grow with each schema): tenants/connection_cap.py. 0: no cap.
DATABASE_CONN_MAX_SCHEMAS = env.int("DATABASE_CONN_MAX_SCHEMAS", default=100)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ---
REDIS_URL = embedded.with_redis_db(
    env.str("REDIS_URL", default="") or embedded.redis_url(), env.int("RELIER_REDIS_DB", default=0)
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key starts with the schema of the request or task that wrote it.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="relier"),
        "TIMEOUT": 300,
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="relier")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through LOGGING (JSON, with the task's schema) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "overdue-reminders": {"task": "tracking.overdue_reminders_all_task", "schedule": 15 * 60},
    "network-publication": {"task": "tenants.networks_publish_all_task",
                            "schedule": crontab(hour=2, minute=30)},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": env.str("CELERY_KEY_PREFIX", default="")}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS

# --- Encryption at rest of names and clinical notes (django-fernet-encrypted-fields) ---
# Keys are derived from SECRET_KEY (+ SECRET_KEY_FALLBACKS while rotating) and these salts.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["relier-fields-v1"])
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

# --- People and sign-in ---
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
LOGIN_REDIRECT_URL = "/"

# --- Account security (tenants/security.py) ---
# A second factor (TOTP + recovery codes) is offered to everyone; requiring it for admins and
# psychologists is not done yet (issue #8).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Relier"
# Sessions end after this long without a request, and this long after sign-in anyway.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)

LOGIN_URL = "account_login"

# Cookies are host-only (no Domain attribute): a session opened on one association's host
# is sent nowhere else. The hand-off between associations is tenants/handoff.py.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = SITE_SCHEME == "https"
CSRF_COOKIE_SECURE = SITE_SCHEME == "https"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Language: French first, English second ---
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the source folders unless `collectstatic` was run (production).
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Relier <ne-pas-repondre@relier.local>")

# One JSON object a line (with the schema and the request id) unless RELIER_LOG_JSON=0;
# plain text by default under DEBUG. See platform/requestid.py.
LOG_JSON = env.bool("RELIER_LOG_JSON", default=not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "relier_platform.requestid.ContextFilter"}},
    "formatters": {
        "json": {"()": "relier_platform.requestid.JsonFormatter"},
        "plain": {"format": "%(levelname)s %(name)s [%(schema)s %(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if LOG_JSON else "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pgserver": {"level": "WARNING"},
        "django_tenants": {"level": "WARNING"},
    },
}

# --- Sentry: off unless SENTRY_DSN is set (see sentry.py for what is never sent) ---
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from relier_platform.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))

DEFAULT_NOT_FOUND_TENANT_VIEW = "relier_platform.views.unknown_host"

# --- Stripe (billing/gateway.py is the only module that talks to it). Empty key: the
# gateway serves a local stub checkout page instead (development and tests). ---
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_PRICE_MONTHLY = env.str("STRIPE_PRICE_MONTHLY", default="")
STRIPE_PRICE_YEARLY = env.str("STRIPE_PRICE_YEARLY", default="")
