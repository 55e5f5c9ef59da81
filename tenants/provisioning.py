"""Schema-level provisioning: the template schema and cloning it. Schema: public.

New associations are not built by running every migration: a template schema
(settings.TENANT_BASE_SCHEMA) is kept migrated by `migrate_schemas` (see
tenants/migration.py) and each new schema is a copy of it, made in the caller's
transaction so that a failure later in provisioning leaves no schema behind.
"""

from __future__ import annotations

from django.conf import settings
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from relier_platform.tenancy import db


def template_schema_name() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


def clone_template_schema(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template (tables, sequences, data)."""
    CloneSchema().clone_schema(template_schema_name(), schema_name, "DATA", set_connection=True)
    db().set_schema_to_public()


def ensure_template_schema() -> bool:
    """Create the empty template schema if missing; True when it was created."""
    name = template_schema_name()
    if schema_exists(name):
        return False
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    return True
