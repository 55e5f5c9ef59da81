"""How long closing a large association and rotating its keys take.

    .venv/bin/python bench/offboarding.py [--cases 10000] [--interactions 100000]

In a throw-away database (`relier_bench_offboarding`, the helpers of bench/provisioning.py):
one association filled by relier_platform.demo.activity.generate_activity (as bench/case_list.py),
then
timed: the closure export (ZIP of CSVs, with and without the pg_dump), `rotate_field_keys`
to a new key (every encrypted value rewritten) and again (nothing to do), and the
operator's confirmation (DROP SCHEMA). See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_list import load, set_up
from provisioning import in_bench_database


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="relier_bench_offboarding")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def timed(label: str, body: object) -> object:
    start = time.perf_counter()
    result = body()  # type: ignore[operator]
    print(f"{label}: {time.perf_counter() - start:.1f} s; {load()}")
    return result


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.test import override_settings
    from django.utils import timezone

    from tenants.keys.fields import forget_field_keys
    from tenants.keys.rotation import rotate_schema
    from tenants.models import Association, User
    from tenants.offboarding import services as offboarding

    state = set_up(args)
    association, admin = state["association"], state["people"]["admin"][0]
    schema = association.schema_name
    with TemporaryDirectory() as folder, override_settings(OFFBOARDING_EXPORT_DIR=folder):
        offboarding.association_closure_request(actor=admin, association=association,
                                                slug_typed=association.slug)
        for with_dump in (False, True):
            Association.objects.filter(pk=association.pk).update(export_file="")
            made = timed(f"export {'ZIP + pg_dump' if with_dump else 'ZIP'}",
                         lambda d=with_dump: offboarding.association_export_build(
                             association_id=association.pk, with_dump=d))
            path = Path(folder) / made.export_file  # type: ignore[attr-defined]
            print(f"  ZIP {path.stat().st_size / 1e6:.1f} MB")
        new_key = settings.SECRET_KEY + "-rotated"
        with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
            forget_field_keys()
            result = timed("rotate_field_keys (every value rewritten)",
                           lambda: rotate_schema(schema))
            print(f"  {result.rewritten:,} values rewritten")  # type: ignore[attr-defined]
            result = timed("rotate_field_keys again (nothing to do)",
                           lambda: rotate_schema(schema))
            print(f"  {result.rewritten:,} values rewritten, "  # type: ignore[attr-defined]
                  f"{result.current:,} already current")  # type: ignore[attr-defined]
        forget_field_keys()
        operator = User.objects.create_superuser("ops@bench.example")
        timed("confirmation (DROP SCHEMA, tombstone)",
              lambda: offboarding.association_closure_confirm(
                  actor=operator, association=association, slug_typed=association.slug,
                  now=timezone.now() + timedelta(days=31)))
    return 0


def main() -> int:
    args = parse_args()
    return in_bench_database(args.database, lambda: run(args), keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
