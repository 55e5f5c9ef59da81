"""Networks: an association joins by an explicit agreement (who, when, which version) and
may withdraw — never deleted, and gone from what the next publication reads."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from relier_platform.errors import ApplicationError
from tenants.models import AuditEntry, Network, NetworkMembership
from tenants.networks.services import (
    network_join,
    network_members,
    network_rules,
    network_rules_set,
    network_withdraw,
)
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def network() -> Network:
    return Network.objects.create(name="Réseau Île-de-France", agreement_version="2026-2")


def _state() -> list[Any]:
    return [list(NetworkMembership.objects.order_by("pk").values_list(
        "network_id", "association_id", "agreement_version", "agreed_by_id", "withdrawn_at")),
        AuditEntry.objects.count()]


def test_an_admin_joins_with_the_agreement_in_force(world: World, network: Network) -> None:
    admin = world.acme_members["admin"]
    membership = network_join(actor=admin, association=world.acme, network=network,
                              agreement_version="2026-2")
    assert (membership.agreed_by, membership.agreement_version) == (admin, "2026-2")
    assert membership.agreed_at is not None
    assert list(network_members(network)) == [world.acme]
    entry = AuditEntry.objects.filter(action="network.joined").latest("at")
    assert entry.detail == {"network_id": network.pk, "agreement_version": "2026-2"}


@pytest.mark.parametrize("who", ["coordinator", "psychologist", "listener", "volunteer",
                                 "read_only", "beta_admin", "outsider"])
def test_only_the_associations_admins_decide(world: World, network: Network, who: str) -> None:
    user = {"beta_admin": world.beta_admin, "outsider": world.outsider}.get(who) \
        or world.acme_members[who]
    before = _state()
    with pytest.raises(ApplicationError, match="Seuls les administrateurs"):
        network_join(actor=user, association=world.acme, network=network,
                     agreement_version="2026-2")
    assert _state() == before


def test_an_outdated_agreement_or_a_second_join_is_refused(world: World,
                                                          network: Network) -> None:
    admin = world.acme_members["admin"]
    before = _state()
    with pytest.raises(ApplicationError, match=r"a changé \(version 2026-2\)"):
        network_join(actor=admin, association=world.acme, network=network,
                     agreement_version="2026-1")
    assert _state() == before
    network_join(actor=admin, association=world.acme, network=network,
                 agreement_version="2026-2")
    before = _state()
    with pytest.raises(ApplicationError, match="partage déjà"):
        network_join(actor=admin, association=world.acme, network=network,
                     agreement_version="2026-2")
    assert _state() == before
    # the database itself refuses two agreements in force
    with pytest.raises(IntegrityError), transaction.atomic():
        NetworkMembership.objects.create(network=network, association=world.acme,
                                         agreement_version="2026-2", agreed_by=admin)


def test_withdrawing_keeps_the_history_and_leaves_the_next_publication(
    world: World, network: Network
) -> None:
    admin, beta_admin = world.acme_members["admin"], world.beta_admin
    network_join(actor=admin, association=world.acme, network=network,
                 agreement_version="2026-2")
    network_join(actor=beta_admin, association=world.beta, network=network,
                 agreement_version="2026-2")
    assert list(network_members(network)) == [world.acme, world.beta]
    with pytest.raises(ApplicationError, match="Seuls les administrateurs"):
        network_withdraw(actor=beta_admin, association=world.acme, network=network)
    left = network_withdraw(actor=admin, association=world.acme, network=network)
    assert left.withdrawn_by == admin
    assert left.withdrawn_at is not None
    assert list(network_members(network)) == [world.beta]
    with pytest.raises(ApplicationError, match="ne partage pas"):
        network_withdraw(actor=admin, association=world.acme, network=network)
    # joining again is a new agreement; the old one stays, withdrawn
    network_join(actor=admin, association=world.acme, network=network,
                 agreement_version="2026-2")
    rows = NetworkMembership.objects.filter(association=world.acme, network=network)
    assert rows.count() == 2
    assert rows.filter(withdrawn_at__isnull=True).count() == 1


def test_the_networks_disclosure_rules(network: Network) -> None:
    assert network_rules(network).threshold == 11
    before = (network.small_count_threshold, network.round_to_five)
    with pytest.raises(ApplicationError, match="entre 5 et 11"):
        network_rules_set(actor=None, network=network, small_count_threshold=4,
                          round_to_five=True)
    network.refresh_from_db()
    assert (network.small_count_threshold, network.round_to_five) == before
    network_rules_set(actor=None, network=network, small_count_threshold=5,
                      round_to_five=True)
    rules = network_rules(network, sensitive=True)
    assert (rules.threshold, rules.round_to, rules.sensitive) == (5, 5, True)


# --- The association's page ------------------------------------------------------------

PAGE = "/parametres/reseaux/"


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_reach_the_networks_page(world: World, network: Network, role: str) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    before = _state()
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"network": network.pk, "action": "join", "accept": "1",
                              "agreement_version": "2026-2"}).status_code == 404
    assert _state() == before


def test_an_admin_joins_and_withdraws_through_the_page(world: World, network: Network) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    page = html.unescape(client.get(PAGE).content.decode())
    assert "Réseau Île-de-France" in page
    assert "(version 2026-2)" in page
    before = _state()
    refused = client.post(PAGE, {"network": network.pk, "action": "join",
                                 "agreement_version": "2026-2"})
    assert refused.status_code == 400
    assert "Cochez la case pour accepter" in html.unescape(refused.content.decode())
    assert _state() == before
    joined = client.post(PAGE, {"network": network.pk, "action": "join", "accept": "1",
                                "agreement_version": "2026-2"}, follow=True)
    assert "Partage accepté" in html.unescape(joined.content.decode())
    assert list(network_members(network)) == [world.acme]
    publish = client.post(PAGE, {"network": network.pk, "action": "publish"}, follow=True)
    assert "recalculés et publiés" in html.unescape(publish.content.decode())
    client.post(PAGE, {"network": network.pk, "action": "withdraw"})
    # Withdrawn: asking for a publication there is refused.
    assert client.post(PAGE, {"network": network.pk, "action": "publish"}).status_code == 404
    assert list(network_members(network)) == []
    assert NetworkMembership.objects.filter(association=world.acme).count() == 1
    assert client.post(PAGE, {"network": 999999, "action": "join"}).status_code == 404
    # beta sees its own state only: acme's agreement is not shown there
    beta = html.unescape(signed_in(world.beta_admin, world.beta).get(PAGE).content.decode())
    assert "Partage accepté" not in beta
