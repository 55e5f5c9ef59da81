"""Helpers of the Citus tests: associations placed on the cluster's workers, their people,
and reads of what a worker really holds."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tenants.models import Association, User
from tenants.tenancy import citus
from tenants.tenancy.services import membership_create
from tests.citus.conftest import PASSWORD, new_association


def worker_of(association: Association) -> str:
    """The worker ("host:port") holding the association's schema."""
    return citus.schema_nodes()[association.schema_name]


def on_distinct_workers(label: str, count: int, *, tries: int = 6) -> list[Any]:
    """`count` new associations (the provisioned results: `.association`, `.admin`), each
    on a worker none of the others is on; new schemas are spread over the workers, so a
    few tries suffice. `count` must not exceed the number of workers."""
    made: list[Any] = []
    for _ in range(count + tries):
        created = new_association(label)
        if worker_of(created.association) not in {worker_of(m.association) for m in made}:
            made.append(created)
        if len(made) == count:
            return made
    raise AssertionError(f"{count} associations on distinct workers not found")


def member(association: Association, role: str, label: str = "") -> User:
    """A new account with an active membership of `role` in the association."""
    email = f"{role}{label}@{association.slug}.example"
    user = User.objects.create_user(email, password=PASSWORD)
    membership_create(actor=None, association=association, user=user, role=role)
    return user


def scalar(sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return None if row is None else row[0]
