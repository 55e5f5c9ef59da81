"""Settings of the bench's bare server (bench/request_path.py): the product's settings with no
middleware (but allauth's, which refuses to start without it: it only wraps the response)
and a URLConf of one view that runs the case list's SQL (bench/bare_urls.py)."""

import os

from relier_platform.settings import *  # noqa: F403
from relier_platform.settings import DATABASES

# The association's schema in the connection's search_path (Django's own backend): the
# product sets it once per connection and schema, not on every request
# (tenants.tenancy.middleware), so the bare view must not pay a `SET search_path` either.
_schema = os.environ["BENCH_SCHEMA"]
DATABASES = {"default": {
    **DATABASES["default"],
    "ENGINE": "django.db.backends.postgresql",
    "OPTIONS": {"options": f"-c search_path={_schema},public"},
}}
MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
ROOT_URLCONF = "bare_urls"
PUBLIC_SCHEMA_URLCONF = "bare_urls"
