"""Loaded first (`-p tests.pytest_env`): the tests' own Redis database and key prefixes,
so that a developer's running worker or cache never meets the tests' messages."""

import os

os.environ.setdefault("RELIER_REDIS_DB", "15")
os.environ.setdefault("CACHE_KEY_PREFIX", "test")
os.environ.setdefault("CELERY_KEY_PREFIX", "test:")
os.environ.setdefault("RELIER_BASE_DOMAIN", "relier.test")
os.environ.setdefault("DJANGO_DEBUG", "0")
