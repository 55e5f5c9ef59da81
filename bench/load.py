"""The case list under load: gunicorn serving the project's WSGI application to wrk.

    .venv/bin/python bench/load.py [--workers 2] [--connections 4] [--duration 20]
                                   [--cases 10000] [--interactions 100000]

Runs in a throw-away database (`relier_bench_load` by default), built like the other
benches (bench/case_list.py's set-up: one association, its team of 23 and a year of
invented activity), dropped at the end. gunicorn (`relier_platform.wsgi`) listens on a
free port of 127.0.0.1; wrk (Debian's package, installed with apt-get when missing) sends
`GET /dossiers/` with the association's Host header and a signed-in session cookie of its
admin. Prints throughput, median, p95 and p99 latency and the errors (any answer other
than 200 counts as one): the exit status is 1 if there is any. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The helpers of bench/provisioning.py and bench/case_list.py (importing them also fixes
# the environment: DEBUG off, a Redis database and key prefix of the bench's own).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_list import load, set_up
from provisioning import in_bench_database, second_factor

ROOT = Path(__file__).resolve().parent.parent
PATH = "/dossiers/"

# wrk's Lua hooks: count every answer that is not a 200 (wrk itself counts only 4xx/5xx
# as errors, and a redirect to the sign-in page would look like a success), and print
# the figures on one line that the bench reads.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d not_ok=%d connect=%d read=%d write=%d status=%d " ..
    "timeout=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d\\n",
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--connections", type=int, default=4,
                        help="wrk's open connections, each sending one request at a time (4)")
    parser.add_argument("--duration", type=int, default=20, help="seconds measured (20)")
    parser.add_argument("--warm-up", type=int, default=5,
                        help="seconds of load before the measure, not counted (5)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases to generate (10000)")
    parser.add_argument("--interactions", type=int, default=100_000,
                        help="exchanges to generate (100000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the invented data (1)")
    parser.add_argument("--as", dest="who", choices=["admin", "listener"], default="admin",
                        help="whose session: the admin sees every case, a listener theirs")
    parser.add_argument("--database", default="relier_bench_load",
                        help="throw-away database, dropped and re-created (relier_bench_load)")
    args = parser.parse_args()
    if min(args.workers, args.connections, args.duration, args.cases) < 1:
        parser.error("--workers, --connections, --duration and --cases must be at least 1")
    return args


def ensure_wrk() -> str:
    """wrk from Debian's packages; installed here when missing (as .ci/run installs
    Chromium)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("wrk is missing: install Debian's package `wrk` (apt-get install wrk).")
    print("==> wrk is missing: installing Debian's package with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_cookie(association: Any, user: Any) -> str:
    """A signed-in session, stored in the association's schema like a real sign-in's."""
    from django.contrib.auth.backends import ModelBackend
    from django.test import Client
    from django_tenants.utils import schema_context

    from tenants.tenancy.services import association_host

    client = Client(HTTP_HOST=association_host(association.slug))
    second_factor(user)
    with schema_context(association.schema_name):
        client.force_login(user, backend=f"{ModelBackend.__module__}.ModelBackend")
    return str(client.cookies["sessionid"].value)


def get(port: int, host: str, cookie: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", PATH, headers={"Host": host, "Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def start_gunicorn(workers: int, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The project's WSGI application as production serves it (sync workers), with the
    bench's environment (its database, DEBUG off, persistent database connections)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "relier_platform.wsgi:application",
             "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=ROOT, env={**os.environ, "DATABASE_CONN_MAX_AGE": "60"},
            stdout=out, stderr=subprocess.STDOUT,
        )
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("gunicorn did not listen within 60 s")


def run_wrk(wrk: str, script: Path, port: int, host: str, cookie: str, *,
            connections: int, seconds: int) -> dict[str, int]:
    done = subprocess.run(
        [wrk, "--threads", "1", "--connections", str(connections), "--duration",
         f"{seconds}s", "--timeout", "10s", "--script", str(script),
         "--header", f"Host: {host}", "--header", f"Cookie: sessionid={cookie}",
         f"http://127.0.0.1:{port}{PATH}"],
        capture_output=True, text=True, check=True,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def cpu_seconds(master: int) -> float:
    """User + system CPU time of gunicorn's workers so far: per request, it barely depends on
    what else runs on the machine, unlike the latencies."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run(args: argparse.Namespace, wrk: str) -> int:
    from django.db import connections

    from tenants.tenancy.services import association_host

    setup = set_up(args)
    association = setup["association"]
    user = setup["people"][args.who][0]
    host = association_host(association.slug)
    cookie = session_cookie(association, user)
    connections.close_all()  # the bench process stays out of the server's way

    folder = Path(tempfile.mkdtemp(prefix="relier-load-"))
    script = folder / "count.lua"
    script.write_text(WRK_SCRIPT)
    port = free_port()
    gunicorn = start_gunicorn(args.workers, port, folder / "gunicorn.log")
    try:
        status, body = get(port, host, cookie)
        if status != 200 or "dossiers" not in body.lower():
            print(f"The case list answered {status}, not the page:\n{body[:1000]}")
            return 1
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; wrk: 1 thread, "
              f"{args.connections} connections; GET {PATH} on {host} as {user.email}")
        run_wrk(wrk, script, port, host, cookie, connections=args.connections,
                seconds=args.warm_up)
        print(f"after {args.warm_up} s of warm-up: {load()}")
        cpu_before = cpu_seconds(gunicorn.pid)
        result = run_wrk(wrk, script, port, host, cookie, connections=args.connections,
                         seconds=args.duration)
        cpu = cpu_seconds(gunicorn.pid) - cpu_before
        print(f"after the measure: {load()}\n")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        shutil.rmtree(folder, ignore_errors=True)

    errors = (result["not_ok"] + result["connect"] + result["read"] + result["write"]
              + result["timeout"])
    seconds = result["duration_us"] / 1e6
    print(f"requests        {result['requests']:,} in {seconds:.1f} s")
    print(f"throughput      {result['requests'] / seconds:.1f} req/s")
    print(f"latency median  {result['p50_us'] / 1000:.1f} ms")
    print(f"latency p95     {result['p95_us'] / 1000:.1f} ms")
    print(f"latency p99     {result['p99_us'] / 1000:.1f} ms (max {result['max_us'] / 1000:.1f})")
    print(f"worker CPU      {1000 * cpu / max(result['requests'], 1):.1f} ms a request "
          f"(gunicorn workers' user + system time; PostgreSQL's not counted)")
    print(f"errors          {errors} (not 200: {result['not_ok']}, connect "
          f"{result['connect']}, read {result['read']}, write {result['write']}, timeout "
          f"{result['timeout']})")
    return 1 if errors else 0


def main() -> int:
    args = parse_args()
    wrk = ensure_wrk()
    return in_bench_database(args.database, lambda: run(args, wrk))


if __name__ == "__main__":
    sys.exit(main())
