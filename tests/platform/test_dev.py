"""`python3 dev.py start`: its web server (DEBUG, Django's threaded runserver) does not pile
up PostgreSQL connections under a crawler, and Ctrl-C stops the embedded PostgreSQL and
Redis it started — only those. Real servers, in subprocesses."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

import dev

ROOT = Path(__file__).resolve().parents[2]
SOCKETS_PER_ROUND, ROUNDS = 8, 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


# --- DEBUG: connections bounded by the requests being served ------------------------------


@pytest.fixture
def debug_server(world: Any, tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """`manage.py runserver` as dev.py starts it (DJANGO_DEBUG=1, the settings' own
    CONN_MAX_AGE), on the test database; its PostgreSQL sessions carry a name of their own
    (libpq's PGAPPNAME)."""
    db = connection.settings_dict
    url = make_conninfo(host=db["HOST"] or "", port=str(db["PORT"] or ""), dbname=db["NAME"],
                        user=db["USER"] or "", password=db["PASSWORD"] or "")
    name = f"relier-debug-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": url, "PGAPPNAME": name,
           "REDIS_URL": settings.REDIS_URL, "RELIER_REDIS_DB": "0"}
    env.pop("DATABASE_CONN_MAX_AGE", None)  # the tests' own 0: the settings' default here
    port = _free_port()
    log = tmp_path / "runserver.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: _port_open(port) or proc.poll() is not None, timeout=60,
              what="runserver")
        assert proc.poll() is None, log.read_text()
        yield port, url, name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _crawl(port: int, kept: list[http.client.HTTPConnection]) -> list[int]:
    """SOCKETS_PER_ROUND new sockets ask for a page at once, and are kept open; their
    statuses (0: the server did not keep the socket alive)."""
    start = threading.Barrier(SOCKETS_PER_ROUND)
    statuses: list[int] = []

    def one() -> None:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        kept.append(client)
        start.wait(30)
        client.request("GET", "/healthz", headers={"Host": settings.BASE_DOMAIN})
        response = client.getresponse()
        response.read()
        # Kept alive: the server's thread for this socket waits for the next request.
        statuses.append(response.status if response.getheader("Connection") != "close"
                        else 0)

    threads = [threading.Thread(target=one) for _ in range(SOCKETS_PER_ROUND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_the_debug_web_server_holds_connections_only_while_it_serves(
    debug_server: tuple[int, str, str],
) -> None:
    """A crawler opens browser connections and keeps them alive: round after round, new
    sockets each ask for a page at once and stay open. PostgreSQL sees at most one session
    per request being served, none once they are answered (a kept connection per socket
    ran it out of connections: "too many clients")."""
    port, url, server_name = debug_server
    sessions: list[int] = []
    done = threading.Event()

    def count(cursor: psycopg.Cursor[Any]) -> int:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                       [server_name])
        row = cursor.fetchone()
        assert row is not None
        return int(row[0])

    with psycopg.connect(url, autocommit=True) as counter:
        cursor = counter.cursor()
        baseline = count(cursor)  # the start-up checks' own session, if still open

        def sample() -> None:
            with psycopg.connect(url, autocommit=True) as sampler:
                sampler_cursor = sampler.cursor()
                while not done.is_set():
                    sessions.append(count(sampler_cursor))
                    time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        kept: list[http.client.HTTPConnection] = []
        try:
            for _round in range(ROUNDS):
                assert _crawl(port, kept) == [200] * SOCKETS_PER_ROUND
            open_sockets = len(kept)
            # A request's session ends just after its response is sent: let it end.
            deadline = time.monotonic() + 5
            while (after := count(cursor)) != baseline and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            done.set()
            sampler.join(10)
            for client in kept:
                client.close()

    assert open_sockets == SOCKETS_PER_ROUND * ROUNDS
    assert after == baseline
    assert sessions
    assert max(sessions) - baseline <= SOCKETS_PER_ROUND


# --- Ctrl-C stops the embedded servers dev.py started ---------------------------------------


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "RELIER_DATA_DIR": str(data_dir)}


def _running(env: dict[str, str]) -> dict[str, int | None]:
    found = subprocess.run([sys.executable, "-m", "relier_platform.embedded", "running"],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return dict(json.loads(found.stdout))


STARTS_BOTH = ("from relier_platform import embedded; embedded.postgres_settings(); "
               "embedded.redis_url(); print('ready', flush=True); "
               "import time; time.sleep(600)")
# What `dev.py start` runs, its set-up and children replaced by one that starts both servers.
DEV_START = """
import os, sys
sys.path.insert(0, {root!r})
import dev
env = dict(os.environ)
with dev.embedded_servers_owned(env):
    code = dev.serve(env, [[sys.executable, "-c", {child!r}]])
sys.exit(code)
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One embedded data folder for the module (PostgreSQL's initdb is done once); whatever
    still runs there at the end is stopped."""
    folder = tmp_path_factory.mktemp("embedded")
    yield folder
    subprocess.run([sys.executable, "-m", "relier_platform.embedded", "stop", "postgres",
                    "redis"], cwd=ROOT, env=_embedded_env(folder), check=False)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="known to hang when the whole suite itself runs on the embedded servers (seen "
           "2026-12-04 in two full runs; it passes alone and with tests/platform): run "
           "with DATABASE_URL set, or alone")
@pytest.mark.parametrize("running_before", [(), ("redis",)])
def test_ctrl_c_on_dev_start_stops_the_embedded_servers_it_started_and_only_those(
    data_dir: Path, running_before: tuple[str, ...],
) -> None:
    env = _embedded_env(data_dir)
    if "redis" in running_before:  # another command's Redis, say a `dev.py test` running
        subprocess.run([sys.executable, "-c", "from relier_platform import embedded; "
                        "embedded.redis_url()"], cwd=ROOT, env=env, check=True)
    before = _running(env)
    assert [name for name, pid in before.items() if pid] == list(running_before)

    proc = subprocess.Popen(
        [sys.executable, "-c", DEV_START.format(root=str(ROOT), child=STARTS_BOTH)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        start_new_session=True)  # a process group of its own, as a terminal gives
    # Never wait forever on a child that hangs: its whole group is killed after 240 s
    # (a loaded 2-core machine took more than 45 s to stop it once, in a full run).
    watchdog = threading.Timer(240, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        during = _running(env)
        assert during["postgres"]
        assert during["redis"]
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        proc.wait(timeout=180)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    after = _running(env)
    assert after["postgres"] is None
    assert not (data_dir / "pg" / "postmaster.pid").exists()
    if "redis" in running_before:
        assert after["redis"] == before["redis"]  # not ours: left running
    else:
        assert after["redis"] is None
    assert dev.embedded_running({**env, "DATABASE_URL": "x", "REDIS_URL": "y"}) == {}
