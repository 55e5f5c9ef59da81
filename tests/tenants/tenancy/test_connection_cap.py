"""A database connection that has served DATABASE_CONN_MAX_SCHEMAS schemas is replaced after
its request (tenants/tenancy/connection_cap.py): PostgreSQL caches per schema grow otherwise.

These tests run outside the per-test transaction (the cap never closes a connection inside
one), on the session's real PostgreSQL test database; they only read, apart from the
sessions of their signed-in clients, which they delete.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import task_postrun
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from tenants.tenancy.connection_cap import schemas_served
from tests.conftest import World, signed_in


@pytest.fixture
def unblocked(world: World, django_db_blocker: Any) -> Iterator[None]:
    """Database access without pytest-django's wrapping transaction, on a fresh connection."""
    with django_db_blocker.unblock():
        connection.close()
        yield
        connection.close()


@pytest.fixture
def clients(world: World, unblocked: None) -> Iterator[dict[str, Client]]:
    made = {
        "a_acme": signed_in(world.acme_members["admin"], world.acme),
        "a_beta": signed_in(world.beta_admin, world.beta),
    }
    connection.close()  # the sign-ins above used the connection: start from a new one
    yield made
    for schema, client in made.items():
        with schema_context(schema):
            SessionStore(client.session.session_key).delete()


def backend_pid() -> int | None:
    """The PostgreSQL backend of the current connection (None when closed). Read from the
    driver, not by a query, so that asking does not touch a schema."""
    raw = connection.connection
    return None if raw is None else int(raw.info.backend_pid)


def get_ok(client: Client, path: str = "/dossiers/") -> None:
    assert client.get(path).status_code == 200


@override_settings(DATABASE_CONN_MAX_SCHEMAS=3)
def test_connection_is_replaced_once_it_has_served_the_cap(clients: dict[str, Client]) -> None:
    get_ok(clients["a_acme"])
    first = backend_pid()
    assert first is not None
    # The host look-up ran in public, the page in the association's schema.
    assert schemas_served(connection) == {"public", "a_acme"}

    get_ok(clients["a_acme"])  # the same schemas again: nothing new, the connection stays
    assert backend_pid() == first

    get_ok(clients["a_beta"])  # a third schema reaches the cap: closed after the response
    assert backend_pid() is None
    assert schemas_served(connection) == set()

    get_ok(clients["a_acme"])  # the next request runs on a new PostgreSQL backend
    second = backend_pid()
    assert second is not None
    assert second != first
    assert "a_beta" not in schemas_served(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [first])
        assert cursor.fetchone()[0] == 0  # the old backend is gone, not left idle


@override_settings(DATABASE_CONN_MAX_SCHEMAS=0)
def test_no_cap_keeps_one_connection_across_schemas(clients: dict[str, Client]) -> None:
    get_ok(clients["a_acme"])
    first = backend_pid()
    for _ in range(3):
        get_ok(clients["a_beta"])
        get_ok(clients["a_acme"])
    assert backend_pid() == first
    assert {"a_acme", "a_beta"} <= schemas_served(connection)


@override_settings(DATABASE_CONN_MAX_SCHEMAS=2)
def test_never_closed_inside_a_transaction(clients: dict[str, Client]) -> None:
    with transaction.atomic():
        get_ok(clients["a_acme"])
        get_ok(clients["a_beta"])
        assert backend_pid() is not None  # over the cap, but a transaction is open
    get_ok(clients["a_acme"])  # the first request outside it closes the connection
    assert backend_pid() is None


@override_settings(DATABASE_CONN_MAX_SCHEMAS=2)
def test_celery_task_end_applies_the_cap(world: World, unblocked: None) -> None:
    from tracking.models import Case

    for schema in ("a_acme", "a_beta"):
        with schema_context(schema):
            Case.objects.count()
    assert backend_pid() is not None
    assert {"a_acme", "a_beta"} <= schemas_served(connection)
    task_postrun.send(sender=None, task_id="test", task=None, args=(), kwargs={})
    assert backend_pid() is None
