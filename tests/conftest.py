"""Shared fixtures: one migrated test database, built once per session, holding two
associations (acme, beta) and their people; every test runs in a transaction that is
rolled back (DDL included: PostgreSQL's DDL is transactional)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from relier_platform.tenancy import db
from tenants.models import Association, Role, User
from tenants.tenancy.services import (
    association_create,
    association_host,
    membership_create,
    public_tenant_ensure,
)

PASSWORD = "mot-de-passe-de-test-42"
# The TOTP secret of the authenticators tests give people (base32, 20 bytes).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass
class World:
    acme: Association
    beta: Association
    # role -> member of acme with that role
    acme_members: dict[str, User]
    beta_admin: User
    outsider: User  # an account with no membership anywhere


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest, django_test_environment: None, django_db_blocker: Any,
) -> Iterator[None]:
    """Always build the test database, even when only unmarked tests (browser, worker) run:
    pytest-django would otherwise leave them on the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose, interactive=False,
            aliases={"default"},  # type: ignore[arg-type]
        )
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session")
def world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[World]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        public_tenant_ensure()
        acme = association_create(
            actor=None, slug="acme", name="Acme Solidarité", admin_email="admin@acme.example",
            admin_password=PASSWORD,
        )
        beta = association_create(
            actor=None, slug="beta", name="Bêta Écoute", admin_email="admin@beta.example",
            admin_password=PASSWORD,
        )
        members = {Role.ADMIN.value: acme.admin}
        for role in Role.values:
            if role == Role.ADMIN:
                continue
            user = User.objects.create_user(f"{role}@acme.example", password=PASSWORD)
            membership_create(actor=None, association=acme.association, user=user, role=role)
            members[role] = user
        outsider = User.objects.create_user("personne@ailleurs.example", password=PASSWORD)
        yield World(
            acme=acme.association, beta=beta.association, acme_members=members,
            beta_admin=beta.admin, outsider=outsider,
        )


@pytest.fixture(scope="session")
def worker(world: World) -> Iterator[None]:
    """One real Celery worker for the whole session (tests/worker.py)."""
    from tests.worker import run_worker

    yield from run_worker()


@dataclass(frozen=True)
class SentTask:
    name: str
    args: tuple[Any, ...]
    schema: str | None


@pytest.fixture
def tasks_sent(monkeypatch: pytest.MonkeyPatch) -> list[SentTask]:
    """What the outbox (tenants/outbox/services.py) hands to the broker, recorded instead of sent,
    for tests with no worker."""
    return record_sends(monkeypatch)


def record_sends(monkeypatch: pytest.MonkeyPatch) -> list[SentTask]:
    from celery.app.task import Task

    sent: list[SentTask] = []

    def record(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        headers = options.get("headers") or {}
        sent.append(SentTask(self.name, tuple(args or ()), headers.get("_schema_name")))

    monkeypatch.setattr(Task, "apply_async", record)
    return sent


@pytest.fixture(autouse=True)
def _clean_cache_and_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts in the public schema with an empty cache (its own Redis db)."""
    db().set_schema_to_public()
    clear_cache()
    yield
    db().set_schema_to_public()


def clear_cache() -> None:
    """Delete this run's cache keys only (other runs share the Redis database)."""
    from django.conf import settings

    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"*:{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def host_client(association: Association | None = None, **kwargs: object) -> Client:
    """A test client speaking to one host (the platform site when no association)."""
    from django.conf import settings

    host = association_host(association.slug) if association else settings.BASE_DOMAIN
    return Client(HTTP_HOST=host, **kwargs)  # type: ignore[arg-type]


def totp_give(user: User, secret: str = TOTP_SECRET) -> Authenticator:
    """The person's TOTP authenticator, made with allauth's own API if they have none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, secret).instance


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` now (or at `at`)."""
    return format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))


def signed_in(user: User, association: Association | None = None, *,
              second_factor: bool = True) -> Client:
    """A client signed in on one host: its session is stored in that host's schema.

    As if the person had just signed in with their password and a TOTP code: they get an
    authenticator (tenants/accounts/mfa.py requires one of admins and psychologists) and the
    session records both proofs, as allauth's sign-in does (a sensitive action right after
    it needs no re-authentication). `second_factor=False`: a password-only sign-in of
    someone without an authenticator."""
    client = host_client(association)
    if second_factor:
        totp_give(user)
    with schema_context(association.schema_name if association else "public"):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        now = time.time()
        proofs = [{"method": "password", "at": now, "email": user.email}]
        if second_factor:
            proofs.append({"method": "mfa", "at": now, "type": "totp"})
        session[AUTHENTICATION_METHODS_SESSION_KEY] = proofs
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()
    return client


def schema_of(response: Any) -> str:
    """The schema the request of a test-client response was served in."""
    return str(response.wsgi_request.tenant.schema_name)


@contextmanager
def committed_data(django_db_blocker: Any, clean: Callable[[], None]) -> Iterator[None]:
    """Database access outside the test's transaction (what a worker, a second connection
    or a real commit must see): `clean` runs before and after, so nothing made here
    outlives the test, whatever it leaves behind."""
    with django_db_blocker.unblock():
        clean()
        try:
            yield
        finally:
            connection.close()
            clean()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The `citus` tests need a Citus cluster: `python3 dev.py test -m citus` starts one
    and sets RELIER_CITUS_TESTS; without it they are skipped, saying so. On the cluster,
    the other tests are skipped (they build a test database, which Citus does not
    propagate to its workers)."""
    import os

    on_cluster = os.environ.get("RELIER_CITUS_TESTS") == "1"
    skip_citus = pytest.mark.skip(
        reason="needs a Citus cluster: run `python3 dev.py test -m citus`")
    skip_plain = pytest.mark.skip(reason="runs on a plain PostgreSQL (not on the Citus run)")
    for item in items:
        is_citus = item.get_closest_marker("citus") is not None
        if is_citus and not on_cluster:
            item.add_marker(skip_citus)
        elif on_cluster and not is_citus:
            item.add_marker(skip_plain)


@pytest.fixture
def english_catalogue() -> Iterator[None]:
    """Build the .mo files (git-ignored) and load them anew, as tests/platform/test_i18n
    does: for tests that read pages or API answers in English."""
    from pathlib import Path

    from django.core.management import call_command
    from django.utils.translation.reloader import translation_file_changed

    call_command("compile_translations", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))
    yield
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def memos_on(settings: Any) -> Any:
    """The process's short-lived copies (relier_platform.cache.LocalMemo) on, as in production;
    the other tests run with them off (RELIER_LOCAL_CACHE_SECONDS = 0) and empty."""
    from billing.selectors import STATES
    from tenants.handovers.selectors import COUNTS as HANDOVER_COUNTS
    from tenants.models import HOSTS
    from tracking.todo.selectors import COUNTS as TODO_COUNTS

    settings.RELIER_LOCAL_CACHE_SECONDS = 30
    memos = (TODO_COUNTS, HANDOVER_COUNTS, HOSTS, STATES)
    for memo in memos:
        memo.clear()
    yield
    for memo in memos:
        memo.clear()
