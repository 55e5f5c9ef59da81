"""No database key from an association's schema to the public schema: each one would put
two triggers per association on the shared table (thousands at scale, slowing every change
of an account and every new schema), and Citus' schema-based sharding forbids keys from a
distributed schema to a table that is not a reference table."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("schema", ["relier_template", "a_acme"])
def test_no_foreign_key_leaves_an_association_schema(world: World, schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT src.relname, con.conname, dst_ns.nspname, dst.relname
               FROM pg_constraint con
               JOIN pg_class src ON src.oid = con.conrelid
               JOIN pg_namespace src_ns ON src_ns.oid = src.relnamespace
               JOIN pg_class dst ON dst.oid = con.confrelid
               JOIN pg_namespace dst_ns ON dst_ns.oid = dst.relnamespace
               WHERE con.contype = 'f' AND src_ns.nspname = %s""", [schema])
        keys = cursor.fetchall()
    assert keys, "the schema's own keys are still there"
    assert [k for k in keys if k[2] != schema] == []


def test_the_users_table_carries_no_trigger_per_association(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.tenants_user'"
                       "::regclass AND tgname LIKE 'RI_ConstraintTrigger%%'")
        triggers = cursor.fetchone()[0]
    # Only the public schema's own keys to users (memberships, audit, networks, billing…).
    assert triggers < 60
