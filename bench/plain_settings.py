"""Settings of the bench's "plain Django" server for the routing ratio (bench/request_path.py).

The product's settings, but served the way a single-tenant Django project is: Django's own
database backend with the association's schema fixed in the connection's search_path
(BENCH_SCHEMA), no database router, Django's default middleware (`startproject`'s list; plus
allauth's, which refuses to start without it: it only wraps the response) and one URL, the
trivial page (bench/trivial.py). Sessions and accounts are read from the same tables as in
the product (the session in the association's schema, the person in public), so the same
cookie signs the same person in."""

import os

from relier_platform.settings import *  # noqa: F403
from relier_platform.settings import DATABASES

_schema = os.environ["BENCH_SCHEMA"]
DATABASES = {"default": {
    **DATABASES["default"],
    "ENGINE": "django.db.backends.postgresql",
    "OPTIONS": {"options": f"-c search_path={_schema},public"},
}}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
ROOT_URLCONF = "plain_urls"
PUBLIC_SCHEMA_URLCONF = "plain_urls"
