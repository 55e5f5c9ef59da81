"""The host → association cache (tenants.tenancy.middleware) against a workspace being created:
requests that arrive while the provisioning transaction is still open answer "unknown
address", and the host answers the association as soon as that transaction commits.

Real concurrency: the provisioning runs in a thread of its own (its own database
connection), held inside its transaction, while requests are served on other threads. The
rows must be committed, so these tests use addresses of their own, removed afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from onboarding.models import SignUp
from onboarding.services import provisioning
from onboarding.services.provisioning import signup_provision
from onboarding.services.signup import signup_create
from relier_platform.tenancy import db
from tenants.models import Association, User, domain_cache_key
from tenants.tenancy import services as tenant_services
from tenants.tenancy.middleware import DOMAIN_MISS_TIMEOUT
from tenants.tenancy.services import association_create, association_host
from tests.conftest import World, committed_data, schema_of
from tests.onboarding.helpers import data

SIGNUP_SLUG, OPERATOR_SLUG = "cache-inscription", "cache-operateur"
SIGNUP_EMAIL, OPERATOR_EMAIL = "direction@cache-inscription.example", "admin@cache-op.example"
REQUESTS = 4
WAIT = 60


def _drop(slug: str) -> None:
    """The association of `slug` and everything pointing at it, its schema, its sign-up."""
    db().set_schema_to_public()
    SignUp.objects.filter(slug=slug).delete()
    association = Association.objects.filter(slug=slug).first()
    if association is not None:
        for relation in Association._meta.get_fields(include_hidden=True):
            if relation.auto_created and not relation.concrete and relation.is_relation:
                related: Any = relation.related_model
                related._base_manager.filter(**{relation.field.name: association}).delete()
        association.delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "a_{slug.replace("-", "_")}" CASCADE')


def _clean() -> None:
    _drop(SIGNUP_SLUG)
    _drop(OPERATOR_SLUG)
    with schema_context("a_acme"):  # deleting an account looks into tenant tables too
        User.objects.filter(email__in=[SIGNUP_EMAIL, OPERATOR_EMAIL]).delete()


@pytest.fixture
def committed(world: World, django_db_blocker: Any) -> Iterator[None]:
    with committed_data(django_db_blocker, _clean):
        yield


class Held:
    """Runs `work` on a thread of its own, stopped inside its transaction at the call of
    `module.name` until released."""

    def __init__(self, module: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        original = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            assert connection.in_atomic_block
            self.inside.set()
            assert self.release.wait(WAIT)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    def start(self, work: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                work()
            except BaseException as error:
                self.error = error
            finally:
                connection.close()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.inside.wait(WAIT), "the provisioning never reached its transaction"

    def commit(self) -> None:
        self.release.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


@pytest.fixture
def hold(committed: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Held]]:
    """Makes Held runs; a test that fails midway still lets its run end (and roll back)
    before the clean-up."""
    made: list[Held] = []

    def make(module: Any, name: str) -> Held:
        made.append(Held(module, name, monkeypatch))
        return made[-1]

    yield make
    for held in made:
        held.release.set()
        if hasattr(held, "thread"):
            held.thread.join(WAIT)


def _statuses(host: str, n: int = REQUESTS) -> list[tuple[int, str | None]]:
    """`n` requests at once for `host`, each on its own thread and connection."""

    def one(_i: int) -> tuple[int, str | None]:
        try:
            response = Client(HTTP_HOST=host).get("/accounts/login/")
            tenant = getattr(response.wsgi_request, "tenant", None)
            return response.status_code, schema_of(response) if tenant else None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _cached(host: str) -> Any:
    with schema_context("public"):
        return cache.get(domain_cache_key(host))


def _ttl(host: str) -> int:
    with schema_context("public"):
        key = cache.make_key(domain_cache_key(host))
    return int(cache._cache.get_client().ttl(key))  # type: ignore[attr-defined]


def test_requests_during_a_sign_up_s_provisioning_do_not_hide_the_new_workspace(
    hold: Callable[..., Held],
) -> None:
    host = association_host(SIGNUP_SLUG)
    signup = signup_create(data=data(slug=SIGNUP_SLUG, identifier="W930000041",
                                     email=SIGNUP_EMAIL))
    SignUp.objects.filter(pk=signup.pk).update(status="verified",
                                               email_verified_at=timezone.now())
    # Held after the association and its domain are written, before the commit.
    held = hold(provisioning, "subscription_create")
    held.start(lambda: signup_provision(signup_id=signup.pk))

    assert _statuses(host) == [(404, None)] * REQUESTS
    assert _cached(host) is None  # a sign-up in progress: "unknown" is not remembered

    held.commit()
    assert SignUp.objects.get(pk=signup.pk).status == "ready"
    assert _statuses(host) == [(200, "a_cache_inscription")] * REQUESTS
    assert _cached(host).schema_name == "a_cache_inscription"


def test_a_host_cached_as_unknown_during_its_creation_is_forgotten_at_the_commit(
    hold: Callable[..., Held],
) -> None:
    """An association made by an operator (no sign-up): the requests during the
    transaction remember "unknown" for a few seconds only, and the commit forgets it."""
    host = association_host(OPERATOR_SLUG)
    held = hold(tenant_services, "audit")
    held.start(lambda: association_create(actor=None, slug=OPERATOR_SLUG, name="Cache Op",
                                          admin_email=OPERATOR_EMAIL))

    assert _statuses(host) == [(404, None)] * REQUESTS
    assert _cached(host) == "__none__"
    assert 0 < _ttl(host) <= DOMAIN_MISS_TIMEOUT

    held.commit()
    assert _cached(host) is None
    assert _statuses(host) == [(200, "a_cache_operateur")] * REQUESTS
