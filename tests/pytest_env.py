"""Loaded first (`-p tests.pytest_env`): the tests' own database, Redis database and key
prefixes, unique per test run, so that neither a developer's running worker or cache nor
a second test run on the same machine ever meets this run's data or messages."""

import os

RUN_ID = os.environ.setdefault("RELIER_TEST_RUN", str(os.getpid()))
os.environ.setdefault("DATABASE_TEST_NAME", f"test_relier_{RUN_ID}")
os.environ.setdefault("RELIER_REDIS_DB", "15")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test{RUN_ID}")
os.environ.setdefault("CELERY_KEY_PREFIX", f"test{RUN_ID}:")
os.environ.setdefault("RELIER_BASE_DOMAIN", "relier.test")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# No per-process copies of cached lookups: each test clears the cache and expects the next
# request to read the database (tests/platform/test_local_memo.py turns them on).
os.environ.setdefault("RELIER_LOCAL_CACHE_SECONDS", "0")
# Outgoing webhooks (tracking/webhooks/): a receiver on 127.0.0.1, quick retries, few
# attempts — in this process and in the tests' Celery worker, which inherits them.
os.environ.setdefault("RELIER_WEBHOOKS_ALLOW_PRIVATE", "1")
os.environ.setdefault("RELIER_WEBHOOKS_RETRY_SECONDS", "0.1")
os.environ.setdefault("RELIER_WEBHOOKS_MAX_ATTEMPTS", "4")
