"""A real Celery worker on the test database, real Redis broker: started once per test
session (fixture `worker` in tests/conftest.py) for the tests marked `worker`. It only sees
committed data: those tests commit what they give it, in associations of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
# What the worker sends by e-mail: one file per message, here (tests read them).
MAIL_DIR = Path(tempfile.gettempdir()) / f"relier-test-mail-{os.environ.get('RELIER_TEST_RUN', '')}"


def run_worker() -> Iterator[None]:
    db = connection.settings_dict
    url = make_conninfo(
        host=db["HOST"] or "", port=str(db["PORT"] or ""), dbname=db["NAME"],
        user=db["USER"] or "", password=db["PASSWORD"] or "",
    )
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL,
           "RELIER_REDIS_DB": "0",
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(MAIL_DIR)}
    # Two threads: tasks of several associations run at once, each in its own schema.
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "relier_platform.celery", "worker",
         "--pool", "threads", "--concurrency", "2", "--loglevel", "WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env,
    )
    yield
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
