"""Routing by host at the cost of plain Django (issue #21): the association of a host is kept
a few seconds in the process (relier_platform.cache.LocalMemo, off in the other tests), the
connection is not switched again to the schema it is already on, and neither ever serves one
association's request in another's schema."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from relier_platform.cache import LocalMemo
from relier_platform.tenancy import db
from tenants.models import HOSTS, domain_cache_key
from tenants.tenancy.services import association_host
from tests.conftest import World, schema_of, signed_in

pytestmark = pytest.mark.django_db


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def test_host_read_from_the_process_copy_without_redis_or_database(world: World,
                                                                   memos_on: object) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    assert client.get("/").status_code == 200
    with schema_context("public"):
        cache.delete(domain_cache_key(association_host(world.acme.slug)))
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    assert schema_of(response) == "a_acme"
    assert not any("tenants_domain" in sql for sql in _sql(captured))
    # The same schema as the previous request: no new SET search_path.
    with CaptureQueriesContext(connection) as captured:
        assert schema_of(client.get("/")) == "a_acme"
    assert not any(sql.startswith("SET search_path") for sql in _sql(captured))


def test_a_trivial_request_costs_session_account_and_membership_only(world: World,
                                                                     memos_on: object) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    client.get("/dossiers/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/dossiers/nouveau/")
    tables = [sql.split(" FROM ")[1].split()[0] for sql in _sql(captured)[:3]]
    assert tables == ['"django_session"', '"tenants_user"', '"tenants_membership"']


def test_hosts_alternating_are_each_served_in_their_own_schema(world: World,
                                                               memos_on: object) -> None:
    acme = signed_in(world.acme_members["admin"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    for _ in range(3):
        for client, schema in ((acme, "a_acme"), (beta, "a_beta")):
            response = client.get("/dossiers/")
            assert response.status_code == 200
            assert schema_of(response) == schema
            assert db().schema_name == schema
    # A session of one host is no key to the other, copy or not.
    acme.defaults["HTTP_HOST"] = association_host(world.beta.slug)
    assert acme.get("/dossiers/").status_code == 302


def test_deactivating_an_association_forgets_the_copy_at_once(world: World,
                                                              memos_on: object) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.get("/dossiers/").status_code == 200
    assert HOSTS.get(association_host(world.acme.slug)) is not None
    world.acme.is_active = False
    world.acme.save()
    try:
        assert HOSTS.get(association_host(world.acme.slug)) is None
        response = client.get("/dossiers/")
        assert response.status_code != 200
    finally:
        world.acme.is_active = True
        world.acme.save()


def test_the_copy_is_not_shared_between_requests(world: World, memos_on: object) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    first: Any = client.get("/dossiers/").wsgi_request.tenant  # type: ignore[attr-defined]
    first.name = "Changé par une vue"
    second: Any = client.get("/dossiers/").wsgi_request.tenant  # type: ignore[attr-defined]
    assert second is not first
    assert second.name == world.acme.name


def test_local_memo_expires_and_is_off_at_zero(settings: pytest.FixtureRequest) -> None:
    memo = LocalMemo("test")
    settings.RELIER_LOCAL_CACHE_SECONDS = 0  # type: ignore[attr-defined]
    memo.set("k", 1)
    assert memo.get("k") is None
    settings.RELIER_LOCAL_CACHE_SECONDS = 0.05  # type: ignore[attr-defined]
    memo.set("k", 1)
    assert memo.get("k") == 1
    time.sleep(0.1)
    assert memo.get("k") is None
    memo.set("k", 2)
    memo.forget("k")
    assert memo.get("k") is None
