"""Nobody but this association's admins sees or changes its billing, by any URL; the
operators' view is for platform operators only."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import Payer, Subscription
from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in

pytestmark = pytest.mark.django_db

PATHS = ["/parametres/abonnement/", "/parametres/abonnement/paiement-simule/",
         "/parametres/abonnement/portail-simule/"]


def _coordinator() -> User:
    coordinator = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=coordinator)
    return coordinator


def _clients(world: World) -> dict[str, Client]:
    return {
        "anonymous": host_client(world.acme),
        "beta_admin": signed_in(world.beta_admin, world.acme),
        "network_coordinator": signed_in(_coordinator(), world.acme),
        "acme_coordinator": signed_in(world.acme_members["coordinator"], world.acme),
        "acme_read_only": signed_in(world.acme_members["read_only"], world.acme),
    }


@pytest.mark.parametrize("who", ["anonymous", "beta_admin", "network_coordinator",
                                 "acme_coordinator", "acme_read_only"])
def test_outsiders_and_non_admins_neither_see_nor_change_billing(world: World, who: str):
    client = _clients(world)[who]
    payers = Payer.objects.count()
    before = list(Subscription.objects.values_list("association_id", "plan_code", "payer_id"))
    for path in PATHS:
        assert client.get(path).status_code in (302, 403, 404), path
    for action in ("checkout", "portal", "solidaire"):
        response = client.post(PATHS[0], {"action": action, "plan": "mensuel",
                                          "nonce": "abc"})
        assert response.status_code in (302, 403, 404)
        assert "stripe" not in response.get("Location", "")
        assert "simule" not in response.get("Location", "")
    assert list(Subscription.objects.values_list(
        "association_id", "plan_code", "payer_id")) == before
    assert Payer.objects.count() == payers


def test_billing_pages_do_not_exist_on_the_platform_site(world: World):
    client = signed_in(_coordinator())
    for path in PATHS:
        assert client.get(path).status_code == 404


def test_only_admins_see_the_menu_entry(world: World):
    admin = signed_in(world.acme_members["admin"], world.acme).get("/").content.decode()
    coordinator = signed_in(world.acme_members["coordinator"], world.acme).get("/")
    assert 'href="/parametres/abonnement/">Abonnement</a>' in admin
    assert "/parametres/abonnement/" not in coordinator.content.decode()


@pytest.mark.parametrize("who", ["beta_admin", "network_coordinator"])
def test_operators_view_is_for_operators_only(world: World, who: str):
    user = world.beta_admin if who == "beta_admin" else _coordinator()
    response = signed_in(user).get("/admin/billing/subscription/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_operators_see_plans_statuses_and_monthly_recurring_revenue(world: World):
    Subscription.objects.update_or_create(association=world.acme, defaults={
        "plan_code": "mensuel", "status": "active", "quantity": 6,
        "stripe_subscription_id": "sub_a"})
    Subscription.objects.update_or_create(association=world.beta, defaults={
        "plan_code": "annuel", "status": "past_due", "quantity": 3,
        "stripe_subscription_id": "sub_b"})
    operator = User.objects.create_superuser("ops@relier.example", password="x" * 12)
    response = signed_in(operator).get("/admin/billing/subscription/")
    page = response.content.decode()
    assert response.status_code == 200
    # 6 × 8 € a month + 3 × 80 € a year / 12 = 48 + 20
    assert '<span data-testid="mrr">68 €</span>' in page
    assert "<td>Par membre, au mois</td><td>Active</td><td>1</td>" in page
    assert "<td>Par membre, à l&#x27;année</td><td>Paiement en retard</td><td>1</td>" in page
    cancel = Subscription.objects.get(association=world.acme)
    assert signed_in(operator).post(
        f"/admin/billing/subscription/{cancel.pk}/delete/").status_code == 403
