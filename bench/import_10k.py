"""How long importing 10,000 cases takes: upload (reading the file), dry run, commit, and
the dry run of the same file again (every row unchanged).

    .venv/bin/python bench/import_10k.py [--rows 10000] [--format csv|xlsx]

Runs in a throw-away database (`relier_bench_import` by default) on the same PostgreSQL
server as the development database, which is never touched (the helpers of
bench/provisioning.py). The file is invented (seeded): first name, birth year, gender,
town, département, detection source, situation types, opening date, stage, referring
partner (20 schools, created by the import) and an external id per row. The goal: well
under a minute for the dry run plus the commit.

Recorded 2026-11-24 (PostgreSQL 15, shared machine; the XLSX run overlapped a full test
run, so it is pessimistic):

    10,000 rows   upload   dry run   commit   dry run again   dry run + commit
    CSV (1.2 MB)  1.3 s    4.4 s     14.2 s   5.7 s           18.5 s
    XLSX (0.5 MB) 9.5 s    11.7 s    25.7 s   6.4 s           37.4 s
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provisioning import in_bench_database, quiet

SLUG = "import-banc"
GOAL_SECONDS = 60.0
T = TypeVar("T")
HEADERS = ["ID de l'élément", "Prénom", "Année de naissance", "Genre", "Ville",
           "Département", "Source", "Type de situation", "Date de signalement", "Étape",
           "Établissement"]
NAMES = ["Lina", "Noé", "Sacha", "Maëlys", "Yanis", "Inès", "Adam", "Chloé", "Rayan",
         "Jade", "Lucas", "Emma", "Nour", "Hugo", "Léa", "Ibrahim"]
TOWNS = [("Montreuil", "93"), ("Créteil", "94"), ("Saint-Denis", "974"), ("Paris", "75"),
         ("Bobigny", "93"), ("Vitry-sur-Seine", "94"), ("Le Port", "974")]
SOURCES = ["Établissement scolaire", "Parents, famille", "Partenaire", "Campagne en ligne",
           "Le jeune lui-même"]
SITUATIONS = ["Harcèlement", "Cyberviolence", "Discrimination", "Intimidation"]
STAGES = ["Signalement reçu", "Premier contact", "Évaluation", "Accompagnement", "Bilan"]


def rows(count: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    today = date.today()  # noqa: DTZ011
    result = []
    for n in range(count):
        town, department = rng.choice(TOWNS)
        result.append([
            f"B-{n + 1:06d}", rng.choice(NAMES), today.year - rng.randint(8, 20),
            rng.choice(["Fille", "Garçon", ""]), town, department, rng.choice(SOURCES),
            ", ".join(rng.sample(SITUATIONS, rng.randint(1, 2))),
            (today - timedelta(days=rng.randint(1, 700))).strftime("%d/%m/%Y"),
            rng.choice(STAGES), f"Collège fictif n° {rng.randint(1, 20)}",
        ])
    return result


def file_content(data: list[list[object]], file_format: str) -> bytes:
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(HEADERS)
        for row in data:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(data)
    return text.getvalue().encode("cp1252")  # as French Excel writes it


def timed(label: str, call: Callable[[], T], times: dict[str, float]) -> T:
    start = time.perf_counter()
    result = call()
    times[label] = time.perf_counter() - start
    return result


def run(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from onboarding.importing import services
    from tenants.tenancy.services import association_create, public_tenant_ensure
    from tracking.models import Case
    from tracking.permissions import Actor

    print(f"Relier import bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}; {args.rows:,} rows, {args.format}")
    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()
        created = association_create(actor=None, slug=SLUG, name="Banc d'import",
                                     admin_email=f"admin@{SLUG}.example")
    admin = Actor(user=created.admin, role="admin")
    content = file_content(rows(args.rows, args.seed), args.format)
    name = f"banc.{args.format}"
    print(f"file: {len(content) / 1024 / 1024:.1f} MB")
    times: dict[str, float] = {}
    with schema_context(created.association.schema_name):
        upload = timed("upload (read, map)", lambda: services.import_upload(
            actor=admin, file_name=name, content=content), times)
        checked = timed("dry run", lambda: services.import_validate(run_id=upload.pk), times)
        assert checked.error_count == 0, checked.errors[:5]
        done = timed("commit", lambda: services.import_commit(actor=admin, run_id=upload.pk),
                     times)
        assert (done.status, done.to_create) == ("committed", args.rows), done.failure
        assert Case.objects.count() == args.rows
        again = services.import_upload(actor=admin, file_name=name, content=content)
        same = timed("dry run again (unchanged)",
                     lambda: services.import_validate(run_id=again.pk), times)
        assert same.unchanged == args.rows
    for label, seconds in times.items():
        print(f"  {label:<28} {seconds:6.2f} s")
    total = times["dry run"] + times["commit"]
    verdict = "OK" if total < GOAL_SECONDS else "TOO SLOW"
    print(f"dry run + commit: {total:.1f} s (goal: under {GOAL_SECONDS:.0f} s) — {verdict}")
    return 0 if total < GOAL_SECONDS else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="relier_bench_import")
    args = parser.parse_args()
    return in_bench_database(args.database, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
