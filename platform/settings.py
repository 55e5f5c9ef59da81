"""Settings of the whole product (one project, two kinds of schema).

Every value that differs between machines comes from the environment. Without
DATABASE_URL / REDIS_URL the embedded servers under `.data/` are started (see embedded.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from psycopg.conninfo import conninfo_to_dict

from relier_platform import embedded
from relier_platform.headers import content_security_policy, permissions_policy

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
    # Per-object permissions (per-case grants, group facilitation): their tables are in each
    # association's schema (tracking's direct-key models); guardian's own generic tables
    # stay empty in public.
    "guardian",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    # Sign-in failures and lockouts (tenants/accounts/lockout.py): one count for every host.
    "axes",
    # The REST API (/api/v1/ on every host) and its OpenAPI schema; no tables of their own.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    # No django.contrib.contenttypes here: one content-type table, in public, for the whole
    # platform. auth_permission (public) points at it, and so do guardian's per-object
    # permissions read from an association's host; a second table per schema could number
    # the same model otherwise (tracking/migrations/0014_content_types_in_public_only.py).
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
GET_EXECUTOR_FUNCTION = "tenants.tenancy.migration.get_executor"
# Set the search_path once per schema change, not before every query.
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # First: every log line of the request carries its id (platform/requestid.py).
    "relier_platform.requestid.RequestIdMiddleware",
    # A person's next requests after a change of theirs read past this process's short-lived
    # copies (relier_platform.cache.LocalMemo.shared).
    "relier_platform.cache.ChangedRecentlyMiddleware",
    # Before the tenant: the security headers (relier_platform/headers.py) go on every
    # response, the unknown-host page and the sign-in redirects included.
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, its headers built once per process (platform/security_headers.py).
    "relier_platform.security_headers.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.tenancy.middleware.TenantMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the account read with SQL compiled once (tenants/accounts/authentication.py).
    "tenants.accounts.authentication.AuthenticationMiddleware",
    "tenants.accounts.security.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.tenancy.middleware.MembershipMiddleware",
    "tenants.accounts.mfa.SecondFactorRequiredMiddleware",
    "billing.middleware.ReadOnlyMiddleware",
    "tenants.offboarding.middleware.ClosingMiddleware",
    # Last, as axes asks: turns a lockout into the French lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # Constant `{% translate %}` and `{% url %}` rendered once per language
            # (platform/template_memo.py): Django's nodes with a memo.
            "libraries": {"i18n": "relier_platform.template_memo"},
            "builtins": ["relier_platform.template_builtins"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.tenancy.context_processors.workspace",
                "billing.context_processors.billing",
                "tracking.todo.context_processors.todo",
                "tracking.handovers.context.handovers",
            ],
        },
    }
]
# Django's form renderer, its common widgets written in Python (platform/form_renderer.py).
FORM_RENDERER = "relier_platform.form_renderer.FastWidgetRenderer"
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
        # Under DEBUG (runserver: one thread per browser connection, kept open while the
        # browser keeps it alive) a kept database connection per thread ran PostgreSQL out
        # of connections under a crawler: 0 closes it at the end of each request, so
        # connections are bounded by the requests being served, not by open sockets.
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60),
        "CONN_HEALTH_CHECKS": True,
        # psycopg's default (Django turns it off): lets relier_platform.prepared keep its
        # few hot statements prepared on the connection. Django's own cursors bind on the
        # client and are never prepared, whatever this says.
        "OPTIONS": {"prepare_threshold": 5},
        "TEST": {"NAME": env.str("DATABASE_TEST_NAME", default="test_relier")},
    }
}
# A connection that has served this many schemas is closed after the request or task (its
# PostgreSQL caches grow with each schema): tenants/tenancy/connection_cap.py. 0: no cap.
DATABASE_CONN_MAX_SCHEMAS = env.int("DATABASE_CONN_MAX_SCHEMAS", default=100)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ---
REDIS_URL = embedded.with_redis_db(
    env.str("REDIS_URL", default="") or embedded.redis_url(), env.int("RELIER_REDIS_DB", default=0)
)
CACHES = {
    "default": {
        # Django's RedisCache, except that an unreachable Redis acts as an empty cache
        # (pages fall back to the database instead of failing): platform/cache.py.
        "BACKEND": "relier_platform.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        # Bounded waits when Redis is unreachable (redis-py's default is to wait forever).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Every key starts with the schema of the request or task that wrote it.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="relier"),
        "TIMEOUT": 300,
    }
}
# Host → association and the billing state, read on every request, are also kept this many
# seconds in each web process (relier_platform.cache.LocalMemo): a change reaches the other
# processes within that time. 0: always ask Redis.
RELIER_LOCAL_CACHE_SECONDS = env.float("RELIER_LOCAL_CACHE_SECONDS", default=5.0)
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
    "retention": {"task": "tracking.retention_all_task",
                  "schedule": crontab(hour=3, minute=15)},
    # Tasks pages asked for while the broker was down (tenants/outbox/services.py).
    "outbox-flush": {"task": "tenants.outbox_flush_task",
                     "schedule": env.int("RELIER_OUTBOX_FLUSH_SECONDS", default=60)},
    # Idempotent answers of the API older than a day (tracking/api/tasks.py).
    "api-idempotency-purge": {"task": "tracking.api_idempotency_purge_all_task",
                              "schedule": crontab(hour=3, minute=40)},
    # Webhook deliveries whose retry was lost (tracking/webhooks/tasks.py).
    "webhook-deliveries-sweep": {"task": "tracking.webhook_deliveries_sweep_all_task",
                                 "schedule": 5 * 60},
    # Each person's digest of the day's to-do list (tracking/todo/tasks.py).
    "todo-digests": {"task": "tracking.todo_digests_all_task",
                     "schedule": crontab(hour=7, minute=0)},
    # Hand-overs nobody decided within 30 days: their summary destroyed
    # (tracking/handovers/tasks.py).
    "handovers-expire": {"task": "tracking.handovers_expire_task",
                         "schedule": crontab(hour=3, minute=25)},
    "ratelimit-purge": {"task": "tenants.ratelimit_purge_task",
                        "schedule": crontab(minute=7)},
    "export-leftovers": {"task": "tenants.export_leftovers_task",
                         "schedule": crontab(hour=4, minute=10)},
    # Stripe events whose processing failed past its retries are sent again
    # (billing.services.stripe_events_sweep).
    "stripe-events-sweep": {"task": "billing.stripe_events_sweep_task",
                            "schedule": 5 * 60},
    # Schemas cloned ahead of provisioning on a Citus cluster (tenants/tenancy/provisioning.py).
    "spares-fill": {"task": "tenants.spares_fill_task", "schedule": 10 * 60},
}
# Spare schemas kept ready (tenants/tenancy/provisioning.py): unset = 3 on Citus, 0 on one server.
_spares = env.str("RELIER_SPARE_SCHEMAS", default="").strip()
RELIER_SPARE_SCHEMAS = int(_spares) if _spares else None
# Threads replaying a new tenant migration in the schemas (tenants/tenancy/replay.py).
RELIER_MIGRATE_THREADS = env.int("RELIER_MIGRATE_THREADS", default=4)
# Sent outbox rows are kept this long (to tell what was sent when), then purged.
OUTBOX_KEEP_DAYS = env.int("RELIER_OUTBOX_KEEP_DAYS", default=7)
# --- Tasks survive a lost worker (tests/platform/test_reliability.py) ---
# Acked after they ran (CELERY_TASK_ACKS_LATE above), so every task must be idempotent. A
# pool process killed mid-task (OOM killer, kill -9): its message goes back to the queue
# at once instead of being acknowledged as failed.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A whole worker lost mid-task: Redis hands its unacknowledged messages to another worker
# after this many seconds. Must stay above the longest task, retry countdown included,
# or a task still running would be started a second time.
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
# A worker started while Redis is down waits for it instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that does not answer fails a send within seconds (the outbox keeps the task),
# whether it refuses connections, drops them, or hangs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": env.str("CELERY_KEY_PREFIX", default=""),
                                   "visibility_timeout": _visibility_timeout,
                                   "socket_connect_timeout": 2, "socket_timeout": 10}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    key: value for key, value in CELERY_BROKER_TRANSPORT_OPTIONS.items()
    if key in ("global_keyprefix", "visibility_timeout")}

# --- Encryption at rest of names and clinical notes (django-fernet-encrypted-fields) ---
# Keys are derived from SECRET_KEY (+ SECRET_KEY_FALLBACKS while rotating) and these salts.
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["relier-fields-v1"])
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

# --- People and sign-in ---
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # `user.has_perm("tracking.change_case", case)` answers from the per-case grants.
    "guardian.backends.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# django-guardian: no anonymous account (nothing is ever granted to visitors), no methods
# added to User or Group.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
GUARDIAN_MONKEY_PATCH_GROUP = False
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
ACCOUNT_ADAPTER = "tenants.accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
LOGIN_REDIRECT_URL = "/"
# Behind N reverse proxies, the client's address is the N-th from the right in
# X-Forwarded-For (allauth's rate limits, axes and tenants/accounts/ratelimit.py all read it so).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("RELIER_TRUSTED_PROXY_COUNT", default=0)
# allauth's own limits (per address, per account or per e-mail sent); refusals render
# templates/429.html. Failed sign-ins are counted by axes alone (below), not here too.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": None,
    "signup": "5/h/ip",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/h/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
}

# --- Lockout after repeated failures (django-axes; tenants/accounts/lockout.py says why each) ---
AXES_FAILURE_LIMIT = 5  # failures on one account
RELIER_LOCKOUT_IP_LIMIT = 20  # failures from one address, on any accounts
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # order read by LockoutHandler
AXES_RESET_ON_SUCCESS = True
# A locked account stays locked for the cool-off from its last counted failure; tries
# during the lockout neither count nor extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "tenants.accounts.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "tenants.accounts.lockout.client_ip"
AXES_HANDLER = "tenants.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "tenants.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Successful sign-ins are not logged by axes (personal data kept for nothing).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# --- Account security (tenants/accounts/mfa.py, tenants/accounts/security.py) ---
# A second factor (TOTP + recovery codes) is offered to everyone, required of admins,
# psychologists and operators. Changing a factor or the password ends the other sessions.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Relier"
# Exports and access changes need a sign-in or re-authentication less than this old.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
# Sessions end after this long without a request, and this long after sign-in anyway.
# Django's database sessions, read with SQL compiled once per connection (platform/sessions.py).
SESSION_ENGINE = "relier_platform.sessions"
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)

LOGIN_URL = "account_login"

# Cookies are host-only (no Domain attribute): a session opened on one association's host
# is sent nowhere else. The hand-off between associations is tenants/accounts/handoff.py.
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
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HSTS only where the site is served over HTTPS (SecurityMiddleware sends it on secure
# requests only); subdomains included: every association lives on one.
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SITE_SCHEME == "https" else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
CONTENT_SECURITY_POLICY = content_security_policy(base_domain=BASE_DOMAIN)
PERMISSIONS_POLICY = permissions_policy()

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
# For the file-based backend (django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Relier <ne-pas-repondre@relier.local>")
# A mail server that hangs fails the sending within seconds instead of holding a page.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

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

# --- REST API, /api/v1/ (issue #19; tracking/api/ on association hosts) ---
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # An association's key (Authorization: Bearer rlr_…), else the signed-in session.
    "DEFAULT_AUTHENTICATION_CLASSES": ["tracking.api.authentication.ApiKeyAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Versioned in the path: /api/v1/...; a version not listed answers 404.
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_VERSION": "v1",
    # Problem details (RFC 9457) in the request's language: platform/problems.py.
    "EXCEPTION_HANDLER": "relier_platform.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per key (tracking/api/throttling.py), counted in the cache under the host's schema.
    "DEFAULT_THROTTLE_RATES": {"api": env.str("RELIER_API_RATE", default="600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relier API",
    "DESCRIPTION": "API de Relier : signalements, dossiers et chiffres d'une association "
                   "partenaire. Chaque association a son adresse ; une clé d'API ne sert "
                   "que sur l'adresse de son association.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: the CSP allows no other origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choices named after what they are (a case's fields, written through the API).
    "ENUM_NAME_OVERRIDES": {
        "CaseGenderEnum": "tracking.models.Gender",
        "CaseRoleEnum": "tracking.models.CaseRole",
    },
}

DEFAULT_NOT_FOUND_TENANT_VIEW = "relier_platform.views.unknown_host"

# --- Stripe (billing/gateway.py is the only module that talks to it). Empty key: the
# gateway serves a local stub checkout page instead (development and tests). ---
# Outgoing webhooks (tracking/webhooks/): http and private or local addresses (a receiver
# on the developer's machine) only when allowed — under DEBUG and in the tests; the first
# retry after this many seconds, then twice as long each time; at most this many attempts
# per delivery; an endpoint disabled after this many failed deliveries in a row.
RELIER_WEBHOOKS_ALLOW_PRIVATE = env.bool("RELIER_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
RELIER_WEBHOOKS_RETRY_SECONDS = env.float("RELIER_WEBHOOKS_RETRY_SECONDS", default=30.0)
RELIER_WEBHOOKS_MAX_ATTEMPTS = env.int("RELIER_WEBHOOKS_MAX_ATTEMPTS", default=8)
RELIER_WEBHOOKS_DISABLE_AFTER = env.int("RELIER_WEBHOOKS_DISABLE_AFTER", default=5)

# Documents on a case (tracking/documents/): the largest file accepted, and where their
# encrypted bytes are kept — "database" (default: a table of each association's schema) or
# "s3" (an S3-compatible store; every object key starts with the association's schema).
RELIER_DOCUMENTS_MAX_BYTES = env.int("RELIER_DOCUMENTS_MAX_BYTES", default=10 * 1024 * 1024)
_documents_storage = env.str("RELIER_DOCUMENTS_STORAGE", default="database")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": {"BACKEND": "tracking.documents.storage.DatabaseStorage"}
    if _documents_storage != "s3" else {
        "BACKEND": "tracking.documents.s3.SchemaS3Storage",
        "OPTIONS": {
            "bucket_name": env.str("RELIER_DOCUMENTS_S3_BUCKET", default=""),
            "endpoint_url": env.str("RELIER_DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("RELIER_DOCUMENTS_S3_REGION", default="") or None,
            "access_key": env.str("RELIER_DOCUMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("RELIER_DOCUMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None, "querystring_auth": True, "file_overwrite": True,
        },
    },
}

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_PRICE_MONTHLY = env.str("STRIPE_PRICE_MONTHLY", default="")
STRIPE_PRICE_YEARLY = env.str("STRIPE_PRICE_YEARLY", default="")

# --- Offboarding (tenants/offboarding/services.py): closing an association is confirmed by an
# operator no sooner than this many days after the request; exports are written here. ---
CLOSURE_GRACE_DAYS = env.int("RELIER_CLOSURE_GRACE_DAYS", default=30)
OFFBOARDING_EXPORT_DIR = Path(env.str("RELIER_EXPORT_DIR", default="") or
                              embedded.DATA_DIR / "exports")
