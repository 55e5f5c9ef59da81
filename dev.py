#!/usr/bin/env python3
"""The two commands of the README.

    python3 dev.py start   set everything up, seed the demo, run the web server and a worker
    python3 dev.py test    run the whole test suite (ruff, mypy, import layers, pytest)

    python3 dev.py citus start|stop   a Citus cluster of this checkout (.data/citus): a
                                      coordinator and two workers; prints its DATABASE_URL
    python3 dev.py test -m citus      the Citus tests, on a cluster of their own (Citus is
                                      built from ../shared/citus when missing)

Needs only Python 3.11 and git: the virtual environment (.venv/), the pinned packages,
an embedded PostgreSQL and Redis (under .data/, unless DATABASE_URL / REDIS_URL are set)
are all set up by this script. Run it again at will: every step is idempotent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".relier-installed"
INSTALL_INPUTS = [ROOT / "pyproject.toml", ROOT / "requirements" / "constraints.txt"]


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(list(args), cwd=ROOT, check=True, env=env)


def ensure_venv() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Python 3.11 est requis (trouvé {sys.version.split()[0]}).")
    if not PY.exists():
        step("Environnement virtuel (.venv)")
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in INSTALL_INPUTS)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    step("Installation des dépendances épinglées (requirements/constraints.txt)")
    run(str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(str(PY), "-m", "pip", "install", "--quiet", "-c", "requirements/constraints.txt",
        "-e", ".[dev]")
    STAMP.write_text(digest)


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(str(PY), "manage.py", *args, env=env)


def prepare(env: dict[str, str]) -> None:
    step("Traductions")
    manage("compile_translations", env=env)
    step("Base de données : PostgreSQL (embarqué si DATABASE_URL n'est pas défini) et migrations")
    manage("migrate_schemas", "--noinput", "-v", "0", env=env)


def embedded_running(env: dict[str, str]) -> dict[str, int]:
    """The embedded servers of this checkout (platform/embedded.py) running now, by name,
    with their process ids: only those this configuration uses (DATABASE_URL / REDIS_URL
    name servers of their own)."""
    used = [name for name, variable in (("postgres", "DATABASE_URL"), ("redis", "REDIS_URL"))
            if not env.get(variable)]
    if not used:
        return {}
    found = subprocess.run([str(PY), "-m", "relier_platform.embedded", "running"], cwd=ROOT,
                           env=env, check=True, capture_output=True, text=True,
                           start_new_session=True)
    pids = json.loads(found.stdout)
    return {name: int(pids[name]) for name in used if pids.get(name)}


def embedded_stop_started(env: dict[str, str], before: dict[str, int]) -> list[str]:
    """Stop the embedded servers running now that did not run `before`, and only those
    (a server started by another command, say `dev.py test`, is left to it)."""
    started = [name for name, pid in embedded_running(env).items() if before.get(name) != pid]
    if started:
        step("Arrêt de " + " et ".join({"postgres": "PostgreSQL", "redis": "Redis"}[name]
                                       for name in started) + " (embarqués)")
        # A session of its own: a second Ctrl-C does not cut the stopping short.
        subprocess.run([str(PY), "-m", "relier_platform.embedded", "stop", *started],
                       cwd=ROOT, env=env, check=False, start_new_session=True)
    return started


@contextlib.contextmanager
def embedded_servers_owned(env: dict[str, str]) -> Iterator[None]:
    """The embedded servers started within (by the migrations, the web server...) are
    stopped at the end, however it ends, Ctrl-C included."""
    before = embedded_running(env)
    try:
        yield
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            embedded_stop_started(env, before)
        finally:
            signal.signal(signal.SIGINT, previous)


def serve(env: dict[str, str], commands: list[list[str]]) -> int:
    """Run the commands until one of them ends or Ctrl-C, then stop them all; returns the
    exit code."""
    procs = [subprocess.Popen(command, cwd=ROOT, env=env) for command in commands]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # stop them, even on a 2nd
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        signal.signal(signal.SIGINT, previous)
    return max((p.returncode or 0) for p in procs)


def start() -> None:
    ensure_venv()
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    # Ctrl-C stops the web server, the worker, then the embedded PostgreSQL and Redis this
    # command started (platform/embedded.py).
    with embedded_servers_owned(env):
        prepare(env)
        step("Données de démonstration")
        manage("seed_demo", env=env)
        port = env.get("RELIER_PORT", "8000")
        step(f"Serveur web (http://localhost:{port}/) et worker Celery — Ctrl-C pour arrêter")
        code = serve(env, [
            [str(PY), "-m", "celery", "-A", "relier_platform.celery", "worker", "--beat",
             "--schedule", str(ROOT / ".data" / "celerybeat-schedule"), "--loglevel", "INFO",
             "--concurrency", "2"],
            [str(PY), "manage.py", "runserver", f"0.0.0.0:{port}"],
        ])
    sys.exit(code)


def _citus_source() -> Path:
    """The Citus source with its install.sh and cluster.sh: RELIER_CITUS_SOURCE, else
    ../shared/citus beside the checkout, else the workplace's /work/shared/citus (a clone
    made elsewhere, /tmp say, still finds it)."""
    candidates = [Path(os.environ["RELIER_CITUS_SOURCE"])] if os.environ.get(
        "RELIER_CITUS_SOURCE") else []
    candidates += [ROOT.parent / "shared" / "citus", Path("/work/shared/citus")]
    return next((c for c in candidates if (c / "install.sh").exists()), candidates[0])


CITUS_SOURCE = _citus_source()
CITUS_PORT = 9700


def as_root(*args: str) -> list[str]:
    return list(args) if os.geteuid() == 0 else ["sudo", "-n", *args]


def citus_install() -> None:
    """Build Citus into the machine's PostgreSQL 15 when it is not there yet (idempotent)."""
    if not (CITUS_SOURCE / "install.sh").exists():
        sys.exit(f"Citus introuvable : {CITUS_SOURCE}/install.sh (Citus source not found).")
    step("Citus (../shared/citus/install.sh : compilé s'il manque)")
    run(*as_root("bash", str(CITUS_SOURCE / "install.sh")))


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# What every node of a development cluster needs beyond cluster.sh's defaults: logical WAL
# (associations move while they keep serving) and room in the lock table (each
# association is ~35 shards on its worker, and a statement may touch many of them). See
# deploy/SCALE-OUT.md.
CITUS_NODE_SETTINGS = {"wal_level": "logical", "max_locks_per_transaction": "1024"}


def citus_start(folder: Path, port: int, workers: int = 2) -> str:
    """Start (or keep running) a coordinator and `workers` workers in `folder`, with
    logical WAL so that associations move between workers while they keep serving;
    returns the coordinator's DATABASE_URL."""
    citus_install()
    step(f"Cluster Citus : 1 coordinateur, {workers} workers ({folder}, ports {port}+)")
    out = subprocess.run(as_root("bash", str(CITUS_SOURCE / "cluster.sh"), "start",
                                 str(folder), str(port), str(workers)),
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    url = next(line.split("=", 1)[1] for line in out.splitlines()
               if line.startswith("DATABASE_URL="))
    restart = []
    for i in range(workers + 1):
        psql = ["psql", "-h", "127.0.0.1", "-p", str(port + i), "-U", "postgres", "-qAt", "-c"]
        for name, value in CITUS_NODE_SETTINGS.items():
            current = subprocess.run([*psql, f"SHOW {name}"], check=True,
                                     capture_output=True, text=True).stdout.strip()
            if current != value:
                subprocess.run([*psql, f"ALTER SYSTEM SET {name} = '{value}'"], check=True)
                if i not in restart:
                    restart.append(i)
    for i in restart:
        subprocess.run(as_root("su", "postgres", "-s", "/bin/sh", "-c",
                               f"/usr/lib/postgresql/15/bin/pg_ctl -D '{folder}/node{i}' "
                               f"-l '{folder}/node{i}.log' -w restart >/dev/null"), check=True)
    return url


def citus_stop(folder: Path) -> None:
    subprocess.run(as_root("bash", str(CITUS_SOURCE / "cluster.sh"), "stop", str(folder)),
                   cwd=ROOT, check=False)


def citus(args: list[str]) -> None:
    folder = ROOT / ".data" / "citus"
    port = int(os.environ.get("RELIER_CITUS_PORT", CITUS_PORT))
    if args[:1] == ["start"]:
        url = citus_start(folder, port)
        print(f"\nDATABASE_URL={url}\n\nLe produit sur ce cluster (the product on it) :\n"
              f"  DATABASE_URL={url} python3 dev.py start")
    elif args[:1] == ["stop"]:
        citus_stop(folder)
    else:
        sys.exit("python3 dev.py citus start|stop")


def wants_citus(pytest_args: list[str]) -> bool:
    import itertools

    return any(a == "-m" and b.strip() == "citus"
               for a, b in itertools.pairwise(pytest_args))


@contextlib.contextmanager
def citus_cluster_for_tests(env: dict[str, str]) -> Iterator[None]:
    """A cluster of the test run's own, on free ports, removed at the end."""
    import shutil
    import tempfile

    port = next(p for p in range(9750, 9990, 5) if all(port_free(p + i) for i in range(3)))
    folder = Path(tempfile.mkdtemp(prefix="relier-citus-"))
    try:
        env["DATABASE_URL"] = citus_start(folder, port)
        env["RELIER_CITUS_TESTS"] = "1"
        yield
    finally:
        citus_stop(folder)
        subprocess.run(as_root("rm", "-rf", str(folder)), check=False)
        shutil.rmtree(folder, ignore_errors=True)


def test(pytest_args: list[str]) -> None:
    ensure_venv()
    env = {**os.environ}
    if wants_citus(pytest_args):
        manage("compile_translations", env=env)
        with citus_cluster_for_tests(env):
            step("pytest -m citus (sur le cluster Citus)")
            result = subprocess.run([str(PY), "-m", "pytest", *pytest_args], cwd=ROOT,
                                    env=env, check=False)
        sys.exit(result.returncode)
    manage("compile_translations", env=env)
    step("ruff")
    run(str(PY), "-m", "ruff", "check", ".", env=env)
    step("mypy")
    run(str(PY), "-m", "mypy", ".", env=env)
    step("import-linter (the layers of docs/architecture.md)")
    run(str(VENV / "bin" / "lint-imports"), env=env)
    step("pytest")
    result = subprocess.run(
        [str(PY), "-m", "pytest", *pytest_args], cwd=ROOT, env=env, check=False
    )
    sys.exit(result.returncode)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        try:
            start()
        except KeyboardInterrupt:  # during the set-up: the servers it started are stopped
            sys.exit(130)
    elif command == "test":
        test(sys.argv[2:])
    elif command == "citus":
        citus(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
