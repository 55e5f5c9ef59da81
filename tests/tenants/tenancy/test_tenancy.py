"""How a request finds its association, and what the public schema holds."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Domain
from tests.conftest import World, host_client, schema_of, signed_in

pytestmark = pytest.mark.django_db


def test_public_host_serves_platform_site(world: World) -> None:
    response = host_client().get("/")
    assert response.status_code == 200
    assert "Relier" in response.content.decode()
    assert schema_of(response) == "public"


def test_unknown_host_gets_clear_404_not_public_site(world: World) -> None:
    response = host_client().get("/", HTTP_HOST=f"inconnue.{settings.BASE_DOMAIN}")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Adresse inconnue" in body
    assert "Se connecter" not in body


def test_association_host_resolves_its_schema(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get("/")
    assert response.status_code == 200
    assert schema_of(response) == "a_acme"
    assert "Acme Solidarité" in response.content.decode()


def test_domain_lookup_is_cached(world: World) -> None:
    client = host_client(world.acme)
    client.get("/accounts/login/")  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "tenants_domain" in q["sql"]]
    assert len(queries.captured_queries) == 0


def test_signed_in_request_costs_three_queries(world: World) -> None:
    """Session (tenant schema), user, memberships (also the switch menu), then the home
    page's own list of the person's cases: nothing else."""
    client = signed_in(world.acme_members["admin"], world.acme)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    selects = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    assert len(selects) == 4, "\n".join(s[:90] for s in selects)
    assert "django_session" in selects[0]
    assert "tenants_user" in selects[1]
    assert "tenants_membership" in selects[2]
    assert "tracking_case" in selects[3]
    assert len(queries.captured_queries) - len(selects) <= 1  # search_path set once


def test_domain_change_invalidates_cache(world: World) -> None:
    client = host_client()
    new_host = f"acme-bis.{settings.BASE_DOMAIN}"
    assert client.get("/accounts/login/", HTTP_HOST=new_host).status_code == 404
    Domain.objects.create(domain=new_host, tenant=world.acme, is_primary=False)
    response = client.get("/accounts/login/", HTTP_HOST=new_host)
    assert response.status_code == 200
    assert schema_of(response) == "a_acme"


def test_cache_keys_are_prefixed_by_schema(world: World) -> None:
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    with schema_context("a_acme"):
        cache.set("k", "acme-value")
        key = cache.make_key("k")
    with schema_context("a_beta"):
        assert cache.get("k") is None
        cache.set("k", "beta-value")
    with schema_context("a_acme"):
        assert cache.get("k") == "acme-value"
    assert key.startswith("a_acme:")


def test_public_schema_holds_no_tenant_table(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        public_tables = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'a_acme'"
        )
        tenant_tables = {row[0] for row in cursor.fetchall()}
    from django.apps import apps

    tenant_only = {
        model._meta.db_table
        for label in ("tracking",)
        for model in apps.get_app_config(label).get_models()
    }
    assert not (tenant_only & public_tables)
    assert tenant_only <= tenant_tables
    assert "tenants_membership" in public_tables
    assert "tenants_membership" not in tenant_tables
