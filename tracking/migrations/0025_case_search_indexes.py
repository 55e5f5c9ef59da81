"""Trigram indexes for the case list's search (issue #21).

pg_trgm is created in public, once for the database (IF NOT EXISTS: the first schema
migrated creates it, the others find it; the replayed statements of
tenants/tenancy/replay.py do the same), never in an association's schema: an extension
belongs to one schema, and every association's search_path ends with public, where the
indexes' operator class `gin_trgm_ops` is then found. On a Citus coordinator CREATE EXTENSION
is passed on to the workers. pg_trgm is a trusted extension (PostgreSQL 13+): the database's
owner may create it without being a superuser.

pg_trgm is a contrib module: a server built without it (the embedded PostgreSQL of
`pgserver`, from PyPI, that `dev.py` starts when DATABASE_URL is unset) has no
`pg_trgm.control`. There the block creates nothing and `?q=` reads the association's cases
in a sequential scan: the same results, without the index's speed. One `DO` block (plain
SQL, so still replayed by tenants/tenancy/replay.py) decides per schema from
`pg_available_extensions` (the embedded server is for development and tests; a deployment's
PostgreSQL, Debian's or the image's, has the module)."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

INDEXES = (("case_code_trgm", "code"), ("case_town_trgm", "town"))

CREATE = "\n".join(
    f"    CREATE INDEX IF NOT EXISTS {name} ON tracking_case "
    f"USING gin ((upper(({column})::text)) public.gin_trgm_ops);"
    for name, column in INDEXES
)

# Written by hand: Django's SQL for an OpClass over an expression,
# `USING gin ((UPPER("code") gin_trgm_ops))`, is not valid PostgreSQL.
SQL = f"""DO $relier$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
{CREATE}
  END IF;
END
$relier$"""


class Migration(migrations.Migration):

    dependencies = [
        ("tracking", "0024_employment_milestones"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                SQL,
                reverse_sql=";".join(f"DROP INDEX IF EXISTS {name}" for name, _ in INDEXES),
            )],
            state_operations=[migrations.AddIndex(
                model_name="case",
                index=django.contrib.postgres.indexes.GinIndex(
                    django.contrib.postgres.indexes.OpClass(
                        django.db.models.functions.text.Upper(column), name="gin_trgm_ops"),
                    name=name),
            ) for name, column in INDEXES],
        ),
    ]
