"""Reliability with real processes on the loopback (issue #8): gunicorn serving the
project's WSGI application, a private PostgreSQL cluster and a private Redis server
(tests/platform/reliability_stack.py), real Celery workers — stopped, restarted and killed
while they work. Run them alone with `pytest -m reliability`.

a. PostgreSQL restarted while pages are read and exchanges written: requests during the
   outage get a French 503 page (no traceback, no 500), requests succeed again afterwards
   without restarting gunicorn, and every write that was answered with a success is in the
   database.
b. Redis stopped: pages are still served (the cache degrades to the database), and Celery
   work queued before the outage runs once Redis is back. Pages that start a task during
   the outage (a large import, a referral) succeed: the task waits in the outbox and runs,
   once, when a worker connects to Redis again.
c. A worker killed (SIGKILL) in the middle of a task — the whole worker, or the pool
   process running the task: the task runs again and its effect happens exactly once.
"""

from __future__ import annotations

import email
import email.policy
import functools
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
from psycopg import sql

from tests.platform.reliability_stack import Answer, Service, Stack, request, tail, wait_until

pytestmark = pytest.mark.reliability

CSRF = "fiabilite0123456789abcdefghijklm"  # a CSRF secret of our own (32 characters)
UNAVAILABLE_TITLE = "Service momentanément indisponible"


@dataclass
class Site:
    """The stack, and what reliability_setup.py built in its database."""

    stack: Stack
    info: dict[str, Any]
    schema: str = field(init=False)

    def __post_init__(self) -> None:
        self.schema = self.info["schema"]

    def get(self, path: str) -> Answer:
        return request(self.stack.web_port, "GET", path, host=self.info["host"],
                       cookies={"sessionid": self.info["session"]})

    def post(self, path: str, form: dict[str, Any], *, signed_in: bool = True) -> Answer:
        """A form posted as a browser sends it (signed in as the admin, or anonymous)."""
        cookies = {"csrftoken": CSRF}
        if signed_in:
            cookies["sessionid"] = self.info["session"]
        return request(self.stack.web_port, "POST", path, host=self.info["host"],
                       body=urlencode(form), cookies=cookies,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "X-CSRFToken": CSRF})

    def post_interaction(self, summary: str) -> Answer:
        """The "new exchange" form of a case."""
        return self.post(f"/dossiers/{self.info['case_id']}/echanges/",
                         {**self.info["form"], "summary": summary})

    def query(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the private database directly, in the association's schema."""
        with psycopg.connect(self.stack.postgres.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            return conn.execute(statement, params).fetchall()

    def public(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the private database's public schema (the outbox, for one)."""
        with psycopg.connect(self.stack.postgres.url(), autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()

    def mail_subjects(self) -> list[str]:
        """Subjects of the e-mails the project's processes sent (file backend)."""
        folder = self.stack.folder / "mail"
        subjects = []
        for path in sorted(folder.glob("*.log")) if folder.exists() else []:
            for part in path.read_text().split("-" * 79):
                if part.strip():
                    message = email.message_from_string(part.strip(), policy=email.policy.default)
                    subjects.append(str(message["subject"]))
        return subjects

    def import_status(self, run_id: int) -> str:
        return str(self.query("SELECT status FROM tracking_importrun WHERE id = %s", run_id)[0][0])

    def enqueue_commit(self, run_id: int) -> None:
        """What the import page does once the commit is asked for, sent to the private
        Redis (the test process's own broker is another one)."""
        from onboarding.importing.tasks import import_commit_task
        from relier_platform.celery import app

        with app.connection_for_write(self.stack.redis.url) as conn:
            import_commit_task.apply_async(
                (run_id, self.schema, self.info["admin_id"]), connection=conn,
                headers={"_schema_name": self.schema})


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    folder = Path(tempfile.mkdtemp(prefix="relier-fiab-"))
    stack = Stack(folder)
    try:
        stack.postgres.init()
        stack.postgres.start(durable=False)
        stack.postgres.create_database("relier")
        stack.redis.start()
        out = stack.python("-m", "tests.platform.reliability_setup")
        info = json.loads(out.strip().splitlines()[-1])
        stack.postgres.stop()
        stack.postgres.start()  # with PostgreSQL's default durability from now on
        stack.gunicorn(workers=2)
        site = Site(stack, info)
        wait_until(lambda: site.get("/dossiers/").status == 200, timeout=60,
                   what="the case list served by gunicorn")
        yield site
    finally:
        stack.close()
        shutil.rmtree(folder, ignore_errors=True)


def gunicorn_of(site: Site) -> Service:
    return site.stack.services[0]


def assert_clean_503(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert UNAVAILABLE_TITLE in answer.body, answer.body[:500]
    assert "Traceback" not in answer.body
    assert "OperationalError" not in answer.body
    assert answer.headers.get("retry-after") == "10"
    assert answer.headers["content-type"].startswith("text/html")


# --- a. PostgreSQL restarted during load --------------------------------------------------


@dataclass
class Sent:
    kind: str  # read or write
    marker: str  # the summary of a written exchange
    started: float
    ended: float
    answer: Answer


class Load:
    """Two readers of the case list and two writers of exchanges, each pausing 20 ms
    between requests, until stopped (and never more than 2,000 requests each)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.results: list[Sent] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._read) for _ in range(2)]
        self.threads += [threading.Thread(target=self._write, args=(n,)) for n in range(2)]

    def _send(self, kind: str, marker: str, call: Callable[[], Answer]) -> None:
        started = time.monotonic()
        answer = call()
        with self.lock:
            self.results.append(Sent(kind, marker, started, time.monotonic(), answer))

    def _read(self) -> None:
        for _ in range(2000):
            if self.done.is_set():
                return
            self._send("read", "", lambda: self.site.get("/dossiers/"))
            time.sleep(0.02)

    def _write(self, writer: int) -> None:
        for n in range(2000):
            if self.done.is_set():
                return
            marker = f"fiab-{writer}-{n}"
            self._send("write", marker, functools.partial(self.site.post_interaction, marker))
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def between(self, start: float, end: float, kind: str | None = None) -> list[Sent]:
        """The requests sent and answered within [start, end]."""
        with self.lock:
            return [r for r in self.results if start <= r.started and r.ended <= end
                    and (kind is None or r.kind == kind)]


def test_postgresql_restart_during_load_fails_cleanly_recovers_and_loses_nothing(
    site: Site,
) -> None:
    gunicorn = gunicorn_of(site)
    workers_before = gunicorn.children()
    case_page = f"/dossiers/{site.info['case_id']}/"
    with Load(site) as load:
        time.sleep(2)
        stopping = time.monotonic()
        site.stack.postgres.stop()  # pg_ctl stop -m fast: sessions cut, server gone
        down = time.monotonic()
        time.sleep(2)
        starting = time.monotonic()
        site.stack.postgres.start()  # pg_ctl start -w: returns once it accepts connections
        back = time.monotonic()
        wait_until(lambda: len(load.between(back, math.inf, "read")) >= 10
                   and len(load.between(back, math.inf, "write")) >= 10,
                   timeout=30, what="requests after the restart")
    log = tail(gunicorn.log)

    every = [r.answer for r in load.results]
    assert {a.status for a in every} <= {200, 302, 503}, (
        sorted({a.status for a in every}), [a.body[:300] for a in every
                                           if a.status not in {200, 302, 503}][:3], log)
    # Before the outage everything worked; while the server was down, clean French 503
    # pages (so were the requests cut while it stopped).
    assert {r.answer.status for r in load.between(0, stopping)} <= {200, 302}
    outage = [r.answer for r in load.between(down, starting)]
    assert outage, "no request while PostgreSQL was down"
    assert {a.status for a in outage} == {503}
    for answer in every:
        if answer.status == 503:
            assert_clean_503(answer)
    # Once it is back, every request succeeds, served by the same gunicorn workers (each
    # found its kept connection dead and opened a new one: CONN_HEALTH_CHECKS).
    after = [r.answer for r in load.between(back, math.inf)]
    assert {a.status for a in after} <= {200, 302}, [(a.status, a.body[:200]) for a in after
                                                     if a.status not in {200, 302}][:3]
    assert gunicorn.alive()
    assert gunicorn.children() == workers_before
    for sent in load.between(back, math.inf, "write"):
        assert sent.answer.headers["location"].endswith(f"/dossiers/{site.info['case_id']}/")
    assert site.get(case_page).status == 200

    # Nothing acknowledged is lost: every exchange answered with a redirect is stored.
    acknowledged = {r.marker for r in load.results if r.kind == "write"
                    and r.answer.status == 302}
    stored = {row[0] for row in site.query(
        "SELECT summary FROM tracking_interaction WHERE summary LIKE 'fiab-%%'")}
    assert acknowledged, "no write succeeded"
    assert acknowledged <= stored, sorted(acknowledged - stored)[:10]


# --- b. Redis down ------------------------------------------------------------------------


@pytest.mark.worker
def test_redis_down_pages_still_served_and_queued_work_resumes_after(site: Site) -> None:
    queued = site.info["queued_imports"]
    per_import = site.info["rows_per_queued_import"]
    # Work queued while no worker runs (a worker being redeployed, or all busy).
    for run_id in queued:
        site.enqueue_commit(run_id)
    site.stack.redis.stop()
    try:
        # Pages: the host look-up, the list, a case, a write — served from the database.
        for path in ("/dossiers/", f"/dossiers/{site.info['case_id']}/", "/"):
            answer = site.get(path)
            assert answer.status == 200, (path, answer.status, answer.body[:500],
                                          tail(gunicorn_of(site).log))
        answer = site.post_interaction("fiab-sans-redis")
        assert answer.status == 302, answer.body[:500]
        assert site.query("SELECT count(*) FROM tracking_interaction WHERE summary = %s",
                          "fiab-sans-redis") == [(1,)]
        # Readiness tells the operator what is missing.
        ready = site.get("/readyz")
        assert ready.status == 503
        assert json.loads(ready.body)["checks"]["cache"] == "error"
        # A worker started meanwhile waits for the broker instead of exiting.
        worker = site.stack.worker("w-redis")
        time.sleep(4)
        assert worker.alive(), tail(worker.log)
        assert {site.import_status(run_id) for run_id in queued} == {"committing"}
    finally:
        site.stack.redis.start()

    wait_until(lambda: {site.import_status(run_id) for run_id in queued} == {"committed"},
               timeout=90, every=0.5, what=f"the queued imports (worker log:\n{tail(worker.log)})")
    worker.stop()
    rows = site.query("SELECT external_id, count(*) FROM tracking_case "
                      "WHERE external_id LIKE 'Q%%' GROUP BY external_id")
    assert len(rows) == len(queued) * per_import
    assert {n for _e, n in rows} == {1}
    ready = site.get("/readyz")
    assert ready.status == 200, ready.body


REFERRAL = {
    "referrer_kind": "school", "referrer_name": "CPE du collège", "referrer_contact": "01 23 45",
    "first_name": "Yanis", "birth_year": "2012", "town": "Créteil",
    "description": "Signalement envoyé pendant la panne de Redis.",
}


@pytest.mark.worker
def test_redis_down_pages_that_start_tasks_succeed_and_their_tasks_run_once_it_is_back(
    site: Site,
) -> None:
    """A large import committed and a referral sent while Redis is down: both pages answer
    as usual, their tasks wait in the outbox (tenants/outbox/services.py), and a worker that
    connects once Redis is back sends and runs them — each once."""
    run_id, rows = site.info["large_import"], site.info["large_import_rows"]
    referrals = site.query("SELECT count(*) FROM tracking_referral")[0][0]
    site.stack.redis.stop()
    try:
        answer = site.post(f"/parametres/import/{run_id}/valider/", {})
        assert answer.status == 302, (answer.status, answer.body[:500],
                                      tail(gunicorn_of(site).log))
        assert answer.headers["location"].endswith(f"/parametres/import/{run_id}/#rapport")
        assert site.import_status(run_id) == "committing"
        referral = site.post("/signaler", REFERRAL, signed_in=False)
        assert referral.status == 200, (referral.status, referral.body[:500])
        assert "Merci" in referral.body
        assert site.query("SELECT count(*) FROM tracking_referral") == [(referrals + 1,)]
        assert site.public("SELECT task_name, schema_name FROM tenants_outboxtask "
                           "WHERE sent_at IS NULL ORDER BY id") == [
            ("onboarding.import_commit_task", site.schema),
            ("tracking.referral_notify_task", site.schema)]
        page = site.get(f"/parametres/import/{run_id}/")
        assert page.status == 200, page.body[:500]
        worker = site.stack.worker("w-outbox")
        time.sleep(2)
        assert worker.alive(), tail(worker.log)
    finally:
        site.stack.redis.start()

    # Sent when the worker connects (worker_ready), without waiting for beat.
    wait_until(lambda: site.import_status(run_id) == "committed", timeout=120, every=0.5,
               what=f"the large import (worker log:\n{tail(worker.log)})")
    wait_until(lambda: any(s.startswith("Nouveau signalement reçu")
                           for s in site.mail_subjects()),
               timeout=60, every=0.5, what="the referral's notice")
    worker.stop()
    counted = site.query("SELECT external_id, count(*) FROM tracking_case "
                         "WHERE external_id LIKE 'L-%%' GROUP BY external_id")
    assert len(counted) == rows
    assert {n for _e, n in counted} == {1}
    notices = [s for s in site.mail_subjects() if s.startswith("Nouveau signalement")]
    assert len(notices) == 1, notices
    assert site.public("SELECT count(*) FROM tenants_outboxtask WHERE sent_at IS NULL") == [
        (0,)]


# --- c. A worker killed in the middle of a task --------------------------------------------


def waiting(site: Site, on: str = "") -> set[int]:
    """Backends (pids) waiting for a lock, in a statement that names `on`."""
    with psycopg.connect(site.stack.postgres.url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE %s", (f"%{on}%",)).fetchall()
    return {pid for (pid,) in rows}


def waiting_on_the_code_counter(site: Site) -> set[int]:
    """The backend of a task blocked on our lock, half-way through the import."""
    return waiting(site, "tracking_casecodecounter")


class HeldCodeCounter:
    """Holds the table of case numbers so that an import commit stops half-way: its
    transaction has locked the run and checked every row, and waits to number the cases.
    That is the moment the test kills the worker."""

    def __init__(self, site: Site) -> None:
        self.conn = psycopg.connect(site.stack.postgres.url())
        self.conn.execute(sql.SQL("LOCK TABLE {}.tracking_casecodecounter IN EXCLUSIVE MODE")
                          .format(sql.Identifier(site.schema)))

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def assert_imported_once(site: Site, run_id: int, prefix: str) -> None:
    rows = site.query("SELECT external_id, count(*) FROM tracking_case "
                      "WHERE external_id LIKE %s GROUP BY external_id", f"{prefix}-%")
    assert len(rows) == site.info["rows_of_the_killed_import"], len(rows)
    assert {n for _e, n in rows} == {1}
    audit = site.query("SELECT count(*) FROM tracking_auditlog "
                       "WHERE action = 'import.commit' AND object_id = %s", str(run_id))
    assert audit == [(1,)]


def assert_nothing_imported(site: Site, run_id: int, prefix: str) -> None:
    assert site.query("SELECT count(*) FROM tracking_case WHERE external_id LIKE %s",
                      f"{prefix}-%") == [(0,)]
    assert site.import_status(run_id) == "committing"


@pytest.mark.worker
def test_a_worker_killed_mid_task_is_replaced_and_the_task_runs_once(site: Site) -> None:
    run_id = site.info["killed_imports"]["KW"]
    held = HeldCodeCounter(site)
    try:
        first = site.stack.worker("w-killed")
        site.enqueue_commit(run_id)
        wait_until(lambda: bool(waiting_on_the_code_counter(site)), timeout=60,
                   what=f"the task half-way (worker log:\n{tail(first.log)})")
        first.kill()  # SIGKILL of the worker, its task half done
        assert_nothing_imported(site, run_id, "KW")
    finally:
        held.release()
    # The message was never acknowledged: once the visibility timeout (2 s here) has
    # passed, Redis hands it to the next worker that starts.
    time.sleep(3)
    second = site.stack.worker("w-replacement")
    wait_until(lambda: site.import_status(run_id) == "committed", timeout=90, every=0.5,
               what=f"the import run again (worker log:\n{tail(second.log)})")
    second.stop()
    assert_imported_once(site, run_id, "KW")


@pytest.mark.worker
def test_a_pool_process_killed_mid_task_and_the_task_runs_once(site: Site) -> None:
    run_id = site.info["killed_imports"]["KC"]
    held = HeldCodeCounter(site)
    try:
        worker = site.stack.worker("w-prefork", pool="prefork", concurrency=1)
        site.enqueue_commit(run_id)
        wait_until(lambda: bool(waiting_on_the_code_counter(site)), timeout=60,
                   what=f"the task half-way (worker log:\n{tail(worker.log)})")
        first_attempt = waiting_on_the_code_counter(site)
        (child,) = worker.children()
        os.kill(child, signal.SIGKILL)  # the pool process running the task
        # task_reject_on_worker_lost: the message goes back to the queue at once and a new
        # pool process starts the task again, which waits for a lock in its turn (ours, or
        # the run's row while the first attempt's backend is still rolling back).
        wait_until(lambda: bool(waiting(site) - first_attempt), timeout=60,
                   what=f"the task started again (worker log:\n{tail(worker.log)})")
        assert_nothing_imported(site, run_id, "KC")
    finally:
        held.release()
    wait_until(lambda: site.import_status(run_id) == "committed", timeout=60, every=0.5,
               what=f"the import run again (worker log:\n{tail(worker.log)})")
    assert worker.alive()
    worker.stop()
    assert_imported_once(site, run_id, "KC")
