"""Isolation of associations on the cluster: A and B live on two different workers, and
still a member of A reaches nothing of B by URL, a query under A's search path never
meets B's cases (it is routed to A's worker only), and cache keys carry the schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from tests.citus.helpers import member, on_distinct_workers, scalar, worker_of
from tests.conftest import host_client, signed_in
from tests.tracking.factories import make_case
from tests.tracking.test_isolation import ROUTES, _concrete
from tracking.models import Case

pytestmark = pytest.mark.citus

SECRET_B = "Canari-Bêta-Citus"


@pytest.fixture(scope="module")
def pair(cluster_db_module: None) -> tuple[Any, Any, Case]:
    """A and B on two workers. A has one case (id 1); B has three, the last one (id 3,
    unknown in A) with a name and a town secret to A."""
    a, b = on_distinct_workers("iso", 2)
    assert worker_of(a.association) != worker_of(b.association)
    make_case(a.association, a.admin, first_name="Alice-A")
    for i in range(2):
        make_case(b.association, b.admin, first_name=f"Bruno-{i}")
    case = make_case(b.association, b.admin, first_name=SECRET_B, town="Ville-Canari-B")
    assert case.pk == 3
    return a, b, case


def test_every_page_of_b_refuses_members_of_a(cluster_db: None,
                                              pair: tuple[Any, Any, Case]) -> None:
    a, b, case = pair
    # The admin and a psychologist of A (both need a second factor: signed in with their
    # password and a TOTP code) and a coordinator try every tracking URL on B's host.
    people = {a.admin: ("get", "post"),
              member(a.association, "psychologist"): ("get",),
              member(a.association, "coordinator"): ("post",)}
    for person, methods in people.items():
        client = signed_in(person, b.association)
        assert client.get("/").status_code == 403
        for route in ROUTES:
            for method in methods:
                response = getattr(client, method)(_concrete(route, case.pk))
                assert response.status_code == 403, (person.email, method, route)
                assert SECRET_B.encode() not in response.content, route
                assert b"Canari-B" not in response.content, route
    # B's admin, on the same host, does see it (the refusal above is not a broken page).
    own = signed_in(b.admin, b.association).get(f"/dossiers/{case.pk}/")
    assert own.status_code == 200
    assert SECRET_B in own.content.decode()


def test_a_session_of_a_is_worthless_on_b_and_b_ids_are_unknown_on_a(
        cluster_db: None, pair: tuple[Any, Any, Case]) -> None:
    a, b, case = pair
    client = signed_in(a.admin, a.association)
    # On A's own host, B's case id finds nothing: A's schema has no case 3.
    for path in (f"/dossiers/{case.pk}/", f"/dossiers/{case.pk}/modifier/",
                 f"/dossiers/{case.pk}/rgpd/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert SECRET_B.encode() not in response.content
    listing = client.get("/dossiers/", {"status": "all"})
    assert listing.status_code == 200
    assert SECRET_B not in listing.content.decode()
    # A's session cookie replayed on B's host: no such session there (sessions live in
    # each association's schema, on its own worker).
    other = host_client(b.association)
    other.cookies["sessionid"] = client.cookies["sessionid"].value
    response = other.get(f"/dossiers/{case.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_query_under_a_search_path_goes_to_a_worker_only(
        cluster_db: None, pair: tuple[Any, Any, Case]) -> None:
    a, b, case = pair
    a_port = worker_of(a.association).rsplit(":", 1)[1]
    b_port = worker_of(b.association).rsplit(":", 1)[1]
    with schema_context(a.association.schema_name):
        assert [c.first_name for c in Case.objects.all()] == ["Alice-A"]
        assert not Case.objects.filter(pk=case.pk, first_name=SECRET_B).exists()
        assert scalar("SELECT count(*) FROM tracking_case") == 1
        assert scalar("SELECT count(*) FROM tracking_case WHERE town = %s",
                      ["Ville-Canari-B"]) == 0
        # Citus routes the unqualified query to A's worker, never to B's.
        plan = _explain("SELECT * FROM tracking_case")
        assert f"port={a_port}" in plan
        assert f"port={b_port}" not in plan
    with schema_context(b.association.schema_name):
        assert list(Case.objects.order_by("pk").values_list("first_name", flat=True)) == [
            "Bruno-0", "Bruno-1", SECRET_B]
        assert f"port={b_port}" in _explain("SELECT * FROM tracking_case")
    # B's rows are really on its worker, A's on the other one.
    shards = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name::text, nodeport FROM citus_shards WHERE table_name IN "
            "(%s::regclass, %s::regclass)",
            [f"{a.association.schema_name}.tracking_case",
             f"{b.association.schema_name}.tracking_case"])
        shards = {name.split(".")[0]: str(port) for name, port in cursor.fetchall()}
    assert shards == {a.association.schema_name: a_port, b.association.schema_name: b_port}


def _redis_keys(pattern: str) -> set[str]:
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    return {k.decode() for k in client.scan_iter(match=pattern, count=1000)}


def test_cache_keys_carry_the_schema(cluster_db: None, pair: tuple[Any, Any, Case]) -> None:
    a, b, _case = pair
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    with schema_context(a.association.schema_name):
        cache.set("citus-iso", "valeur-A")
        key = cache.make_key("citus-iso")
    assert key == f"{a.association.schema_name}:{prefix}:1:citus-iso"
    with schema_context(b.association.schema_name):
        assert cache.get("citus-iso") is None
        cache.set("citus-iso", "valeur-B")
    with schema_context(a.association.schema_name):
        assert cache.get("citus-iso") == "valeur-A"
    assert cache.get("citus-iso") is None  # public has its own key space too

    # A page of A's host caches the host look-up in public's keys and A's billing state
    # in A's keys; B's key space gets nothing from it.
    assert signed_in(a.admin, a.association).get("/").status_code == 200
    host = a.association.domains.get().domain
    assert _redis_keys(f"public:{prefix}:1:domain:{host}") == {
        f"public:{prefix}:1:domain:{host}"}
    billing_key = f"{a.association.schema_name}:{prefix}:1:billing:state:{a.association.pk}"
    assert billing_key in _redis_keys(f"{a.association.schema_name}:{prefix}:*")
    assert _redis_keys(f"{b.association.schema_name}:{prefix}:*billing*") == set()
