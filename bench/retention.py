"""How long the nightly retention run takes in a large association (issue #8).

    .venv/bin/python bench/retention.py [--cases 50000] [--interactions 500000]
                                        [--audit 500000]

In a throw-away database (`relier_bench_retention`; helpers of bench/provisioning.py):
one association filled with a year of invented activity (relier_platform.demo.activity), plus
`--audit`
audit entries older than a year. Then, timed:

1. the warning list of the settings page (cases archived within 30 days), today;
2. the nightly run today: nothing to archive (every case had contact this year), the old
   audit entries purged — the usual night;
3. the same run again (idempotent: nothing to do);
4. the nightly run 25 months from now: every case is archived at once (the worst night,
   e.g. the first run after importing years of history);
5. the run 12 months later again: every archived case anonymised (one transaction each).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provisioning import fresh_association, in_bench_database, load

SLUG = "conservation"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=500_000)
    parser.add_argument("--audit", type=int, default=500_000,
                        help="audit entries older than a year, to purge (500000)")
    parser.add_argument("--skip-anonymise", action="store_true",
                        help="stop after archiving (anonymising is one transaction a case)")
    parser.add_argument("--database", default="relier_bench_retention")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database at the end, to investigate (drop it by hand)")
    return parser.parse_args()


def timed(label: str, action: Any) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - start:.2f} s → {result}; {load()}")
    return result


def run(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from relier_platform.demo.activity import generate_activity
    from tracking.privacy import retention

    print(f"Relier retention bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
          f"{os.cpu_count()} CPU(s); {load()}")
    created = fresh_association(SLUG, "Conservation (banc)", password="banc-d-essai-2026")
    schema = created.association.schema_name
    start = time.perf_counter()
    counts = generate_activity(schema_name=schema, cases=args.cases,
                               interactions=args.interactions, seed=1,
                               staff_ids_by_role={"admin": [created.admin.pk]})
    print(f"generate_activity: {time.perf_counter() - start:.1f} s — "
          f"{counts['cases']:,} cases, {counts['interactions']:,} interactions")
    with schema_context(schema), connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            "INSERT INTO tracking_auditlog (at, action, object_type, object_id, detail) "
            "SELECT now() - interval '13 months' - g * interval '1 second', 'case.read', "
            "'case', g::text, '{}' FROM generate_series(1, %s) g", [args.audit])
        cursor.execute("VACUUM ANALYZE")
        print(f"{args.audit:,} old audit entries + VACUUM ANALYZE: "
              f"{time.perf_counter() - start:.1f} s\n")
        now = timezone.now()
        policy = retention.policy_get()
        timed("1. warning list (archived within 30 days)",
              lambda: len(retention.archive_upcoming(now=now, policy=policy)))
        timed("2. nightly run today (purges the old audit entries)",
              lambda: retention.retention_apply(now=now))
        timed("3. the same run again", lambda: retention.retention_apply(now=now))
        later = retention.months_after(now, 25)
        timed("4. run in 25 months: every case archived",
              lambda: retention.retention_apply(now=later))
        if not args.skip_anonymise:
            timed("5. run 12 months after that: every case anonymised",
                  lambda: retention.retention_apply(
                      now=retention.months_after(later, 12) + timedelta(days=1)))
    return 0


def main() -> int:
    args = parse_args()
    return in_bench_database(args.database, lambda: run(args), keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
