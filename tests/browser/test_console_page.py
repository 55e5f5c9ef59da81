"""The coordinators' console and the association's comparison page in real Chromium:
readable on a laptop and a phone, every field labelled, hidden figures said as such.
These tests write (committed): three associations of their own share with a network."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, NetworkCoordinator, User
from tenants.networks.publication import data_cutoff, network_publish
from tenants.networks.services import network_join
from tenants.networks.tasks import association_contribute_task
from tenants.tenancy.services import association_create
from tests.browser.conftest import sign_in, url
from tests.browser.test_tracking_pages import check_page
from tests.conftest import PASSWORD, World
from tests.tracking.factories import item, make_case

COORDINATOR = "coordination@reseau-navigateur.example"


@pytest.fixture(scope="module")
def console_network(world: World, django_db_blocker: Any) -> Network:
    with django_db_blocker.unblock():
        # Made once per session: test_csp.py uses this fixture too (committed data).
        existing = Network.objects.filter(name="Réseau Navigateur").first()
        if existing is not None:
            return existing
        network = Network.objects.create(name="Réseau Navigateur", agreement_version="1")
        user = User.objects.create_user(COORDINATOR, password=PASSWORD)
        NetworkCoordinator.objects.create(user=user, network=network)
        for slug, n, gender in (("navun", 9, "girl"), ("navdeux", 7, "boy"),
                                ("navtrois", 6, "girl")):
            created = association_create(actor=None, slug=slug, name=f"Nav {slug}",
                                         admin_email=f"admin@{slug}.example",
                                         admin_password=PASSWORD)
            network_join(actor=created.admin, association=created.association,
                         network=network, agreement_version="1")
            with schema_context(created.association.schema_name):
                source = item("detection_source", "school")
            for _i in range(n):
                # Opened by the figures' cut-off day (the end of the last month over).
                make_case(created.association, created.admin, gender=gender,
                          detection_source=source, department="13",
                          opened_on=data_cutoff(timezone.localdate()))
            with schema_context(created.association.schema_name):
                association_contribute_task(created.association.schema_name)
        network_publish(network)
        return network


def test_the_console_on_laptop_and_phone(console_network: Network, live_url: str,
                                         page: Any) -> None:
    page.goto(url(live_url, settings.BASE_DOMAIN, f"/reseaux/{console_network.pk}/"))
    assert "/accounts/login/" in page.url
    page.get_by_label("Adresse e-mail").fill(COORDINATOR)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Réseau Navigateur"
    page.get_by_label("Indicateur détaillé").select_option("active_by_department")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    table = page.locator("#detail-table")
    # 22 young people of the Bouches-du-Rhône from three associations: shown.
    assert table.get_by_role("row", name="13").inner_text().split()[-1] == "22"
    notes = page.locator("#detail-notes")
    assert notes.count() == 0 or "masqu" in notes.inner_text() or "< 11" in notes.inner_text()
    check_page(page, "network-console")


def test_the_association_compares_itself_with_the_network(console_network: Network,
                                                         live_url: str, page: Any) -> None:
    sign_in(page, live_url, f"navun.{settings.BASE_DOMAIN}", "admin@navun.example")
    page.goto(url(live_url, f"navun.{settings.BASE_DOMAIN}",
                  "/chiffres/reseaux/?indicateur=active_by_department"))
    row = page.locator("#comparaison").get_by_role("row", name="13")
    assert row.inner_text().split() == ["13", "9", "22"]
    check_page(page, "network-comparison")
