"""The admins' webhook pages (/parametres/webhooks/): add an endpoint (its secret shown
once), refuse bad input with a clear message and nothing saved, disable, enable again,
ping, list deliveries; nobody but the association's admins reaches any of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.translation.reloader import translation_file_changed
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.webhooks.conftest import make_endpoint
from tracking.models import AuditLog, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
PAGE = "/parametres/webhooks/"
URL = "https://127.0.0.1:9/hook"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """The English catalogue built (the .mo files are git-ignored), then loaded anew."""
    call_command("compile_translations", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))


def _endpoints(schema: str = "a_acme") -> list[WebhookEndpoint]:
    with schema_context(schema):
        return list(WebhookEndpoint.objects.order_by("pk"))


def test_an_admin_adds_an_endpoint_whose_secret_is_shown_once(world: World) -> None:
    admin = world.acme_members["admin"]
    client = signed_in(admin, world.acme)
    listed = client.get(PAGE)
    assert listed.status_code == 200
    assert "Aucun point de réception pour l'instant." in listed.content.decode()
    created = client.post(PAGE, {"url": URL, "description": "Logiciel du collège",
                                 "events": ["case.closed", "referral.received"]})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    secret = created.context["created"][1]
    assert secret.startswith("whsec_")
    assert secret.encode() in created.content
    (endpoint,) = _endpoints()
    assert (endpoint.url, endpoint.description, endpoint.events, endpoint.active) == (
        URL, "Logiciel du collège", ["referral.received", "case.closed"], True)
    assert endpoint.created_by_id == admin.pk
    assert endpoint.secret == secret
    with schema_context(world.acme.schema_name):
        entry = AuditLog.objects.get(action="webhook.endpoint_created")
    assert (entry.actor_id, entry.object_id) == (admin.pk, str(endpoint.pk))
    again = client.get(PAGE)
    assert secret.encode() not in again.content
    assert URL.encode() in again.content


@pytest.mark.parametrize(("form", "message"), [
    ({"url": "pas une adresse", "events": ["case.closed"]},
     "Cette adresse n'est pas valide : elle s'écrit comme https://exemple.org/webhooks."),
    ({"url": "exemple.org/webhooks", "events": ["case.closed"]},
     "L'adresse doit commencer par https:// et nommer un serveur."),
    ({"url": "", "events": ["case.closed"]}, "Indiquez l'adresse qui recevra les événements."),
    ({"url": "ftp://exemple.org/x", "events": ["case.closed"]},
     "L'adresse doit commencer par https:// et nommer un serveur."),
    ({"url": "https://utilisateur:motdepasse@93.184.215.14/x", "events": ["case.closed"]},
     "L'adresse ne peut pas contenir d'identifiant ni de mot de passe."),
    ({"url": "https://127.0.0.1/hook", "events": ["case.closed"]},
     "Cette adresse mène à un réseau privé ou local : seules les adresses publiques sont "
     "permises."),
    ({"url": "https://169.254.169.254/latest/", "events": ["case.closed"]},
     "Cette adresse mène à un réseau privé ou local : seules les adresses publiques sont "
     "permises."),
    ({"url": "http://93.184.215.14/hook", "events": ["case.closed"]},
     "L'adresse doit utiliser https:// (http n'est pas chiffré)."),
    ({"url": "https://93.184.215.14/hook"}, "Choisissez au moins un événement."),
    ({"url": "https://93.184.215.14/hook", "events": ["case.deleted"]}, "Événement inconnu."),
])
@override_settings(RELIER_WEBHOOKS_ALLOW_PRIVATE=False)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
        world: World, form: dict[str, Any], message: str) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(PAGE, form)
    assert response.status_code == 400
    page = response.content.decode()
    assert response.context["error"].message == message
    assert 'role="alert"' in page
    assert response.context["created"] is None
    assert "whsec_" not in page
    assert _endpoints() == []
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action__startswith="webhook.").exists()


@override_settings(RELIER_WEBHOOKS_ALLOW_PRIVATE=False)
def test_the_refusal_is_in_english_for_an_english_reader(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(PAGE, {"url": "https://10.0.0.7/hook", "events": ["case.closed"]},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["error"].message == (
        "This address leads to a private or local network: only public addresses are "
        "allowed.")
    assert _endpoints() == []


def test_an_admin_disables_enables_and_pings_and_reads_the_deliveries(world: World) -> None:
    admin = world.acme_members["admin"]
    endpoint, _secret = make_endpoint(world.acme, admin, URL)
    client = signed_in(admin, world.acme)
    base = f"{PAGE}{endpoint.pk}/"
    assert client.post(base + "desactiver/").status_code == 302
    (stopped,) = _endpoints()
    assert (stopped.active, stopped.disabled_reason) == (False, "Désactivé par un administrateur.")
    refused = client.post(base + "tester/", follow=True)
    assert "Réactivez ce point de réception avant de le tester." in refused.content.decode()
    assert client.post(base + "reactiver/").status_code == 302
    (again,) = _endpoints()
    assert (again.active, again.disabled_at, again.consecutive_failures) == (True, None, 0)
    pinged = client.post(base + "tester/")
    assert pinged.status_code == 302
    assert pinged["Location"] == base + "livraisons/"
    with schema_context(world.acme.schema_name):
        (ping,) = WebhookDelivery.objects.all()
        actions = list(AuditLog.objects.filter(action__startswith="webhook.")
                       .order_by("pk").values_list("action", "actor_id"))
        for n in range(60):  # two pages of deliveries
            WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed",
                                           payload={"n": n})
    assert (ping.event_type, ping.payload, ping.status) == (
        "ping", {"endpoint_id": endpoint.pk}, "pending")
    assert actions == [("webhook.endpoint_created", admin.pk),
                       ("webhook.endpoint_disabled", admin.pk),
                       ("webhook.endpoint_enabled", admin.pk),
                       ("webhook.ping", admin.pk)]
    first = client.get(base + "livraisons/")
    assert first.status_code == 200
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 61
    second = client.get(base + "livraisons/?page=2")
    assert len(second.context["page"]) == 11
    assert str(ping.event_id) in second.content.decode()


def test_enabling_again_checks_the_address_again(world: World) -> None:
    admin = world.acme_members["admin"]
    endpoint, _secret = make_endpoint(world.acme, admin, URL)
    client = signed_in(admin, world.acme)
    client.post(f"{PAGE}{endpoint.pk}/desactiver/")
    with override_settings(RELIER_WEBHOOKS_ALLOW_PRIVATE=False):
        response = client.post(f"{PAGE}{endpoint.pk}/reactiver/", follow=True)
    assert "réseau privé ou local" in response.content.decode()
    (still,) = _endpoints()
    assert still.active is False


@pytest.fixture
def coordinator_of_a_network(world: World) -> User:
    user = User.objects.create_user("coord-webhooks@reseau.example", password="x" * 12)
    network = Network.objects.create(name="Réseau des webhooks")
    network_coordinator_add(actor=None, network=network, user=user)
    return user


@pytest.mark.parametrize("who", ["coordinator", "psychologist", "listener", "volunteer",
                                 "read_only", "beta_admin", "network_coordinator",
                                 "anonymous"])
def test_nobody_but_the_associations_admins_reaches_the_endpoints(
        world: World, coordinator_of_a_network: User, who: str) -> None:
    endpoint, secret = make_endpoint(world.acme, world.acme_members["admin"], URL)
    with schema_context(world.acme.schema_name):
        WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed",
                                       payload={"case_code": "2026-0042"})
    people = {**world.acme_members, "beta_admin": world.beta_admin,
              "network_coordinator": coordinator_of_a_network}
    client = host_client(world.acme) if who == "anonymous" else signed_in(people[who],
                                                                         world.acme)
    base = f"{PAGE}{endpoint.pk}/"
    answers = [
        client.get(PAGE), client.post(PAGE, {"url": URL, "events": ["case.closed"]}),
        client.post(base + "desactiver/"), client.post(base + "reactiver/"),
        client.post(base + "tester/"), client.get(base + "livraisons/"),
    ]
    expected = {"anonymous": 302, "beta_admin": 403, "network_coordinator": 403}.get(who, 404)
    assert [a.status_code for a in answers] == [expected] * len(answers)
    for answer in answers:
        assert URL.encode() not in answer.content
        assert b"2026-0042" not in answer.content
        assert secret.encode() not in answer.content
    (unchanged,) = _endpoints()
    assert (unchanged.active, unchanged.disabled_at) == (True, None)
    with schema_context(world.acme.schema_name):
        assert WebhookDelivery.objects.count() == 1
        assert not AuditLog.objects.filter(action__startswith="webhook.").exclude(
            action="webhook.endpoint_created").exists()


def test_another_associations_admin_finds_no_such_endpoint_on_their_own_host(
        world: World) -> None:
    endpoint, _secret = make_endpoint(world.acme, world.acme_members["admin"], URL)
    client = signed_in(world.beta_admin, world.beta)
    base = f"{PAGE}{endpoint.pk}/"
    assert client.get(base + "livraisons/").status_code == 404
    assert client.post(base + "desactiver/").status_code == 404
    assert client.post(base + "tester/").status_code == 404
    assert URL.encode() not in client.get(PAGE).content
    (unchanged,) = _endpoints()
    assert unchanged.active
    assert _endpoints("a_beta") == []


def test_the_admin_menu_links_to_the_webhooks_next_to_the_api(world: World) -> None:
    page = signed_in(world.acme_members["admin"], world.acme).get(PAGE).content.decode()
    assert '<a href="/parametres/api/">API</a></li><li><a href="/parametres/webhooks/">' \
           "Webhooks</a>" in page


def _queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_queries_for_one_row_or_many(world: World) -> None:
    admin = world.acme_members["admin"]
    client = signed_in(admin, world.acme)
    endpoint, _secret = make_endpoint(world.acme, admin, URL)
    with schema_context(world.acme.schema_name):
        WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed", payload={})
    deliveries = f"{PAGE}{endpoint.pk}/livraisons/"
    client.get(PAGE)  # the session and caches warmed
    few = (_queries(client, PAGE), _queries(client, deliveries))
    for _n in range(4):
        make_endpoint(world.acme, admin, URL)
    with schema_context(world.acme.schema_name):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event_type="case.closed", payload={})
            for _n in range(49))
    assert (_queries(client, PAGE), _queries(client, deliveries)) == few
