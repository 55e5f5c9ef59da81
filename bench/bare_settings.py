"""Settings of the bench's bare server (bench/request_path.py): the product's settings with no
middleware (but allauth's, which refuses to start without it: it only wraps the response)
and a URLConf of one view that runs the case list's SQL (bench/bare_urls.py)."""

from relier_platform.settings import *  # noqa: F403

MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
ROOT_URLCONF = "bare_urls"
PUBLIC_SCHEMA_URLCONF = "bare_urls"
