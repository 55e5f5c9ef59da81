"""Liveness and readiness: `/readyz` answers 200 when the database, the Redis cache and
the migrations are fine, 503 naming the failed check otherwise, on every host and without
signing in, and says nothing about any association."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError

from relier_platform import health
from tests.conftest import World, host_client

pytestmark = pytest.mark.django_db

ALL_OK = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "migrations": "ok"}}


@pytest.fixture(autouse=True)
def _fresh_migrations_check() -> Iterator[None]:
    health.forget_migrations_check()
    yield
    health.forget_migrations_check()


def test_readyz_is_ok_on_the_platform_site(world: World) -> None:
    response = host_client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content) == ALL_OK


def test_readyz_is_open_to_anonymous_visitors_on_an_association_host(world: World) -> None:
    response = host_client(world.acme).get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == ALL_OK
    assert b"acme" not in response.content.lower()


def test_healthz_is_open_on_an_association_host(world: World) -> None:
    response = host_client(world.acme).get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readyz_answers_503_when_redis_is_unreachable(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A real Redis client aimed at a port nothing listens on; the site's own cache (used
    # by the host lookup) stays up.
    dead = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    monkeypatch.setattr(health, "cache", dead)
    response = host_client(world.acme).get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "checks": {"database": "ok", "cache": "error", "migrations": "ok"},
    }


class _DeadConnection:
    """Stands for a database that refuses connections."""

    def cursor(self) -> None:
        raise OperationalError("connection refused")


def test_readyz_answers_503_when_the_database_fails(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "connection", _DeadConnection())
    response = host_client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "checks": {"database": "error", "cache": "ok", "migrations": "error"},
    }


def test_readyz_answers_503_when_a_migration_is_not_applied(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    # The leaf's row: a plan only looks back from what is not applied (a squashed leaf
    # counts as applied while every migration it replaces is recorded: take those).
    migration = MigrationLoader(None).get_migration(
        *MigrationLoader(None).graph.leaf_nodes("tracking")[0])
    names = [name for _app, name in migration.replaces] or [migration.name]
    last = recorder.migration_qs.filter(app="tracking", name__in=names)
    assert last.exists()
    last.delete()  # rolled back with the test's transaction
    response = host_client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"] == {
        "database": "ok", "cache": "ok", "migrations": "error",
    }


def test_a_passed_migrations_check_is_remembered_for_a_minute(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    health.check_migrations()
    calls: list[int] = []
    monkeypatch.setattr(health, "MigrationExecutor",
                        lambda *a: calls.append(1))  # would fail if called
    assert host_client().get("/readyz").status_code == 200
    assert calls == []
