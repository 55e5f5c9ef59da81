"""How long publishing a network of 1,000 associations takes, and rendering its dashboard.

    .venv/bin/python bench/network_publication.py [--associations 1000] [--runs 50]
    .venv/bin/python bench/network_publication.py --associations 20 --runs 5   # a quick look

Runs in a throw-away database (`relier_bench_network` by default) on the same PostgreSQL
server as the development database, which is never touched (the helpers of
bench/provisioning.py). N associations are created (`association_create`, cloned
template), each filled with a year and a half of invented activity
(`relier_platform.demo.activity.generate_activity`, 20–80 young people, mostly in one département
of its
own) and joined to one network. Then, for issue #6:

  a. each association's contribution (`association_contribute_task`, computing in its
     schema and storing in public), in-process, one after the other: median, p95, total;
  b. the same through real Celery workers (`--concurrency 2`, one process per core) with
     the chord of `publication_request`: wall-clock total, and its pooling callback;
  c. `network_publish` of the network of N (pooling under disclosure control), with a
     profile of where its time goes;
  d. the coordinator dashboard `/reseaux/<network_id>/` on the public host, signed in as
     a coordinator of the network, for every school year / indicator choice it offers.

See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# A Celery key prefix of this run's own (set before provisioning.py's defaults): the
# bench's worker never meets a developer's worker or another bench's messages.
os.environ.setdefault("CELERY_KEY_PREFIX", f"bench-network-{os.getpid()}:")

# The helpers of bench/provisioning.py (importing it also fixes the environment the same
# way: DEBUG off, a Redis database and key prefix of the bench's own).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from provisioning import in_bench_database, load, quiet

warnings.filterwarnings("ignore", message="No directory at")

ROOT = Path(__file__).resolve().parents[1]
NETWORK = "Réseau national (banc d'essai)"
COORDINATOR = "coordination@reseau.example"


# A PostgreSQL backend keeps catalog caches for every schema it has touched, and DDL gets
# slower as they grow (creating the 700th schema took 2.3 s on a connection that had filled
# the 699 others, 0.15 s on a fresh one). The product's connections live at most
# CONN_MAX_AGE; the bench opens a new one every RECYCLE_EVERY associations alike.
RECYCLE_EVERY = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=1000,
                        help="associations in the network (1000)")
    parser.add_argument("--runs", type=int, default=50,
                        help="timed requests per dashboard page (50)")
    parser.add_argument("--publish-runs", type=int, default=3,
                        help="timed runs of network_publish (3)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="worker processes of the Celery run (2)")
    parser.add_argument("--no-celery", action="store_true", help="skip the Celery run (b)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the invented data (1)")
    parser.add_argument(
        "--database", default="relier_bench_network",
        help="name of the throw-away database, dropped and re-created (relier_bench_network)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database at the end, to investigate (drop it by hand)")
    args = parser.parse_args()
    if args.associations < 1 or args.runs < 1 or args.publish_runs < 1:
        parser.error("--associations, --runs and --publish-runs must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    return in_bench_database(args.database, lambda: run(args), keep=args.keep)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(values: list[float], unit: str = "s") -> str:
    scale, fmt = (1000.0, ".1f") if unit == "ms" else (1.0, ".3f")
    return (f"median {statistics.median(values) * scale:{fmt}} {unit}, "
            f"p95 {percentile(values, 0.95) * scale:{fmt}} {unit}, "
            f"max {max(values) * scale:{fmt}} {unit}")


# --- Setting up --------------------------------------------------------------------------


# generate_activity knows the towns of five départements only: it places the young people
# in these three (weights), and relocate() then moves them to the association's own.
GENERATED = {"93": 80, "94": 15, "75": 5}


def relocate(schema_name: str, rng: random.Random) -> None:
    """Where an association's young people live: mostly its own département, some in a
    neighbouring one, a few further away — spread over the 101 départements."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.networks.indicators import DEPARTMENTS

    home = rng.randrange(len(DEPARTMENTS))
    target = {"93": DEPARTMENTS[home], "94": DEPARTMENTS[(home + 1) % len(DEPARTMENTS)],
              "75": rng.choice(DEPARTMENTS)}
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_case SET department = CASE department WHEN '93' THEN %s "
            "WHEN '94' THEN %s WHEN '75' THEN %s ELSE department END",
            [target["93"], target["94"], target["75"]])


def set_up(args: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from relier_platform.demo.activity import generate_activity
    from tenants.models import Network, NetworkCoordinator, User
    from tenants.networks.services import network_join
    from tenants.tenancy.services import association_create, public_tenant_ensure

    print(f"Relier network publication bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, PostgreSQL "
          f"{pg_version}, {os.cpu_count()} CPU(s); database {args.database!r} (throw-away); "
          f"{load()}")
    start = time.perf_counter()
    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()
    network = Network.objects.create(name=NETWORK, agreement_version="1")
    coordinator = User.objects.create_user(COORDINATOR)
    NetworkCoordinator.objects.create(user=coordinator, network=network)
    print(f"migrate_schemas and the network: {time.perf_counter() - start:.1f} s\n")

    rng = random.Random(args.seed)
    totals: dict[str, int] = {}
    created_s, filled_s = [], []
    associations = []
    today_start = timezone.localdate() - timedelta(days=540)  # a year and a half
    began = time.perf_counter()
    for n in range(1, args.associations + 1):
        slug = f"asso-{n:04d}"
        t0 = time.perf_counter()
        with quiet():
            created = association_create(actor=None, slug=slug, name=f"Association {n}",
                                         admin_email=f"admin@{slug}.example")
            network_join(actor=created.admin, association=created.association,
                         network=network, agreement_version="1")
        t1 = time.perf_counter()
        cases = rng.randint(20, 80)
        counts = generate_activity(
            schema_name=created.association.schema_name, cases=cases,
            interactions=cases * rng.randint(3, 8), seed=args.seed * 100_000 + n,
            start=today_start, staff_ids_by_role={"admin": [created.admin.pk]},
            departments=GENERATED)
        relocate(created.association.schema_name, rng)
        t2 = time.perf_counter()
        created_s.append(t1 - t0)
        filled_s.append(t2 - t1)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        associations.append(created.association)
        if n % RECYCLE_EVERY == 0:
            connection.close()
        if n % 100 == 0 or n == args.associations:
            print(f"  {n:>5} associations, {time.perf_counter() - began:6.0f} s "
                  f"(creation+joining {statistics.mean(created_s[-100:]):.3f} s, "
                  f"data {statistics.mean(filled_s[-100:]):.3f} s each, last 100); {load()}",
                  flush=True)
    print(f"Created and filled {args.associations} associations in "
          f"{time.perf_counter() - began:.0f} s: " + ", ".join(
              f"{totals[k]:,} {k}" for k in ("cases", "interactions", "consents",
                                             "group_sessions", "attendances",
                                             "awareness_sessions", "assessments")))
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would have done by now
    print(f"ANALYZE: {time.perf_counter() - start:.0f} s; {load()}\n")
    return {"network": network, "coordinator": coordinator, "associations": associations}


# --- a. Contributions, in-process ---------------------------------------------------------


def contributions_in_process(associations: list[Any]) -> list[float]:
    """The task function itself, called in each association's schema in turn; the time
    spent computing (tenants.networks.contribution.contributions_for) is measured apart."""
    from django.db import connection
    from django_tenants.utils import schema_context

    import tenants.networks.contribution as figures
    from tenants.networks.tasks import association_contribute_task

    computing: list[float] = []
    real = figures.contributions_for

    def timed(years: Any, until: Any = None) -> Any:
        start = time.perf_counter()
        try:
            return real(years, until)
        finally:
            computing.append(time.perf_counter() - start)

    figures.contributions_for = timed  # type: ignore[assignment]
    times, cells = [], []
    try:
        began = time.perf_counter()
        for n, association in enumerate(associations, 1):
            start = time.perf_counter()
            with schema_context(association.schema_name):
                cells.append(association_contribute_task(association.schema_name))
            times.append(time.perf_counter() - start)
            if n % RECYCLE_EVERY == 0:
                connection.close()
        total = time.perf_counter() - began
    finally:
        figures.contributions_for = real
    failed = sum(1 for c in cells if c < 0)
    print("a. Contributions in-process, one association after the other "
          f"({len(associations)} schemas):")
    print(f"   per association (compute + store): {summary(times)}")
    print(f"   of which computing in its schema:   {summary(computing)}")
    print(f"   total {total:.1f} s; cells stored per association: median "
          f"{statistics.median(cells):.0f}, max {max(cells)}, total {sum(cells):,}"
          + (f"; FAILED: {failed}" if failed else ""))
    print(f"   ({load()})\n")
    return times


# --- b. Contributions through Celery workers ----------------------------------------------


def start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "relier_platform.celery", "worker",
         "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # its banner; errors go to stderr


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def contributions_with_celery(network: Any, associations: list[Any], concurrency: int) -> None:
    from django.db.models import Max, Min

    from relier_platform.tasks import current_schema_task
    from relier_platform.tenancy import db
    from tenants.models import ContributionRun, NetworkPublication
    from tenants.networks.tasks import publication_request

    proc = start_worker(concurrency)
    try:
        db().set_schema_to_public()
        # Ready: one task per process answered (worker start-up is not timed).
        ready = [current_schema_task.delay() for _ in range(concurrency)]
        for answer in ready:
            answer.get(timeout=120)
        ids = [a.pk for a in associations]
        last_run = ContributionRun.objects.aggregate(m=Max("pk"))["m"] or 0
        last_publication = NetworkPublication.objects.aggregate(m=Max("pk"))["m"] or 0
        start = time.perf_counter()
        result: Any = publication_request(associations=associations,
                                          network_ids=[network.pk])
        sent = time.perf_counter() - start
        published = result.get(timeout=3600)
        wall = time.perf_counter() - start
        runs = ContributionRun.objects.filter(pk__gt=last_run, association_id__in=ids)
        durations = [(r.finished_at - r.started_at).total_seconds()
                     for r in runs if r.finished_at]
        span = runs.aggregate(first=Min("started_at"), last=Max("finished_at"))
        publication = NetworkPublication.objects.filter(pk__gt=last_publication).first()
        done = runs.filter(status=ContributionRun.Status.DONE).count()
    finally:
        stop_worker(proc)
    print(f"b. The same through Celery: publication_request → chord of {len(associations)} "
          f"contributions + pooling callback, {concurrency} worker processes (prefork):")
    print(f"   wall-clock total {wall:.1f} s (sending the chord {sent:.1f} s); "
          f"{done}/{len(associations)} runs done, networks published: {published}")
    if durations:
        print(f"   per association, as the worker saw it (run started → finished): "
              f"{summary(durations)}")
    if span["first"] and span["last"] and publication is not None:
        contributions = (span["last"] - span["first"]).total_seconds()
        pooling = (publication.published_at - span["last"]).total_seconds()
        print(f"   first run started → last run finished {contributions:.1f} s; "
              f"last run → publication row {pooling:.1f} s (pooling in the callback)")
    print(f"   ({load()})\n")


# --- c. Pooling ------------------------------------------------------------------------------


def pooling(network: Any, runs: int) -> None:
    from tenants.models import IndicatorContribution, PublishedCell
    from tenants.networks import disclosure
    from tenants.networks.publication import network_publish

    contributions = IndicatorContribution.objects.count()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        publication = network_publish(network)
        times.append(time.perf_counter() - start)
    cells = PublishedCell.objects.filter(network=network)
    print(f"c. network_publish of the network of {publication.associations} associations "
          f"({contributions:,} contribution cells, {len(publication.periods)} school years), "
          f"{runs} runs: {summary(times)}")
    hidden = cells.filter(value__isnull=True).exclude(reason="not_started").count()
    not_started = cells.filter(reason="not_started").count()
    print(f"   published {cells.count():,} cells, {hidden:,} suppressed, {not_started:,} in "
          "months not over (not published)")
    audit = publication.audit
    seconds = sum(year["seconds"] for year in audit.values())
    print(f"   the solver's audit (issue #16) in the last run: {seconds:.1f} s of "
          f"{times[-1]:.1f} s; by school year: " + ", ".join(
              f"{period} {year['seconds']:.1f} s in {year['rounds']} rounds, narrowest "
              f"interval {_narrowest(year)}" for period, year in sorted(audit.items())))

    profile = cProfile.Profile()
    calls: dict[str, list[float]] = {"protect": [], "protect_family": []}
    originals = {name: getattr(disclosure, name) for name in calls}

    def timing(name: str) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return originals[name](*a, **k)
            finally:
                calls[name].append(time.perf_counter() - start)
        return wrapper

    import tenants.networks.publication as publication_module

    for name in calls:  # publication imported them by name: patch them there
        setattr(publication_module, name, timing(name))
    try:
        profile.enable()
        started = time.perf_counter()
        network_publish(network)
        profiled = time.perf_counter() - started
        profile.disable()
    finally:
        for name, original in originals.items():
            setattr(publication_module, name, original)
    print(f"   one more run under cProfile: {profiled:.1f} s; protect_family "
          f"{sum(calls['protect_family']):.1f} s ({len(calls['protect_family'])} calls), "
          f"protect of lone tables {sum(calls['protect']):.1f} s "
          f"({len(calls['protect'])} calls)")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(r"tenants|network_figures|django/db/models/query", 14)
    lines = [line for line in out.getvalue().splitlines()
             if re.match(r"\s*\d", line) or "ncalls" in line]
    print("   where the time goes (cumulative, project code and the ORM):")
    for line in lines[:16]:
        print(f"     {line.rstrip()}")
    print(f"   ({load()})\n")


def _narrowest(year: dict[str, Any]) -> str:
    widths = [t["narrowest"] for t in year["tables"].values() if t["narrowest"] is not None]
    return f"{min(widths)} (at least {year['width']})" if widths else "unbounded"


# --- d. The coordinator dashboard -----------------------------------------------------------


def dashboard(network: Any, coordinator: Any, runs: int) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, Resolver404, resolve
    from django_tenants.utils import schema_context

    base = f"/reseaux/{network.pk}/"
    settings_urlconf = getattr(settings, "PUBLIC_SCHEMA_URLCONF", None)
    try:
        match = resolve(base, urlconf=settings_urlconf)
    except (Resolver404, NoReverseMatch):
        match = None
    if match is None or not match.func.__module__.startswith("tenants.networks.console"):
        print(f"d. Dashboard: TODO — {base} does not resolve to tenants.networks.console on the "
              "public host yet (the coordinator console is being written); nothing "
              "measured. Re-run this bench once it exists.")
        return 0
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    with schema_context("public"):
        client.force_login(coordinator,
                           backend="django.contrib.auth.backends.ModelBackend")
    try:
        first = client.get(base)
    except Exception as error:  # the console is being written: say so, keep the figures
        print(f"d. Dashboard: {base} FAILED — {type(error).__name__}: {error}")
        return 1
    if first.status_code != 200:
        print(f"d. Dashboard: {base} answered {first.status_code} to the coordinator: "
              "FAILED")
        return 1
    from tenants.models import NetworkPublication
    from tenants.networks.indicators import CATALOGUE

    publication = NetworkPublication.objects.filter(network=network).first()
    periods = list(publication.periods) if publication else []
    # Every fixed choice of the page: school year × indicator (the view's `annee` and
    # `indicateur`); the page offers no other filter.
    pages = [(f"?annee={p}&indicateur={i.key}", p, i.key)
             for p in periods for i in CATALOGUE]
    print(f"d. Dashboard {base}, signed in as a coordinator of the network: {len(pages)} "
          f"pages ({len(periods)} school years × {len(CATALOGUE)} indicators), 2 warm-up "
          f"then {runs} timed requests each; ms (test client: middleware + view + queries "
          "+ template)")
    print(f"   {'page':<58} {'median':>7} {'p95':>7} {'max':>7} {'queries':>7}")
    failed, every = 0, []
    for query, _period, _key in pages:
        url = base + query
        times = []
        for i in range(runs + 2):
            start = time.perf_counter()
            try:
                response = client.get(url)
            except Exception as error:
                print(f"   {query:<58} FAILED — {type(error).__name__}: {error}")
                return 1
            if i >= 2:
                times.append(time.perf_counter() - start)
            if response.status_code != 200:
                break
        if response.status_code != 200:
            print(f"   {query:<58} FAILED ({response.status_code})")
            failed += 1
            continue
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = sum(1 for q in captured.captured_queries
                      if not q["sql"].startswith(("SET search_path", "SAVEPOINT", "RELEASE")))
        every += times
        print(f"   {query:<58} {statistics.median(times) * 1000:>7.1f} "
              f"{percentile(times, 0.95) * 1000:>7.1f} {max(times) * 1000:>7.1f} "
              f"{queries:>7}")
    if every:
        print(f"   all pages together: {summary(every, 'ms')}")
    print(f"   ({load()})")
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    setup = set_up(args)
    network, associations = setup["network"], setup["associations"]
    contributions_in_process(associations)
    if args.no_celery:
        print("b. Celery run skipped (--no-celery).\n")
    else:
        contributions_with_celery(network, associations, args.concurrency)
    pooling(network, args.publish_runs)
    return dashboard(network, setup["coordinator"], args.runs)


if __name__ == "__main__":
    sys.exit(main())
