"""Provisioning on Citus: each association is a distributed schema placed whole on one
worker, the template a plain schema of the coordinator, `tenants_user` a reference table."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.tenancy import citus
from tenants.tenancy.provisioning import template_schema_name
from tests.citus.conftest import new_association

pytestmark = pytest.mark.citus


def placements(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT sh.nodename || ':' || sh.nodeport FROM citus_shards sh
               WHERE sh.table_name::text LIKE %s AND sh.citus_table_type = 'schema'""",
            [f"{schema}.%"],
        )
        return {row[0] for row in cursor.fetchall()}


def test_an_association_is_a_distributed_schema_on_one_worker(cluster_db: None) -> None:
    created = new_association("prov")
    schema = created.association.schema_name
    assert citus.active()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
        (tables,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM citus_shards WHERE table_name::text LIKE %s",
                       [f"{schema}.%"])
        (shards,) = cursor.fetchone()
    assert tables > 30
    assert shards == tables  # every table of the schema is a single-shard table
    assert len(placements(schema)) == 1  # ... and they are all on the same worker
    assert schema in citus.schema_nodes()


def test_the_template_stays_on_the_coordinator(cluster_db: None) -> None:
    assert template_schema_name() not in citus.schema_nodes()
    assert placements(template_schema_name()) == set()


def test_users_are_a_reference_table(cluster_db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT citus_table_type FROM citus_tables "
                       "WHERE table_name = 'public.tenants_user'::regclass")
        assert cursor.fetchone() == ("reference",)


def test_new_associations_spread_over_the_workers(cluster_db: None) -> None:
    for _ in range(4):
        new_association("spread")
    counts = [node.schemas for node in citus.nodes()]
    assert len(counts) == 2
    assert min(counts) >= 1
    assert max(counts) - min(counts) <= 2


def test_provisioning_claims_a_spare_distributed_schema(cluster_db: None) -> None:
    from tenants.tenancy import provisioning as spares

    assert spares.spares_target() == 3  # on by default on a cluster
    spares.spares_fill()
    ready = spares.spare_names()
    assert len(ready) == 3
    assert all(name in citus.schema_nodes() for name in ready)  # distributed already
    created = new_association("spare")
    schema = created.association.schema_name
    assert len(set(ready) - set(spares.spare_names())) == 1  # one was renamed into it
    assert schema in citus.schema_nodes()
    assert len(placements(schema)) == 1
    assert spares.applied(schema) == spares.applied(template_schema_name())
