"""Schemathesis against the API's own OpenAPI document (issue #19): for every operation of
an association's host, requests generated from the schema — valid ones and invalid ones —
are sent through the real WSGI application, in the test's transaction, with a key holding
every scope. No answer may be a server error, every answer must match the schema (status,
content type, headers, body), and a request the schema calls invalid must be refused.

Not checked: that every request the schema calls valid is accepted. Some rules cannot be
said in a schema — a name of spaces only, the hourly limit of referrals (429 after ten),
an Idempotency-Key used with another body (409) — and are refused with a problem body,
which the checks above do validate.

The platform host's document (the network coordinators' indicators) is run the same way,
signed in as the coordinator of a published network (three associations' contributions).

The documents are built from the URL confs at import (pytest collects one test per
operation); `test_the_tested_documents_are_the_ones_served` checks they are those that
`/api/v1/schema/` serves. Bounded to MAX_EXAMPLES per operation to keep the suite short."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tenants.models import Network, NetworkCoordinator, User
from tenants.networks.publication import network_publish
from tenants.tenancy.services import association_host
from tests.conftest import World, host_client, signed_in
from tests.tenants.conftest import Member, _contribute, members, network  # noqa: F401
from tests.tracking.api.conftest import make_key
from tests.tracking.factories import actor, log_interaction, make_case
from tracking.groups.services import attendance_record, group_create, group_session_create
from tracking.interactions.directory import contact_create_for_case

MAX_EXAMPLES = 25


def _document(urlconf: str = "relier_platform.urls_tenant") -> dict[str, Any]:
    generator = SchemaGenerator(urlconf=urlconf, api_version="v1")
    rendered = OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True))
    return json.loads(rendered)


DOCUMENT = _document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SCHEMA.app = get_wsgi_application()
PLATFORM_DOCUMENT = _document("relier_platform.urls_public")
PLATFORM_SCHEMA = schemathesis.openapi.from_dict(PLATFORM_DOCUMENT)
PLATFORM_SCHEMA.app = SCHEMA.app
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture
def calls_in_the_test_transaction() -> Iterator[None]:
    """A WSGI request would close the test's connection at its start and end (Django's
    close_old_connections: autocommit is off inside the test's transaction); Django's test
    client turns it off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def every_scope(db: None, world: World, calls_in_the_test_transaction: None) -> dict[str, str]:
    """Headers of a key of acme with every scope, made by its admin (so that it may write),
    and something to read and write: a few cases, a contact, an exchange, a group with a
    session and its attendance."""
    admin = world.acme_members["admin"]
    cases = [make_case(world.acme, admin, town=town) for town in ("Montreuil", "Pantin",
                                                                   "Bobigny")]
    log_interaction(world.acme, admin, "admin", cases[0], summary="Appel")
    with schema_context(world.acme.schema_name):
        boss = actor(admin, "admin")
        contact_create_for_case(actor=boss, case=cases[0], kind="parent", first_name="Awa",
                                last_name="D.", relationship="mère")
        group = group_create(actor=boss, theme="Passions", weekday=2)
        session = group_session_create(actor=boss, group=group,
                                       held_on=timezone.localdate() - timedelta(days=1))
        attendance_record(actor=boss, session=session, statuses={cases[0].pk: "present"})
    _key, raw = make_key(world.acme, actor=actor(admin, "admin"))
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def coordinator_session(request: pytest.FixtureRequest, db: None,
                        calls_in_the_test_transaction: None) -> dict[str, str]:
    """The session cookie of a coordinator of a network published from three associations
    (tests/tenants/conftest.py's fixtures)."""
    shared: Network = request.getfixturevalue("network")
    published_by: list[Member] = request.getfixturevalue("members")
    for member in published_by:
        _contribute(member)
    network_publish(shared)
    user = User.objects.create_user("coord@reseau.example", password="x-Passw0rd-42")
    NetworkCoordinator.objects.create(user=user, network=shared)
    client = signed_in(user)
    return {"Cookie": f"{django_settings.SESSION_COOKIE_NAME}="
                      f"{client.cookies[django_settings.SESSION_COOKIE_NAME].value}"}


def test_the_tested_documents_are_the_ones_served(world: World) -> None:
    served = host_client(world.acme).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT
    platform = host_client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert platform.json() == PLATFORM_DOCUMENT
    assert set(PLATFORM_DOCUMENT["paths"]) == {"/api/v1/networks/{network_id}/indicators/"}
    assert set(DOCUMENT["paths"]) == {
        "/api/v1/whoami/", "/api/v1/referrals/", "/api/v1/cases/", "/api/v1/cases/{case_id}/",
        "/api/v1/cases/{case_id}/interactions/", "/api/v1/cases/{case_id}/contacts/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{contact_id}/", "/api/v1/groups/", "/api/v1/groups/{group_id}/",
        "/api/v1/groups/{group_id}/sessions/",
        "/api/v1/groups/{group_id}/sessions/{session_id}/attendance/", "/api/v1/figures/"}


@pytest.mark.django_db
@SCHEMA.parametrize()
@HYPOTHESIS
def test_every_generated_request_gets_an_answer_within_the_schema(
    case: Any, every_scope: dict[str, str], world: World,
) -> None:
    case.call_and_validate(base_url=f"http://{association_host(world.acme.slug)}",
                           headers={**every_scope, "Accept": "application/json"},
                           excluded_checks=[positive_data_acceptance])


@pytest.mark.django_db
@PLATFORM_SCHEMA.parametrize()
@HYPOTHESIS
def test_every_generated_platform_request_gets_an_answer_within_the_schema(
    case: Any, coordinator_session: dict[str, str],
) -> None:
    case.call_and_validate(base_url=f"http://{django_settings.BASE_DOMAIN}",
                           headers=coordinator_session,
                           excluded_checks=[positive_data_acceptance])
