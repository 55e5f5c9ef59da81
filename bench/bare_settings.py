"""Settings of the bench's bare server (bench/request_path.py): the product's settings with no
middleware and a URLConf of one view that runs the case list's SQL (bench/bare_urls.py)."""

from relier_platform.settings import *  # noqa: F403

MIDDLEWARE = []
ROOT_URLCONF = "bare_urls"
PUBLIC_SCHEMA_URLCONF = "bare_urls"
