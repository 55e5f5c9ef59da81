"""Helpers of the benches that serve pages over HTTP: gunicorn in a child process, wrk as the
load generator, memory of processes (RSS from /proc, PostgreSQL backends by pid).

Used by bench/request_path.py and bench/many_tenants.py. The child gunicorn inherits the
bench's environment (DATABASE_URL of the throw-away database, DJANGO_DEBUG=0, the bench's
Redis database and key prefix).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed when missing (the bench runs as root here)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk …", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                   stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed (apt-get install wrk).")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: children of the arbiter."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@contextlib.contextmanager
def gunicorn(app: str, *, workers: int, host: str, extra: Sequence[str] = (),
             env: Mapping[str, str] | None = None, config: str | None = None,
             ready_path: str = "/healthz") -> Iterator[Server]:
    """Start gunicorn on a free loopback port, wait until a worker answers, stop it after.
    `config`: a gunicorn.conf.py (its settings first, the command line's over them)."""
    port = free_port()
    command = [GUNICORN]
    if config:
        command += ["-c", config]
    command += [app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--worker-class", "sync", "--log-level", "warning",
                "--access-logfile", "/dev/null", "--pythonpath", f"{ROOT},{BENCH}",
                *extra]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
    )
    server = Server(process, port)
    try:
        _wait_ready(server, host, ready_path, workers)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, host: str, path: str, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"gunicorn stopped at start (exit {server.process.returncode})")
        try:
            request = urllib.request.Request(server.url + path, headers={"Host": host})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status < 500:
                    with contextlib.suppress(OSError):
                        if len(server.worker_pids()) >= workers:
                            return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses + socket errors

    def line(self) -> str:
        return (f"{self.rps:8.1f} req/s  p50 {self.p50_ms:6.1f} ms  p90 {self.p90_ms:6.1f} ms  "
                f"p99 {self.p99_ms:6.1f} ms  {self.requests:,} requests, {self.errors} errors")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, *, seconds: int, connections: int, threads: int = 1,
            headers: Mapping[str, str] | None = None, script: str | None = None,
            script_args: Sequence[str] = (), done_file: Path | None = None) -> Load:
    """wrk with latency percentiles; `script`: a Lua file (its own requests). `done_file`:
    the script creates it once it has sent what it had to; wrk is then interrupted (it
    sleeps for the whole -d duration even after its threads stopped) and reports."""
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "30s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if done_file is not None:
        while process.poll() is None and not done_file.exists():
            time.sleep(0.2)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    out, _err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{out}")
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    if not total or not latency:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    seconds_done = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    requests = int(total.group(1))
    return Load(requests=requests, seconds=seconds_done, rps=requests / seconds_done,
                p50_ms=_ms(latency["50"]), p90_ms=_ms(latency["90"]),
                p99_ms=_ms(latency["99"]), errors=errors)


# --- Memory --------------------------------------------------------------------------------


def status_kib(pid: int, field: str) -> int:
    """A memory line of /proc/<pid>/status (VmRSS, RssAnon, VmHWM …), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mib(pid: int) -> float:
    return status_kib(pid, "VmRSS") / 1024


def private_mib(pid: int) -> float:
    """Memory the process does not share (anonymous, dirty pages of its own): for a
    PostgreSQL backend, its caches; shared_buffers pages it has touched are left out."""
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


