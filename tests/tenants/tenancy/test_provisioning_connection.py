"""Provisioning runs on a new database backend when it can (tenants.tenancy.provisioning.
connection_fresh): a backend that has touched many schemas makes the clone's DDL slow.
Not a `django_db` test: the point is what happens outside a transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tenants.tenancy.provisioning import connection_fresh


def test_provisioning_starts_on_a_new_backend_outside_a_transaction(
    django_db_setup: None, django_db_blocker: Any,
) -> None:
    """Outside a transaction the connection is replaced (a new backend, empty caches);
    inside one it is kept, since the transaction lives on it."""
    from django.db import transaction

    def backend() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return int(cursor.fetchone()[0])

    with django_db_blocker.unblock():
        before = backend()
        assert connection_fresh() is True
        assert backend() != before
        with transaction.atomic():
            inside = backend()
            assert connection_fresh() is False
            assert backend() == inside
