"""Relier on a Citus cluster against one PostgreSQL server, in the same run (issue #18).

    .venv/bin/python bench/citus.py [--associations 12] [--cases 2000] [--runs 20]

The same measurements on both, each in a process of its own (Django binds one database
per process):

- the single server: a throw-away database `relier_bench_citus` on the development
  server (DATABASE_URL, or the embedded one), dropped at the end;
- the cluster: a coordinator and two workers started for the run from ../shared/citus
  (built when missing), on free ports in a temporary folder, stopped and removed at the
  end (`--cluster-url URL` uses a running one instead, e.g. `dev.py citus start`'s).

Measured: `migrate_schemas` on an empty database; provisioning (`association_create`,
each timed); the case list of one association filled with `--cases` cases (the page
through Django's test client, as its admin); the nightly publication (each association's
contribution, then `network_publish`); one new tenant migration over every schema
(`migrate_schemas`, replayed as deployed); and, on the cluster, how the associations spread
over the workers. Then the ratios cluster / single server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from provisioning import (  # noqa: E402 (the environment is fixed before Django loads)
    admin_connect,
    drop_database,
    load,
    quiet,
    second_factor,
    server_params,
)

GOAL_PROVISIONING_SECONDS = 1.0
SINGLE_DATABASE = "relier_bench_citus"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=12,
                        help="associations created and published together (12)")
    parser.add_argument("--cases", type=int, default=2000,
                        help="cases of the association whose case list is timed (2000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--cluster-url", default="",
                        help="a running Citus coordinator (default: start one for the run)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p95": percentile(values, 0.95),
            "min": min(values), "max": max(values), "n": len(values)}


# --- one side (a child process: DATABASE_URL names its database) --------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.backends import ModelBackend
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from relier_platform.demo.activity import generate_activity
    from tenants.models import Network
    from tenants.networks.publication import network_publish
    from tenants.networks.services import network_join
    from tenants.networks.tasks import association_contribute_task
    from tenants.tenancy import citus
    from tenants.tenancy.provisioning import spare_names, spares_fill
    from tenants.tenancy.services import (
        association_create,
        association_host,
        public_tenant_ensure,
    )

    result: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        result["server"] = cursor.fetchone()[0]
    start = time.perf_counter()
    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()
    result["migrate"] = time.perf_counter() - start
    result["citus"] = citus.active()

    network = Network.objects.create(name="Réseau du banc Citus", agreement_version="1")
    created: list[Any] = []
    timings: dict[str, list[float]] = {"clone": [], "spare": []}
    for n in range(1, args.associations + 1):
        slug = f"citus-bench-{n:03d}"
        # First half: the template cloned during provisioning; second half: a spare schema
        # claimed (tenants/tenancy/provisioning.py), refilled between two sign-ups as the
        # Celery task does, outside the timing.
        path = "clone" if n <= args.associations // 2 else "spare"
        with override_settings(RELIER_SPARE_SCHEMAS=0 if path == "clone" else 2):
            if path == "spare":
                spares_fill()
            start = time.perf_counter()
            with quiet():
                made = association_create(actor=None, slug=slug, name=f"Association {n}",
                                          admin_email=f"admin@{slug}.example")
            timings[path].append(time.perf_counter() - start)
        network_join(actor=made.admin, association=made.association, network=network,
                     agreement_version="1")
        created.append(made)
    with connection.cursor() as cursor:  # the spread below counts associations only
        for name in spare_names():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
    result["provisioning"] = {path: figures(values) for path, values in timings.items()}

    start_day = timezone.localdate().replace(day=1).replace(year=timezone.localdate().year - 1)
    fill = []
    for n, made in enumerate(created):
        cases = args.cases if n == 0 else 60
        start = time.perf_counter()
        generate_activity(schema_name=made.association.schema_name, cases=cases,
                          interactions=cases * 4, seed=1000 + n, start=start_day,
                          staff_ids_by_role={"admin": [made.admin.pk]})
        fill.append(time.perf_counter() - start)
    result["fill_large"] = fill[0]
    big = created[0]
    with connection.cursor() as cursor:
        # The large association's tables only: a database-wide ANALYZE on the cluster takes
        # a lock per shard and index in one transaction (out of shared memory at 300).
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                       [created[0].association.schema_name])
        for (table,) in cursor.fetchall():
            cursor.execute(f'ANALYZE "{created[0].association.schema_name}"."{table}"')

    client = Client(HTTP_HOST=association_host(big.association.slug))
    second_factor(big.admin)
    with schema_context(big.association.schema_name):
        client.force_login(big.admin, backend=f"{ModelBackend.__module__}.ModelBackend")
    pages = {"list, default": "/dossiers/", "list, all by code": "/dossiers/?status=all&sort=code",
             "list, search": "/dossiers/?q=Montreuil"}
    result["pages"] = {}
    for label, url in pages.items():
        times = []
        for run in range(args.runs + 2):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if run >= 2:  # two warm-up requests
                times.append(elapsed * 1000)
        result["pages"][label] = figures(times)

    contributions = []
    start_all = time.perf_counter()
    for made in created:
        start = time.perf_counter()
        with schema_context(made.association.schema_name):
            association_contribute_task(made.association.schema_name)
        contributions.append(time.perf_counter() - start)
    result["contributions"] = figures(contributions)
    result["contributions_total"] = time.perf_counter() - start_all
    start = time.perf_counter()
    publication = network_publish(network)
    result["publish"] = time.perf_counter() - start
    result["published_associations"] = publication.associations
    result["new_migration"] = one_new_migration()
    if result["citus"]:
        result["spread"] = {node.label: node.schemas for node in citus.nodes()}
    return result


def one_new_migration() -> dict[str, Any]:
    """One new tenant migration (a column added to tracking_case) over the template and
    every association, by `migrate_schemas` as deployed (replay, 4 threads)."""
    import contextlib
    import io
    import shutil

    from django.core.management import call_command
    from django.test import override_settings
    from migrations import association_schemas, new_migration_module  # bench/migrations.py

    from tenants.tenancy.migration import schemas_up_to_date
    from tenants.tenancy.provisioning import template_schema_name

    column = f"bench_{int(time.time())}"
    schemas = [template_schema_name(), *association_schemas()]
    folder, package = new_migration_module(column)
    try:
        with override_settings(MIGRATION_MODULES={"tracking": package}):
            out = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(out):
                call_command("migrate_schemas", interactive=False, verbosity=1)
            seconds = time.perf_counter() - start
            done = schemas_up_to_date(schemas, {f"tracking.{column}"})
    finally:
        sys.path.remove(str(folder))
        shutil.rmtree(folder, ignore_errors=True)
    summary = next((text for text in out.getvalue().splitlines()
                    if "migrated by replay" in text), "")
    return {"seconds": seconds, "schemas": len(schemas), "missing": len(schemas) - len(done),
            "summary": summary}


# --- the run: both sides, then the ratios -------------------------------------------------


def child(args: argparse.Namespace, url: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "relier_platform.settings"}
    command = [sys.executable, str(Path(__file__).resolve()), "--measure",
               "--associations", str(args.associations), "--cases", str(args.cases),
               "--runs", str(args.runs)]
    out = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True,
                         text=True)
    if out.returncode:
        sys.stderr.write(out.stderr[-6000:])  # the measuring process's traceback
        raise SystemExit(f"the measurement on {url} failed (exit {out.returncode})")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def start_cluster() -> tuple[str, Path]:
    sys.path.insert(0, str(ROOT))
    import dev

    port = next(p for p in range(9900, 9990, 5) if all(dev.port_free(p + i) for i in range(3)))
    folder = Path(tempfile.mkdtemp(prefix="relier-bench-citus-"))
    return dev.citus_start(folder, port), folder


def stop_cluster(folder: Path) -> None:
    import dev

    dev.citus_stop(folder)
    subprocess.run(dev.as_root("rm", "-rf", str(folder)), check=False)


def line(label: str, single: float, cluster: float, unit: str) -> str:
    ratio = cluster / single if single else float("nan")
    return f"{label:<50} {single:>10.3f} {cluster:>10.3f} {unit:<3} {ratio:>6.2f}x"


def report(args: argparse.Namespace, single: dict[str, Any], cluster: dict[str, Any]) -> int:
    print(f"single server: PostgreSQL {single['server']}; cluster: coordinator + "
          f"{len(cluster.get('spread', {}))} workers, PostgreSQL {cluster['server']} + Citus\n")
    header = f"{'':<50} {'single':>10} {'Citus':>10} {'':<3} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    print(line("migrate_schemas, empty database", single["migrate"], cluster["migrate"], "s"))
    for path, label in (("clone", "template cloned"), ("spare", "spare schema claimed")):
        count = single["provisioning"][path]["n"]
        for key in ("median", "max"):
            print(line(f"provisioning, {label} ({count}), {key}",
                       single["provisioning"][path][key], cluster["provisioning"][path][key],
                       "s"))
    print(line(f"filling the large association ({args.cases} cases)", single["fill_large"],
               cluster["fill_large"], "s"))
    for label in single["pages"]:
        for key in ("median", "p95"):
            print(line(f"{label} ({args.cases} cases), {key}",
                       single["pages"][label][key], cluster["pages"][label][key], "ms"))
    print(line("contribution per association, median", single["contributions"]["median"],
               cluster["contributions"]["median"], "s"))
    print(line(f"contributions, all {args.associations}", single["contributions_total"],
               cluster["contributions_total"], "s"))
    print(line("network_publish", single["publish"], cluster["publish"], "s"))
    migration = (single["new_migration"], cluster["new_migration"])
    print(line(f"one new tenant migration, {migration[0]['schemas']} schemas",
               migration[0]["seconds"], migration[1]["seconds"], "s"))
    print("\nAssociations per worker: " + ", ".join(
        f"{node} {count}" for node, count in sorted(cluster.get("spread", {}).items())))
    spare = cluster["provisioning"]["spare"]
    ok = spare["max"] < GOAL_PROVISIONING_SECONDS
    print(f"Provisioning on the cluster (spare schema claimed) under "
          f"{GOAL_PROVISIONING_SECONDS:.0f} s, every one: {'YES' if ok else 'NO'} "
          f"(median {spare['median']:.3f} s, max {spare['max']:.3f} s)")
    same = single["published_associations"] == cluster["published_associations"]
    print(f"Same publication on both (associations counted): {'YES' if same else 'NO'}")
    for side, figures_ in zip(("single server", "Citus"), migration, strict=True):
        print(f"New migration on the {side}: {figures_['summary'] or '(no summary)'}; "
              f"schemas without it: {figures_['missing']}")
    complete = not (migration[0]["missing"] or migration[1]["missing"])
    return 0 if same and complete else 1


def main() -> int:
    args = parse_args()
    if args.measure:
        print(json.dumps(measure(args)))
        return 0
    print(f"Relier on Citus vs one server — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); {load()}")
    params = server_params()
    with admin_connect(params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SINGLE_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{SINGLE_DATABASE}"')
    from urllib.parse import quote

    auth = quote(str(params.get("user", "postgres")))
    if params.get("password"):
        auth += ":" + quote(str(params["password"]))
    single_url = (f"postgresql://{auth}@{params.get('host', '127.0.0.1')}:"
                  f"{params.get('port', 5432)}/{SINGLE_DATABASE}")
    folder = None
    try:
        started = time.perf_counter()
        single = child(args, single_url)
        print(f"single server measured in {time.perf_counter() - started:.0f} s; {load()}")
        if args.cluster_url:
            cluster_url = args.cluster_url
        else:
            cluster_url, folder = start_cluster()
        started = time.perf_counter()
        cluster = child(args, cluster_url)
        print(f"cluster measured in {time.perf_counter() - started:.0f} s; {load()}\n")
    finally:
        drop_database(params, SINGLE_DATABASE)
        if folder is not None:
            stop_cluster(folder)
    return report(args, single, cluster)


if __name__ == "__main__":
    sys.exit(main())
