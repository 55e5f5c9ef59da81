"""Request path at scale (issue #9, item 3; issue #21): the case list, the case page and an
exchange group's pages of an association with 50,000 cases and 500,000 exchanges — server
time and queries per request — and the case list's throughput under gunicorn, against a
bare Django view running the same SQL.

    .venv/bin/python bench/request_path.py                    # --cases 50000 --interactions 500000
    .venv/bin/python bench/request_path.py --cases 5000 --interactions 50000 --runs 5 --seconds 5
    .venv/bin/python bench/request_path.py --profile          # + cProfile of the case list

Runs in a throw-away database (`relier_bench_request`), created before Django connects and
dropped at the end (bench/provisioning.py's helpers). The association is filled with bulk
SQL (INSERT … SELECT generate_series), not through the ORM: a few seconds instead of the
minutes of relier_platform.demo.activity.generate_activity. Encrypted fields get real ciphertexts,
made by
the field's own encryption once per distinct value and reused. See bench/README.md and
bench/RESULTS.md ("3. Request path").
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_list import PASSWORD, TEAM, explain, measure
from provisioning import fresh_association, in_bench_database, load, second_factor
from serving import ensure_wrk, gunicorn, run_wrk

SLUG = "grande-asso"
GROUP_SESSIONS = 52  # a year of a weekly exchange group
GROUP_PEOPLE = 30
SLOW_MS = 300.0
FIRST_NAMES = ["Inès", "Lucas", "Jade", "Nathan", "Léa", "Adam", "Chloé", "Mohamed", "Emma",
               "Yanis", "Lina", "Hugo", "Sarah", "Rayan", "Manon", "Ibrahim", "Camille",
               "Noah", "Aya", "Louis"]
TOWNS = [("Montreuil", "93"), ("Saint-Denis", "93"), ("Bobigny", "93"), ("Pantin", "93"),
         ("Aubervilliers", "93"), ("Bondy", "93"), ("Paris", "75"), ("Créteil", "94"),
         ("Vitry-sur-Seine", "94"), ("Nanterre", "92"), ("Argenteuil", "95"),
         ("Saint-Pierre", "974"), ("Saint-Denis", "974"), ("Évry", "91"), ("Meaux", "77")]
SUMMARIES = ["Point téléphonique, la situation se calme en classe.",
             "Entretien avec la mère : inquiétude sur les réseaux sociaux.",
             "Échange avec la CPE, une médiation est prévue.",
             "Le jeune dit se sentir mieux, retour au club de foot.",
             "Message de relance resté sans réponse.", ""]
NOTES = ["Anxiété marquée, sommeil perturbé ; revoir dans 15 jours.",
         "Pas d'idées noires exprimées ; alliance thérapeutique correcte.",
         "Évoque des moqueries répétées en ligne ; orientation CMP discutée."]
GENDERS = ["girl", "boy", "boy", "girl", "other", ""]
CHANNELS = ["phone", "phone", "in_person", "video", "chat"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (30)")
    parser.add_argument("--workers", default="2,4",
                        help="gunicorn worker counts to measure, comma-separated (2,4)")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per run (20)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() of the data")
    parser.add_argument("--database", default="relier_bench_request")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile 20 case-list requests and print the top functions")
    parser.add_argument("--explain", action="store_true",
                        help="print every page's queries and the plan of its slowest one")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn part")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if args.cases < 2 or args.interactions < 0 or args.runs < 1 or not args.workers:
        parser.error("--cases ≥ 2, --interactions ≥ 0, --runs ≥ 1, --workers not empty")
    return args


def main() -> int:
    args = parse_args()
    if not args.no_load:
        ensure_wrk()  # before the data: no point generating it if wrk cannot be had
    return in_bench_database(args.database, lambda: run(args), keep=args.keep)


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} CPU(s) ({platform.processor() or platform.machine()}), "
            f"{ram:.0f} GiB RAM, PostgreSQL {pg}, Python {sys.version.split()[0]}; {load()}")


# --- Setting up --------------------------------------------------------------------------


def set_up() -> dict[str, Any]:

    from tenants.models import User
    from tenants.tenancy.services import membership_create

    created = fresh_association(SLUG, "Grande Association (banc d'essai)", password=PASSWORD)
    people: dict[str, list[Any]] = {"admin": [created.admin]}
    for role, count in TEAM.items():
        people[role] = []
        for n in range(count):
            user = User.objects.create_user(f"{role}{n + 1}@{SLUG}.example")
            membership_create(actor=None, association=created.association, user=user,
                              role=role)
            people[role].append(user)
    return {"association": created.association, "people": people}


def ciphertexts(model: Any, field_name: str, values: list[str]) -> list[str]:
    """One ciphertext per distinct value, made by the field's own encryption."""
    from django.db import connection

    field = model._meta.get_field(field_name)
    return [field.get_db_prep_save(value, connection) for value in values]


def populate(schema: str, people: dict[str, list[Any]], cases: int, interactions: int,
             seed: float) -> dict[str, float]:
    """Fill the association with INSERT … SELECT generate_series, in one transaction.

    Shape: 400 partners; `cases` cases opened over the last year (40 % closed), each
    followed by one person of the team (psychologists, listeners, coordinators), with an
    "opened" event (and a "closed" one); `interactions` exchanges whose case is drawn as
    floor(cases · u²) (u uniform): the density falls as 1/√rank, so the first case gets
    about interactions/√cases exchanges (~2,200 at full size), a case in the middle ~5;
    a fifth carry a clinical note. The foreign-key triggers are off during the load
    (session_replication_role = replica: the rows are consistent by construction)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from relier_platform.demo.activity import _demo_custom_fields, _place_in_workflow
    from tracking.models import Case, Interaction

    names = ciphertexts(Case, "first_name", FIRST_NAMES)
    notes = ciphertexts(Interaction, "clinical_note", NOTES)
    followers = [u.pk for role in ("psychologist", "listener", "coordinator")
                 for u in people[role]]
    admin_id = people["admin"][0].pk
    phases: dict[str, float] = {}

    def phase(name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        began = time.perf_counter()
        cursor.execute(sql, params)
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - began

    with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("SELECT kind, array_agg(id ORDER BY position, id) FROM "
                       "tracking_picklistitem WHERE NOT is_archived GROUP BY kind")
        items = dict(cursor.fetchall())
        common = {
            "names": names, "notes": notes, "followers": followers, "admin": admin_id,
            "towns": [t for t, _d in TOWNS], "departments": [d for _t, d in TOWNS],
            "genders": GENDERS, "channels": CHANNELS, "summaries": SUMMARIES,
            "programmes": items.get("programme", []),
            "sources": items.get("detection_source", []),
            "ikinds": items["interaction_kind"], "ptypes": items["partner_type"],
            "reasons": items.get("closing_reason", []), "n": cases, "i": interactions,
        }
        # Lengths of the arrays (at least 1: index 1 of an empty array is NULL, as wanted).
        common |= {f"k_{key}": max(1, len(value)) for key, value in list(common.items())
                   if isinstance(value, list)}
        phase("partners", """
            INSERT INTO tracking_partner (name, kind_id, town, department, created_at,
                                          is_archived)
            SELECT 'Partenaire ' || g, (%(ptypes)s::bigint[])[1 + g %% %(k_ptypes)s],
                   (%(towns)s::text[])[1 + g %% 15], (%(departments)s::text[])[1 + g %% 15],
                   now(), false
            FROM generate_series(1, 400) g""", common)
        cursor.execute("SELECT coalesce(max(id), 0) FROM tracking_case")
        case_base = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM tracking_partner")
        common |= {"partners": cursor.fetchone()[0], "cbase": case_base}
        common["k_partners"] = len(common["partners"])
        phase("cases", """
            INSERT INTO tracking_case (id, code, first_name, birth_year, gender, town,
                department, role, programme_id, detection_source_id, referring_partner_id,
                opened_on, closed_on, closing_reason_id, created_at, updated_at, version,
                custom)
            SELECT %(cbase)s + g, 'B' || lpad(g::text, 7, '0'),
                   (%(names)s::text[])[1 + g %% %(k_names)s],
                   extract(year FROM current_date)::int - 8 - (g * 7) %% 14,
                   (%(genders)s::text[])[1 + g %% 6],
                   (%(towns)s::text[])[1 + (g * 3) %% 15],
                   (%(departments)s::text[])[1 + (g * 3) %% 15], 'targeted',
                   (%(programmes)s::bigint[])[1 + g %% %(k_programmes)s],
                   (%(sources)s::bigint[])[1 + g %% %(k_sources)s],
                   CASE WHEN g %% 3 = 0 THEN (%(partners)s::bigint[])[1 + g %% %(k_partners)s] END,
                   o.opened, c.closed,
                   CASE WHEN c.closed IS NOT NULL
                        THEN (%(reasons)s::bigint[])[1 + g %% %(k_reasons)s] END,
                   now(), now(), 1, '{}'::jsonb
            FROM generate_series(1, %(n)s) g,
                 LATERAL (SELECT current_date - (floor(random() * 365))::int AS opened) o,
                 LATERAL (SELECT CASE WHEN g %% 5 < 2 THEN least(current_date,
                          o.opened + 20 + (g %% 90)) END AS closed) c""", common)
        phase("cases", """
            INSERT INTO tracking_case_assigned_staff (case_id, user_id)
            -- A hash of g, not g itself: g also decides whether the case is closed.
            SELECT %(cbase)s + g,
                   (%(followers)s::bigint[])[1 + (g * 2654435761 %% 1000003) %% %(k_followers)s]
            FROM generate_series(1, %(n)s) g""", common)
        phase("events", """
            INSERT INTO tracking_caseevent (case_id, at, actor_id, kind, detail)
            SELECT id, opened_on + time '09:00', %(admin)s, 'opened', '{}'::jsonb
            FROM tracking_case WHERE id > %(cbase)s
            UNION ALL
            SELECT id, closed_on + time '17:00', %(admin)s, 'closed', '{}'::jsonb
            FROM tracking_case WHERE id > %(cbase)s AND closed_on IS NOT NULL""", common)
        cursor.execute("SELECT coalesce(max(id), 0) FROM tracking_interaction")
        common["ibase"] = cursor.fetchone()[0]
        phase("interactions", """
            CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
            SELECT j, %(cbase)s + 1 + floor((%(n)s - 1) * power(random(), 2))::bigint AS case_id,
                   random() AS r
            FROM generate_series(1, %(i)s) j""", common)
        phase("interactions", """
            INSERT INTO tracking_interaction (id, kind_id, channel, occurred_at,
                duration_minutes, staff_id, partner_id, summary, clinical_note, created_by_id,
                created_at, custom)
            SELECT %(ibase)s + p.j,
                   (%(ikinds)s::bigint[])[1 + p.j %% %(k_ikinds)s],
                   (%(channels)s::text[])[1 + p.j %% 5],
                   least(now(), (c.opened_on + time '09:00') + p.r * ((coalesce(c.closed_on,
                         current_date) - c.opened_on) * interval '1 day' + interval '8 hours')),
                   15 + (p.j %% 8) * 5, s.user_id, NULL,
                   (%(summaries)s::text[])[1 + p.j %% 6],
                   CASE WHEN p.j %% 5 = 0 THEN (%(notes)s::text[])[1 + p.j %% %(k_notes)s] END,
                   s.user_id, now(), '{}'::jsonb
            FROM bench_plan p JOIN tracking_case c ON c.id = p.case_id
            JOIN tracking_case_assigned_staff s ON s.case_id = c.id""", common)
        phase("interactions", """
            INSERT INTO tracking_interaction_cases (interaction_id, case_id)
            SELECT %(ibase)s + j, case_id FROM bench_plan""", common)
        for table in ("tracking_case", "tracking_interaction", "tracking_partner",
                      "tracking_caseevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        began = time.perf_counter()
        _place_in_workflow()
        _demo_custom_fields()
        phases["workflow stages, custom fields"] = time.perf_counter() - began
    began = time.perf_counter()
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    phases["VACUUM ANALYZE"] = time.perf_counter() - began
    return phases


def pick_cases(schema: str, listener_id: int) -> dict[str, tuple[int, str, int]]:
    """The case with the most exchanges (the first one by construction) and a middling
    case of the listener: (id, code, exchanges)."""
    from django.db.models import Count
    from django_tenants.utils import schema_context

    from tracking.models import Case

    with schema_context(schema):
        counted = Case.objects.annotate(n=Count("interactions"))
        heavy = counted.order_by("-n", "pk").values_list("pk", "code", "n").first()
        mine = counted.filter(assigned_staff=listener_id).order_by("n", "pk")
        total = mine.count()
        middle = mine.values_list("pk", "code", "n")[total // 2]
        assert heavy is not None
        return {"heavy": heavy, "typical": middle}


def exchange_group(schema: str, people: dict[str, list[Any]]) -> dict[str, str]:
    """A weekly exchange group of a year (GROUP_SESSIONS sessions), facilitated by the
    listener, whose GROUP_PEOPLE young people (the first cases) each came to about half the
    sessions; the URLs of the group and of its last session."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from tracking.groups.services import group_create
    from tracking.models import Attendance, Case, GroupSession
    from tracking.permissions import Actor

    with schema_context(schema):
        group = group_create(actor=Actor(user=people["admin"][0], role="admin"),
                             theme="Groupe du mercredi (banc d'essai)", weekday=2,
                             capacity=GROUP_PEOPLE,
                             facilitator_ids=[people["listener"][0].pk])
        today = timezone.localdate()
        sessions = GroupSession.objects.bulk_create(
            GroupSession(group=group, held_on=today - timedelta(weeks=week))
            for week in range(GROUP_SESSIONS))
        cases = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:GROUP_PEOPLE])
        Attendance.objects.bulk_create(
            Attendance(session=session, case_id=case_id,
                       status="present" if (week + n) % 3 else "absent")
            for week, session in enumerate(sessions) for n, case_id in enumerate(cases)
            if (week + n) % 2 == 0)
    return {"group": f"/groupes/{group.pk}/",
            "group_session": f"/groupes/{group.pk}/seances/{sessions[0].pk}/"}


# --- Measuring in-process ----------------------------------------------------------------


def clients(association: Any, people: dict[str, list[Any]]) -> dict[str, Any]:
    from django.contrib.auth.backends import ModelBackend
    from django.test import Client
    from django_tenants.utils import schema_context

    from tenants.tenancy.services import association_host

    made = {}
    for who, user in (("admin", people["admin"][0]), ("listener", people["listener"][0])):
        client = Client(HTTP_HOST=association_host(association.slug))
        second_factor(user)
        with schema_context(association.schema_name):
            client.force_login(user, backend=f"{ModelBackend.__module__}.ModelBackend")
        made[who] = client
    return made


def in_process(args: argparse.Namespace, schema: str, made: dict[str, Any],
               picked: dict[str, Any]) -> tuple[int, dict[str, float]]:
    """Times every page; returns the number of failed pages and the worst p95 of the case
    list's lines ("list") and of the case page's ("case page")."""
    heavy, typical = picked["heavy"], picked["typical"]
    pages: list[tuple[str, str, tuple[str, ...]]] = [
        ("list, default (open, recent)", "/dossiers/", ("admin", "listener")),
        ("list, all sorted by code", "/dossiers/?status=all&sort=code", ("admin",)),
        ("list, search Montreuil", "/dossiers/?q=Montreuil", ("admin", "listener")),
        ("list, page 200", "/dossiers/?page=200", ("admin",)),
        (f"case page, {heavy[2]:,} exchanges", f"/dossiers/{heavy[0]}/", ("admin",)),
        ("  same, timeline page 40", f"/dossiers/{heavy[0]}/?chronologie=40", ("admin",)),
        (f"case page, {typical[2]} exchanges", f"/dossiers/{typical[0]}/",
         ("admin", "listener")),
        (f"group session, {GROUP_PEOPLE} young people", picked["group_session"],
         ("admin", "listener")),
        ("group, its sessions", picked["group"], ("admin",)),
    ]
    print(f"{args.runs} timed requests per line after 2 warm-up ones, Django's test client "
          "(middleware + view + queries + template), times in ms\n")
    header = (f"{'page':<34} {'who':<9} {'median':>7} {'p95':>7} {'queries':>7} "
              f"{'slowest query':>13} {'KiB':>6}")
    print(header)
    print("-" * len(header))
    failed = 0
    worst = {"list": 0.0, "case page": 0.0}
    for label, url, whos in pages:
        for who in whos:
            try:
                result = measure(made[who], url, args.runs)
            except Exception as error:  # report it and go on
                print(f"{label:<34} {who:<9} FAILED: {type(error).__name__}: {error}")
                failed += 1
                continue
            size = len(made[who].get(url).content) / 1024
            kind = ("list" if label.startswith("list") else
                    "group" if label.startswith("group") else "case page")
            worst[kind] = max(worst.get(kind, 0.0), result["p95"])
            print(f"{label:<34} {who:<9} {result['median']:>7.1f} {result['p95']:>7.1f} "
                  f"{result['queries']:>7} {result['slowest_ms']:>10.1f} ms {size:>6.0f}")
            if result["median"] > SLOW_MS or args.explain:
                print(f"   slowest: {result['slowest_sql'][:300]}")
                print("   " + explain(schema, result["slowest_sql"]).replace("\n", "\n   "))
    print(f"({load()})\n")
    return failed, worst


def profile(client: Any) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get("/dossiers/")
    profiler.disable()
    for order, count in (("cumulative", 30), ("tottime", 20)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
        print(f"cProfile of 20 case-list requests (admin), by {order}:")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def case_list_sql(client: Any) -> list[str]:
    """Every statement one request of the case list runs, literal values in."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/dossiers/")  # the session's "last seen" is fresh: no write below
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dossiers/")
    assert response.status_code == 200
    # The bare server has the schema in its search_path from the start (bare_settings.py).
    return [q["sql"] for q in captured.captured_queries
            if not q["sql"].startswith("SET search_path")]


# --- Measuring under gunicorn -------------------------------------------------------------


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def under_gunicorn(args: argparse.Namespace, host: str, cookie: str, statements: list[str],
                   cases_shown: int, schema: str) -> list[float]:
    headers = {"Host": host, "Cookie": f"sessionid={cookie}"}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as sql_file:
        json.dump(statements, sql_file)
    bare_env = {"DJANGO_SETTINGS_MODULE": "bare_settings", "BARE_SQL": sql_file.name,
                "BENCH_SCHEMA": schema}
    print(f"Throughput: wrk, 1 thread, {args.connections} connections, {args.seconds} s per "
          f"run after a 3 s warm-up, on loopback; the same 2 cores serve wrk, gunicorn "
          f"(sync workers) and PostgreSQL.\n(a) /dossiers/ as the admin (whole product: "
          f"{len(statements)} statements); (b) a bare view running those {len(statements)} "
          f"statements with connection.cursor(), no middleware, text response.")
    ratios = []
    try:
        for workers in args.workers:
            results = {}
            for label, app, env, path in (
                ("real", "relier_platform.wsgi:application", {}, "/dossiers/"),
                ("bare", "relier_platform.wsgi:application", bare_env, "/bare/"),
            ):
                with gunicorn(app, workers=workers, host=host, env=env) as server:
                    status, body = fetch(server.port, path, headers)
                    assert status == 200, (label, status, body[:300])
                    if label == "real":  # the signed-in list itself, not a sign-in page
                        assert body.count(b'href="/dossiers/') >= cases_shown, body[:500]
                    run_wrk(server.url + path, seconds=3, connections=args.connections,
                            headers=headers)
                    results[label] = run_wrk(server.url + path, seconds=args.seconds,
                                             connections=args.connections, headers=headers)
                print(f"  {workers} workers, {label}: {results[label].line()}")
            ratio = results["real"].rps / results["bare"].rps
            ratios.append(ratio)
            print(f"  {workers} workers: case list framework/bare ratio {ratio:.2f} "
                  f"(real / bare throughput; the framework's share of the time: "
                  f"{1 - ratio:.0%}); {load()}")
    finally:
        os.unlink(sql_file.name)
    return ratios


def routing(args: argparse.Namespace, host: str, cookie: str, schema: str) -> list[float]:
    """The routing ratio: a trivial page (bench/trivial.py, the signed-in person's address)
    through the whole product — every middleware, tenant routing by host — against the same
    page served by plain Django on the same schema (bench/plain_settings.py)."""
    headers = {"Host": host, "Cookie": f"sessionid={cookie}"}
    path = "/banc/trivial/"
    print(f"\nRouting: wrk as above on {path} (the signed-in person's address as text), "
          f"(a) through the whole product (bench/stack_settings.py: every middleware, the "
          f"association found by its host), (b) plain Django on the same schema "
          f"(bench/plain_settings.py: Django's backend with the schema in its search_path, "
          f"startproject's middleware).")
    ratios = []
    for workers in args.workers:
        results = {}
        for label, env in (
            ("stack", {"DJANGO_SETTINGS_MODULE": "stack_settings"}),
            ("plain", {"DJANGO_SETTINGS_MODULE": "plain_settings", "BENCH_SCHEMA": schema}),
        ):
            with gunicorn("relier_platform.wsgi:application", workers=workers, host=host,
                          env=env) as server:
                status, body = fetch(server.port, path, headers)
                assert status == 200, (label, status, body[:300])
                assert b"@" in body, (label, body[:300])
                run_wrk(server.url + path, seconds=3, connections=args.connections,
                        headers=headers)
                results[label] = run_wrk(server.url + path, seconds=args.seconds,
                                         connections=args.connections, headers=headers)
            print(f"  {workers} workers, {label}: {results[label].line()}")
        ratio = results["stack"].rps / results["plain"].rps
        ratios.append(ratio)
        print(f"  {workers} workers: routing ratio {ratio:.2f} (whole stack / plain Django "
              f"throughput); {load()}")
    return ratios


def run(args: argparse.Namespace) -> int:
    from tenants.tenancy.services import association_host

    print(f"Relier request path bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"Machine: {machine()}; database {args.database!r} (throw-away)")
    began = time.perf_counter()
    setup = set_up()
    association, people = setup["association"], setup["people"]
    schema = association.schema_name
    print(f"migrate_schemas, association and team: {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    phases = populate(schema, people, args.cases, args.interactions, args.seed)
    print(f"bulk SQL fill, {args.cases:,} cases and {args.interactions:,} exchanges: "
          f"{time.perf_counter() - began:.1f} s (" + ", ".join(
              f"{name} {seconds:.1f} s" for name, seconds in phases.items()) + f"); {load()}")
    picked: dict[str, Any] = pick_cases(schema, people["listener"][0].pk)
    picked |= exchange_group(schema, people)
    print(f"case pages: {picked['heavy'][1]} ({picked['heavy'][2]:,} exchanges, the most), "
          f"{picked['typical'][1]} ({picked['typical'][2]} exchanges, the listener's median)\n")

    made = clients(association, people)
    failed, worst = in_process(args, schema, made, picked)
    if args.profile:
        profile(made["admin"])
    ratios: list[float] = []
    routing_ratios: list[float] = []
    if not args.no_load:
        statements = case_list_sql(made["admin"])
        cookie = made["admin"].cookies["sessionid"].value
        host = association_host(association.slug)
        ratios = under_gunicorn(args, host, cookie, statements,
                                cases_shown=min(50, args.cases // 2), schema=schema)
        routing_ratios = routing(args, host, cookie, schema)
    goals(args, worst, ratios, routing_ratios)
    return 1 if failed else 0


def goals(args: argparse.Namespace, worst: dict[str, float], ratios: list[float],
          routing_ratios: list[float]) -> None:
    """Issue #21's targets, for this run (one line each; the ratios per worker count)."""
    def yes(ok: bool) -> str:
        return "YES" if ok else "NO"

    workers = ", ".join(f"{n} workers" for n in args.workers)
    print(f"\nIssue #21 ({args.cases:,} cases, {args.interactions:,} exchanges; {load()}):")
    print(f"  case list p95 < 100 ms (worst list line): {yes(worst['list'] < 100)} "
          f"({worst['list']:.1f} ms)")
    print(f"  case page p95 < 150 ms (worst case page line): "
          f"{yes(worst['case page'] < 150)} ({worst['case page']:.1f} ms)")
    if ratios:
        print(f"  case list framework/bare ratio ≥ 0.6: {yes(min(ratios) >= 0.6)} ("
              + ", ".join(f"{r:.3f}" for r in ratios) + f" with {workers})")
    if routing_ratios:
        print(f"  routing ratio ≥ 0.85: {yes(min(routing_ratios) >= 0.85)} ("
              + ", ".join(f"{r:.3f}" for r in routing_ratios) + f" with {workers})")


if __name__ == "__main__":
    sys.exit(main())
