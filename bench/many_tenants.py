"""Many tenants at once (issue #9, item 4): requests spread over 1,000 associations, and the
memory of the web workers and of their PostgreSQL backends, with and without the caps.

    .venv/bin/python bench/many_tenants.py     # --associations 1000 --requests 10000 --workers 2
    .venv/bin/python bench/many_tenants.py --associations 100 --requests 1000   # a quick look

Runs in a throw-away database (`relier_bench_tenants`), created before Django connects and
dropped at the end (bench/provisioning.py's helpers). Steps:

1. `--associations` associations are created by cloning
(tenants.tenancy.services.association_create;
   the connection is closed every 50: a backend's catalogue caches grow with every schema it
   creates, and creation slows down), each with a signed-in session of its admin.
2. One connection, in-process: the case list of each association in turn (Django's test
   client), with PostgreSQL's own account of the backend's memory
   (pg_backend_memory_contexts) and the Python process's RSS at checkpoints: the growth per
   schema touched.
3. gunicorn (deploy/gunicorn.conf.py, `--workers` sync workers) and wrk sending `--requests`
   requests for the case list, round-robin over the associations in a shuffled order (each
   is asked `requests / associations` times), once per configuration of `--configs`
   (DATABASE_CONN_MAX_SCHEMAS:GUNICORN_MAX_REQUESTS; 0 turns one off). Memory of each web
   worker (VmRSS) and of each PostgreSQL backend serving them (RssAnon: its private memory,
   shared buffers excluded) before (after a warm-up), at the peak (sampled every 0.25 s)
   and after; throughput and latency from wrk.

See bench/RESULTS.md ("4. Many tenants at once").
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The bench's own connection must not be recycled by the cap while it measures the growth.
os.environ["DATABASE_CONN_MAX_SCHEMAS"] = "0"
from provisioning import in_bench_database, load, quiet, second_factor
from serving import ROOT, ensure_wrk, gunicorn, rss_mib, run_wrk, status_kib

LUA = r"""
-- Round-robin over the lines "host<TAB>session id" of args[1]; after args[2] responses,
-- create the file args[3] (the bench then interrupts wrk) and stop.
targets = {}
limit = 0
done_count = 0
bad = 0
local threads = {}
local i = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local host, cookie = line:match("([^\t]+)\t([^\t]+)")
    targets[#targets + 1] = { host, cookie }
  end
  limit = tonumber(args[2])
  done_file = args[3]
end

function request()
  local t = targets[(i % #targets) + 1]
  i = i + 1
  return wrk.format("GET", "/dossiers/", { ["Host"] = t[1], ["Cookie"] = "sessionid=" .. t[2] })
end

function response(status, headers, body)
  done_count = done_count + 1
  if status ~= 200 then bad = bad + 1 end
  if done_count >= limit then
    local marker = io.open(done_file, "w")
    marker:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("NOT200 %d\n", thread:get("bad")))
  end
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument(
        "--configs", default="0:0,25:0,100:0,100:2000",
        help="DATABASE_CONN_MAX_SCHEMAS:GUNICORN_MAX_REQUESTS pairs to measure, "
             "comma-separated; 0 = off (0:0,25:0,100:0,100:2000)")
    parser.add_argument("--skip-one-connection", action="store_true",
                        help="skip step 2 (the in-process growth per schema)")
    parser.add_argument("--database", default="relier_bench_tenants")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--reuse", action="store_true",
        help="use the database left by an earlier run (--keep, or an interrupted one): its "
             "associations t0001… are kept, the missing ones created; it is kept at the end")
    args = parser.parse_args()
    try:
        args.configs = [tuple(int(n) for n in pair.split(":")) for pair in
                        args.configs.split(",") if pair.strip()]
    except ValueError:
        parser.error("--configs takes pairs like 0:0,100:2000")
    if args.associations < 1 or args.requests < 1 or not args.configs:
        parser.error("--associations and --requests must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    ensure_wrk()
    if not args.reuse:
        return in_bench_database(args.database, lambda: run(args), keep=args.keep)
    from provisioning import server_params
    from psycopg.conninfo import make_conninfo

    os.environ["DATABASE_URL"] = make_conninfo(**{**server_params(), "dbname": args.database})
    import django

    django.setup()
    return run(args)


# --- Setting up --------------------------------------------------------------------------


def create_associations(count: int, *, reuse: bool) -> list[tuple[str, str, str]]:
    """Create `count` associations by cloning (with `reuse`, those missing); return
    (slug, schema, a new session key of its admin) for each."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.accounts.security import SEEN_SESSION_KEY, STARTED_SESSION_KEY
    from tenants.models import Association, User
    from tenants.tenancy.services import association_create, public_tenant_ensure

    if not reuse:
        with quiet():
            call_command("migrate_schemas", interactive=False, verbosity=0)
            public_tenant_ensure()
    existing = {a.slug: a for a in Association.objects.filter(slug__startswith="t")}
    made = []
    began = time.perf_counter()
    spent: list[float] = []
    for n in range(1, count + 1):
        slug = f"t{n:04d}"
        if slug in existing:
            admin = User.objects.get(email=f"admin@{slug}.example.org")
            schema = existing[slug].schema_name
        else:
            start = time.perf_counter()
            with quiet():
                created = association_create(
                    actor=None, slug=slug, name=f"Association {slug}",
                    admin_email=f"admin@{slug}.example.org")
            spent.append(time.perf_counter() - start)
            admin, schema = created.admin, created.association.schema_name
        second_factor(admin)  # admins must have one (tenants/accounts/mfa.py)
        with schema_context(schema):  # sessions live in the association's schema
            session = SessionStore()
            now = int(time.time())
            session.update({
                SESSION_KEY: str(admin.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: admin.get_session_auth_hash(),
                STARTED_SESSION_KEY: now, SEEN_SESSION_KEY: now,
            })
            session.create()
        made.append((slug, schema, str(session.session_key)))
        if n % 50 == 0:
            connection.close()  # a fresh backend: its catalogue caches start empty again
        if (n % 200 == 0 or n == count) and spent:
            print(f"  {n:5} associations ({len(existing)} already there), "
                  f"{time.perf_counter() - began:6.1f} s; creation median of the last 200 "
                  f"created: {statistics.median(spent[-200:]):.3f} s", flush=True)
    connection.close()
    return made


# --- One connection, in-process ----------------------------------------------------------


def backend_memory() -> tuple[float, float]:
    """(all memory contexts, CacheMemoryContext) of this connection's backend, MiB."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(total_bytes), sum(total_bytes) FILTER "
                       "(WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext')"
                       " FROM pg_backend_memory_contexts")
        total, cache = cursor.fetchone()
    return total / 2**20, (cache or 0) / 2**20


def one_connection(made: list[tuple[str, str, str]]) -> None:
    from django.db import connection
    from django.test import Client

    from tenants.tenancy.services import association_host

    connection.close()
    checkpoints = sorted({1, 10, 100, 250, 500, len(made)} & set(range(1, len(made) + 1)))
    print("\nOne connection, in-process (Django's test client): the case list of each "
          "association in turn, on the same database connection and Python process")
    print(f"{'schemas':>8} {'PG contexts MiB':>16} {'of which caches':>16} "
          f"{'Python RSS MiB':>15}")
    first: tuple[float, float, float] | None = None
    for n, (slug, _schema, key) in enumerate(made, start=1):
        client = Client(HTTP_HOST=association_host(slug))
        client.cookies["sessionid"] = key
        response = client.get("/dossiers/")
        assert response.status_code == 200, (slug, response.status_code)
        if n in checkpoints:
            total, cache = backend_memory()
            python = rss_mib(os.getpid())
            first = first or (total, cache, python)
            print(f"{n:>8} {total:>16.1f} {cache:>16.1f} {python:>15.1f}")
    assert first is not None
    total, cache = backend_memory()
    python = rss_mib(os.getpid())
    span = max(1, len(made) - 1)
    print(f"per schema touched: PostgreSQL {(total - first[0]) * 1024 / span:.0f} KiB "
          f"(caches {(cache - first[1]) * 1024 / span:.0f} KiB), Python "
          f"{(python - first[2]) * 1024 / span:.0f} KiB")
    connection.close()


# --- gunicorn ------------------------------------------------------------------------------


@dataclass
class Sampler:
    """Samples, every 0.25 s, the RSS of gunicorn's workers and the private memory of the
    PostgreSQL backends connected to the bench database."""

    arbiter: int
    database: str
    workers: dict[int, list[float]] = field(default_factory=dict)
    backends: dict[int, list[float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        import psycopg

        workers = {}
        children = Path(f"/proc/{self.arbiter}/task/{self.arbiter}/children")
        for pid in map(int, children.read_text().split()):
            try:
                workers[pid] = rss_mib(pid)
            except FileNotFoundError:
                continue
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            pids = [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid() AND backend_type = 'client backend'", [self.database])]
        backends = {}
        for pid in pids:
            try:
                backends[pid] = status_kib(pid, "RssAnon") / 1024
            except FileNotFoundError:
                continue
        return workers, backends

    def loop(self) -> None:
        while not self.stop.wait(0.25):
            workers, backends = self.snapshot()
            for pid, mib in workers.items():
                self.workers.setdefault(pid, []).append(mib)
            for pid, mib in backends.items():
                self.backends.setdefault(pid, []).append(mib)


def describe(values: dict[int, float]) -> str:
    if not values:
        return "none"
    return " ".join(f"{v:.0f}" for v in sorted(values.values())) + " MiB"


def peak(series: dict[int, list[float]]) -> str:
    if not series:
        return "none"
    return f"max {max(max(v) for v in series.values()):.0f} MiB over {len(series)} processes"


def warm_up(port: int, made: list[tuple[str, str, str]], count: int) -> None:
    import http.client

    slug, _schema, key = made[0]
    from tenants.tenancy.services import association_host

    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/dossiers/", headers={
            "Host": association_host(slug), "Cookie": f"sessionid={key}"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status


def through_gunicorn(args: argparse.Namespace, made: list[tuple[str, str, str]]) -> None:
    from django.conf import settings

    from tenants.tenancy.services import association_host

    order = list(made)
    random.Random(9).shuffle(order)
    folder = Path(tempfile.mkdtemp(prefix="relier-bench-"))
    targets = folder / "targets.tsv"
    targets.write_text("".join(f"{association_host(slug)}\t{key}\n"
                               for slug, _schema, key in order))
    script = folder / "round_robin.lua"
    script.write_text(LUA)
    database = settings.DATABASES["default"]["NAME"]
    per = args.requests / len(made)
    print(f"\ngunicorn (deploy/gunicorn.conf.py), {args.workers} sync workers, CONN_MAX_AGE "
          f"{settings.DATABASES['default']['CONN_MAX_AGE']} s; wrk, {args.connections} "
          f"connections: {args.requests:,} requests of the case list, round-robin over "
          f"{len(made):,} associations ({per:g} each); memory before (after a warm-up of 20 "
          "requests to one association), peak, after")
    for cap, max_requests in args.configs:
        env = {"DATABASE_CONN_MAX_SCHEMAS": str(cap), "GUNICORN_MAX_REQUESTS": str(max_requests)}
        label = (f"connection cap {cap if cap else 'off'}, gunicorn max_requests "
                 f"{max_requests if max_requests else 'off'}")
        with gunicorn("relier_platform.wsgi:application", workers=args.workers,
                      host=association_host(made[0][0]), env=env,
                      config=str(ROOT / "deploy" / "gunicorn.conf.py")) as server:
            warm_up(server.port, made, 20)
            sampler = Sampler(server.process.pid, database)
            workers_before, backends_before = sampler.snapshot()
            thread = threading.Thread(target=sampler.loop, daemon=True)
            thread.start()
            started = time.perf_counter()
            done_file = folder / f"done-{cap}-{max_requests}"
            result = run_wrk(server.url, seconds=3600, connections=args.connections,
                             script=str(script), done_file=done_file,
                             script_args=[str(targets), str(args.requests), str(done_file)])
            wall = time.perf_counter() - started
            sampler.stop.set()
            thread.join()
            workers_after, backends_after = sampler.snapshot()
        print(f"\n{label}:")
        print(f"  {result.line()} ({wall:.0f} s)")
        print(f"  web workers RSS: before {describe(workers_before)}; after "
              f"{describe(workers_after)}; peak {peak(sampler.workers)}")
        print(f"  PostgreSQL backends (private): before {describe(backends_before)}; after "
              f"{describe(backends_after)}; peak {peak(sampler.backends)}")
        print(f"  ({load()})", flush=True)


def run(args: argparse.Namespace) -> int:
    from django.db import connection

    print(f"Relier many-tenants bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"Machine: {os.cpu_count()} CPU(s), {ram:.0f} GiB RAM, PostgreSQL {pg}; {load()}")
    print(f"Creating {args.associations:,} associations by cloning …", flush=True)
    began = time.perf_counter()
    made = create_associations(args.associations, reuse=args.reuse)
    print(f"created in {time.perf_counter() - began:.0f} s; {load()}")
    if not args.skip_one_connection:
        one_connection(made)
    through_gunicorn(args, made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
