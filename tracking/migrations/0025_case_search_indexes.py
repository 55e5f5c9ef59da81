"""Trigram indexes for the case list's search (issue #21).

pg_trgm is created in public, once for the database (IF NOT EXISTS: the first schema
migrated creates it, the others find it; the replayed statements of
tenants/tenancy/replay.py do the same), never in an association's schema: an extension
belongs to one schema, and every association's search_path ends with public, where the
indexes' operator class `gin_trgm_ops` is then found. On a Citus coordinator CREATE EXTENSION
is passed on to the workers. pg_trgm is a trusted extension (PostgreSQL 13+): the database's
owner may create it without being a superuser."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("tracking", "0024_employment_milestones"),
    ]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
                          reverse_sql=migrations.RunSQL.noop),
        # Written by hand: Django's SQL for an OpClass over an expression,
        # `USING gin ((UPPER("code") gin_trgm_ops))`, is not valid PostgreSQL.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                f"CREATE INDEX {name} ON tracking_case "
                f"USING gin ((upper(({column})::text)) public.gin_trgm_ops)",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            ) for name, column in (("case_code_trgm", "code"), ("case_town_trgm", "town"))],
            state_operations=[migrations.AddIndex(
                model_name="case",
                index=django.contrib.postgres.indexes.GinIndex(
                    django.contrib.postgres.indexes.OpClass(
                        django.db.models.functions.text.Upper(column), name="gin_trgm_ops"),
                    name=name),
            ) for name, column in (("case_code_trgm", "code"), ("case_town_trgm", "town"))],
        ),
    ]
