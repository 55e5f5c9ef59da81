#!/usr/bin/env python3
"""The two commands of the README.

    python3 dev.py start   set everything up, seed the demo, run the web server and a worker
    python3 dev.py test    run the whole test suite (ruff, mypy, pytest)

Needs only Python 3.11 and git: the virtual environment (.venv/), the pinned packages,
an embedded PostgreSQL and Redis (under .data/, unless DATABASE_URL / REDIS_URL are set)
are all set up by this script. Run it again at will: every step is idempotent.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
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


def start() -> None:
    ensure_venv()
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    prepare(env)
    step("Données de démonstration")
    manage("seed_demo", env=env)
    port = env.get("RELIER_PORT", "8000")
    step(f"Serveur web (http://localhost:{port}/) et worker Celery — Ctrl-C pour arrêter")
    procs = [
        subprocess.Popen([str(PY), "-m", "celery", "-A", "relier_platform.celery", "worker",
                          "--beat", "--schedule", str(ROOT / ".data" / "celerybeat-schedule"),
                          "--loglevel", "INFO", "--concurrency", "2"], cwd=ROOT, env=env),
        subprocess.Popen([str(PY), "manage.py", "runserver", f"0.0.0.0:{port}"],
                         cwd=ROOT, env=env),
    ]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    sys.exit(max((p.returncode or 0) for p in procs))


def test(pytest_args: list[str]) -> None:
    ensure_venv()
    env = {**os.environ}
    manage("compile_translations", env=env)
    step("ruff")
    run(str(PY), "-m", "ruff", "check", ".", env=env)
    step("mypy")
    run(str(PY), "-m", "mypy", ".", env=env)
    step("pytest")
    result = subprocess.run(
        [str(PY), "-m", "pytest", *pytest_args], cwd=ROOT, env=env, check=False
    )
    sys.exit(result.returncode)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        start()
    elif command == "test":
        test(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
