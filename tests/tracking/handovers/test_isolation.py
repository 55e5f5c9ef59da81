"""Nobody but the two associations' admins reaches a hand-over: not a third association
of the same network (whatever id it tries), not a network coordinator, not a member of
either association without the admin role, not the API."""

from __future__ import annotations

import pytest
from django.http import Http404
from django_tenants.utils import schema_context

from tenants.models import Handover, HandoverStatus, Network, Role, User
from tenants.networks.services import network_coordinator_add
from tenants.tenancy.services import membership_create
from tests.conftest import PASSWORD, World, host_client, signed_in
from tests.tracking.factories import actor
from tests.tracking.handovers.conftest import (
    FIRST_NAME,
    SUMMARY,
    named,
    send,
    snapshot,
    third_association,
)
from tracking.handovers.services import handover_accept, handover_send
from tracking.models import Case

pytestmark = pytest.mark.django_db
PAGE = "/parametres/transmissions/"


def test_a_third_association_of_the_network_neither_sees_nor_decides(
        world: World, network: Network, case: Case) -> None:
    gamma = third_association(network)
    record = send(world, case)
    schema = gamma.association.schema_name
    before = snapshot("a_acme", "a_beta", schema)
    client = signed_in(gamma.admin, gamma.association)
    page = client.get(PAGE).content.decode()
    assert FIRST_NAME not in page
    assert "Aucune transmission en attente" in page
    for handover_id in (record.public_id, record.public_id + 1, 1):
        for action in ("accepter", "refuser", "retirer"):
            response = client.post(f"{PAGE}{handover_id}/{action}/")
            assert response.status_code == 404, (handover_id, action)
            assert FIRST_NAME.encode() not in response.content
    with schema_context(schema), pytest.raises(Http404):
        handover_accept(actor=actor(gamma.admin, "admin"), association=gamma.association,
                        handover_id=record.public_id)
    assert snapshot("a_acme", "a_beta", schema) == before
    assert Handover.objects.get().status == HandoverStatus.PENDING


def test_the_summary_is_not_readable_with_another_associations_key(
        world: World, network: Network, case: Case) -> None:
    from tenants.handovers import crypto

    gamma = third_association(network)
    send(world, case)
    token = Handover.objects.get().summary
    for other in (world.acme, gamma.association):
        with pytest.raises(crypto.InvalidToken):
            crypto.summary_open(other, token)


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_send(world: World, network: Network, case: Case, role: str) -> None:
    before = snapshot("a_acme", "a_beta")
    client = signed_in(world.acme_members[role], world.acme)
    assert client.get(f"/dossiers/{case.pk}/transmettre/").status_code == 404
    assert client.get(PAGE).status_code == 404
    response = client.post(f"/dossiers/{case.pk}/transmettre/", {
        "receiver": world.beta.pk, "first_name": FIRST_NAME, "summary": SUMMARY,
        "consent_given_by": "parent", "consent_given_on": "2026-01-01",
        "consent_method": "written"})
    assert response.status_code == 404
    from relier_platform.errors import ApplicationError
    from tracking.handovers.services import HandoverDraft

    with schema_context("a_acme"), pytest.raises(ApplicationError, match="administrateurs"):
        handover_send(actor=actor(world.acme_members[role], role), association=world.acme,
                      case=case, draft=HandoverDraft(receiver_id=world.beta.pk))
    assert snapshot("a_acme", "a_beta") == before


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VOLUNTEER, Role.PSYCHOLOGIST])
def test_only_admins_of_the_receiver_see_and_accept(world: World, network: Network,
                                                     case: Case, role: str) -> None:
    record = send(world, case)
    member = User.objects.create_user(f"{role}@beta.example", password=PASSWORD)
    membership_create(actor=None, association=world.beta, user=member, role=role)
    before = snapshot("a_acme", "a_beta")
    client = signed_in(member, world.beta)
    response = client.get(PAGE)
    assert response.status_code == 404
    assert FIRST_NAME.encode() not in response.content
    assert FIRST_NAME.encode() not in client.get("/").content
    for action in ("accepter", "refuser"):
        assert client.post(f"{PAGE}{record.public_id}/{action}/").status_code == 404
    assert snapshot("a_acme", "a_beta") == before


def test_a_network_coordinator_reads_no_summary(world: World, network: Network,
                                                case: Case) -> None:
    send(world, case)
    coordinator = User.objects.create_user("coord@reseau.example", password=PASSWORD)
    network_coordinator_add(actor=None, network=network, user=coordinator)
    platform = signed_in(coordinator)
    for path in ("/reseaux/", f"/reseaux/{network.pk}/", f"/reseaux/{network.pk}/export.csv",
                 f"/api/v1/networks/{network.pk}/indicators/"):
        assert FIRST_NAME.encode() not in platform.get(path).content, path
    for association in (world.acme, world.beta):
        client = signed_in(coordinator, association)
        for path in (PAGE, f"{PAGE}{Handover.objects.get().pk}/accepter/"):
            response = client.post(path) if "accepter" in path else client.get(path)
            assert response.status_code in (403, 404), path
            assert FIRST_NAME.encode() not in response.content


def test_the_api_does_not_expose_hand_overs(world: World, network: Network,
                                            case: Case) -> None:
    send(world, case)
    schema = host_client(world.acme).get("/api/v1/schema/?format=json").content.decode()
    assert "handover" not in schema.lower()
    assert "transmission" not in schema.lower()
    client = signed_in(world.beta_admin, world.beta)
    for path in ("/api/v1/cases/", "/api/v1/whoami/"):
        assert FIRST_NAME.encode() not in client.get(path).content, path
    with schema_context("a_beta"):
        assert named(FIRST_NAME) == []


def test_anonymous_visitors_are_sent_to_sign_in(world: World, network: Network,
                                                case: Case) -> None:
    record = send(world, case)
    client = host_client(world.beta)
    for response in (client.get(PAGE), client.post(f"{PAGE}{record.public_id}/accepter/")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Handover.objects.get().status == HandoverStatus.PENDING
