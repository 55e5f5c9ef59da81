"""How fast the case pages answer in a large association (50,000 cases, 500,000 exchanges).

    .venv/bin/python bench/case_list.py [--cases 50000] [--interactions 500000] [--runs 30]

Runs in a throw-away database (`relier_bench_cases` by default) on the same PostgreSQL
server as the development database, which is never touched: the bench database is created
before Django connects and dropped at the end (the approach and helpers of
bench/provisioning.py). One association is created with a team, filled with
relier_platform.demo.activity.generate_activity, then each page is requested through Django's test
client
(the whole request: middleware, queries, template) as an admin, who sees every case, and
as a listener, who sees only the cases assigned to them. See bench/README.md.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

# The helpers of bench/provisioning.py (importing it also fixes the environment the same
# way: DEBUG off, a Redis database and key prefix of the bench's own).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from provisioning import fresh_association, in_bench_database, load, second_factor

# Static files are served from the source folders when collectstatic was not run.
warnings.filterwarnings("ignore", message="No directory at")

SLOW_MS = 300.0
SLUG = "grande-asso"
PASSWORD = "banc-d-essai-2026"
TEAM = {  # role: how many (the admin comes with the association)
    "coordinator": 2, "psychologist": 5, "listener": 8, "volunteer": 6, "read_only": 1,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000, help="cases to generate (50000)")
    parser.add_argument("--interactions", type=int, default=500_000,
                        help="exchanges to generate (500000)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the invented data (1)")
    parser.add_argument(
        "--database", default="relier_bench_cases",
        help="name of the throw-away database, dropped and re-created (relier_bench_cases)",
    )
    parser.add_argument("--explain", action="store_true",
                        help="print every page's queries and the plan of its slowest one")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database at the end, to investigate (drop it by hand)")
    args = parser.parse_args()
    if args.runs < 1 or args.cases < 1 or args.interactions < 0:
        parser.error("--runs and --cases must be at least 1, --interactions at least 0")
    return args


def main() -> int:
    args = parse_args()
    return in_bench_database(args.database, lambda: run(args), keep=args.keep)


# --- Setting up --------------------------------------------------------------------------


def set_up(args: argparse.Namespace) -> dict[str, Any]:
    """Schemas, the association and its team, the invented year of activity."""
    import django
    from django.db import connection

    from relier_platform.demo.activity import generate_activity
    from tenants.models import User
    from tenants.tenancy.services import membership_create

    print(f"Relier case pages bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, PostgreSQL "
        f"{pg_version}, {os.cpu_count()} CPU(s); database {args.database!r} (throw-away); "
        f"{load()}"
    )
    start = time.perf_counter()
    created = fresh_association(SLUG, "Grande Association (banc d'essai)", password=PASSWORD)
    association = created.association
    people: dict[str, list[User]] = defaultdict(list)
    people["admin"].append(created.admin)
    for role, count in TEAM.items():
        for n in range(count):
            # No password: force_login signs in, and hashing 20 passwords takes seconds.
            user = User.objects.create_user(f"{role}{n + 1}@{SLUG}.example")
            membership_create(actor=None, association=association, user=user, role=role)
            people[role].append(user)
    print(f"migrate_schemas, association and team ({sum(map(len, people.values()))} people): "
          f"{time.perf_counter() - start:.1f} s")

    demo_log = logging.getLogger("relier_platform.demo.activity")
    demo_log.setLevel(logging.DEBUG)  # the time of each phase
    demo_log.propagate = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    demo_log.addHandler(handler)
    start = time.perf_counter()
    counts = generate_activity(
        schema_name=association.schema_name, cases=args.cases,
        interactions=args.interactions, seed=args.seed,
        staff_ids_by_role={role: [u.pk for u in users] for role, users in people.items()},
    )
    generated = time.perf_counter() - start
    print(f"generate_activity: {generated:.1f} s — " + ", ".join(
        f"{counts[k]:,} {k}" for k in ("cases", "interactions", "interaction_cases",
                                       "contacts", "attendances", "assessments")))
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {association.schema_name}, public")
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done by now
        cursor.execute("SET search_path TO public")
    print(f"VACUUM ANALYZE: {time.perf_counter() - start:.1f} s; {load()}\n")
    return {"association": association, "people": people, "counts": counts,
            "generated": generated}


def pick_case(schema_name: str, listener_id: int) -> tuple[int, str, int, int]:
    """The listener's case with the most exchanges: (id, code, exchanges, cases of theirs)."""
    from django.db.models import Count
    from django_tenants.utils import schema_context

    from tracking.models import Case

    with schema_context(schema_name):
        mine = Case.objects.filter(assigned_staff=listener_id)
        top = (mine.annotate(n=Count("interactions")).order_by("-n", "pk")
               .values_list("pk", "code", "n").first())
        assert top is not None, "the listener has no case"
        return (*top, mine.count())


# --- Measuring -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(client: Any, url: str, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm-up: templates compiled, caches and buffers filled
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = [q for q in captured.captured_queries
               if not q["sql"].startswith(("SET search_path", "SAVEPOINT", "RELEASE"))]
    slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
    return {
        "captured": queries,
        "median": statistics.median(times), "p95": percentile(times, 0.95),
        "queries": len(queries), "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"],
    }


def explain(schema_name: str, sql: str) -> str:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth.backends import ModelBackend
    from django.test import Client
    from django_tenants.utils import schema_context

    from tenants.tenancy.services import association_host

    setup = set_up(args)
    association, people = setup["association"], setup["people"]
    schema = association.schema_name
    admin, listener = people["admin"][0], people["listener"][0]
    case_id, code, exchanges, listener_cases = pick_case(schema, listener.pk)
    print(f"Listener {listener.email} follows {listener_cases:,} cases; case page: {code} "
          f"({exchanges} exchanges).")

    clients = {}
    for label, user in (("admin", admin), ("listener", listener)):
        client = Client(HTTP_HOST=association_host(association.slug))
        second_factor(user)
        with schema_context(schema):
            client.force_login(user, backend=f"{ModelBackend.__module__}.ModelBackend")
        clients[label] = client

    pages = [
        ("list, default (open, recent)", "/dossiers/"),
        ("list, all sorted by code", "/dossiers/?status=all&sort=code"),
        ("list, age 11-14", "/dossiers/?age_bracket=11-14"),
        ("list, search Montreuil", "/dossiers/?q=Montreuil"),
        ("list, mine", "/dossiers/?mine=1"),
        ("list, page 200", "/dossiers/?page=200"),
        ("case page", f"/dossiers/{case_id}/"),
    ]
    print(f"{args.runs} timed requests per line after 2 warm-up ones; times in ms "
          "(test client: middleware + view + queries + template)\n")
    header = (f"{'page':<30} {'who':<9} {'median':>7} {'p95':>7} {'queries':>7} "
              f"{'slowest query':>13}")
    print(header)
    print("-" * len(header))
    slow, failed = [], 0
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # errors printed below
    for label, url in pages:
        for who, client in clients.items():
            try:
                result = measure(client, url, args.runs)
            except Exception as error:  # report it and go on with the next page
                print(f"{label:<30} {who:<9} FAILED: {type(error).__name__}: {error}")
                failed += 1
                continue
            print(f"{label:<30} {who:<9} {result['median']:>7.1f} {result['p95']:>7.1f} "
                  f"{result['queries']:>7} {result['slowest_ms']:>10.1f} ms")
            if result["median"] > SLOW_MS or args.explain:
                slow.append((label, who, result))
    print(f"({load()})")
    print(f"\nslowest query = the longest single SQL statement of one request (measured "
          f"apart from the timed runs). Pages over {SLOW_MS:.0f} ms median: "
          f"{sum(r['median'] > SLOW_MS for _l, _w, r in slow)}.")
    for label, who, result in slow:
        print(f"\n--- {label} ({who}): queries (ms) ---")
        for query in result["captured"]:
            print(f"{float(query['time']) * 1000:6.1f}  {query['sql'][:300]}")
        print(f"\n--- {label} ({who}): slowest query, EXPLAIN ANALYZE ---")
        print(result["slowest_sql"][:2000])
        print(explain(schema, result["slowest_sql"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
