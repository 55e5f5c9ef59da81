"""A hand-over in Chromium, on a phone: the admin of acme hands a young person over to
beta (a network both belong to), beta's admin sees it waiting, accepts it and finds the new
case of its own; the pages fit a 375px screen, name every field, and speak English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import World
from tests.tracking.factories import item, make_case

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
ACME = f"acme.{settings.BASE_DOMAIN}"
BETA = f"beta.{settings.BASE_DOMAIN}"
# Distinctive values: other browser tests share this committed database.
FIRST_NAME = "Navigatrice-Transmise"
TOWN = "Navigny-Transmission"
SUMMARY = "Moqueries en classe depuis la rentrée ; la famille s'installe dans votre ville."
NETWORK = "Réseau navigateur des transmissions"


@dataclass(frozen=True)
class Seed:
    case_id: int


@pytest.fixture(scope="module")
def seed(world: World, django_db_blocker: Any) -> Iterator[Seed]:
    """Committed: acme and beta in one network, a case of acme. The network and the
    hand-overs between the two are removed afterwards (the cases stay, found by value)."""
    from tenants.models import Handover, Network, NetworkMembership
    from tenants.networks.services import network_join
    from tracking.models import Case

    with django_db_blocker.unblock():
        network = Network.objects.create(name=NETWORK)
        for association, admin in ((world.acme, world.acme_members["admin"]),
                                   (world.beta, world.beta_admin)):
            network_join(actor=admin, association=association, network=network,
                         agreement_version=network.agreement_version)
        with schema_context(world.acme.schema_name):
            case = Case.objects.filter(town=TOWN).first() or make_case(
                world.acme, world.acme_members["admin"], first_name=FIRST_NAME, town=TOWN,
                birth_year=timezone.localdate().year - 15,
                situation_types=[item("situation_type", "bullying")])
    yield Seed(case_id=case.pk)
    with django_db_blocker.unblock():
        Handover.objects.filter(network=network).delete()
        NetworkMembership.objects.filter(network=network).delete()
        network.delete()


def _fits_phone(page: Any, name: str) -> None:
    assert page.get_by_role("heading", level=1).count() == 1
    assert unlabelled_fields(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide on a 375px phone"
    screenshot(page, f"{name}-phone")


def test_an_admin_hands_over_and_the_other_association_accepts(
        world: World, seed: Seed, live_url: str, browser: Any,
        english_catalogue: None) -> None:
    sender = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = sender.new_page()
    sign_in(page, live_url, ACME, world.acme_members["admin"].email)
    page.goto(url(live_url, ACME, f"/dossiers/{seed.case_id}/"))
    page.get_by_role("link", name="Transmettre", exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dossiers/{seed.case_id}/transmettre/")
    assert page.get_by_label("Prénom", exact=True).input_value() == FIRST_NAME  # prefilled
    _fits_phone(page, "handover-send")
    page.get_by_label("Association qui reçoit", exact=True).select_option(label="Bêta Écoute")
    page.get_by_label("Donné par").select_option("parent")
    page.get_by_label("Date du consentement").fill(timezone.localdate().isoformat())
    page.get_by_label("Forme du consentement").select_option("written")
    page.get_by_label("Résumé (ce que l'association qui reçoit doit savoir)").fill(SUMMARY)
    page.get_by_role("button", name="Transmettre", exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dossiers/{seed.case_id}/")
    body = page.locator("body").inner_text()
    assert "Dossier transmis à Bêta Écoute" in body
    assert "Transmis à Bêta Écoute" in body
    sender.close()

    receiver = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = receiver.new_page()
    sign_in(page, live_url, BETA, world.beta_admin.email)
    menu = page.locator('a[href="/parametres/transmissions/"]')
    assert "1" in menu.inner_text()  # the count of hand-overs waiting
    page.goto(url(live_url, BETA, "/parametres/transmissions/"))
    body = page.locator("body").inner_text()
    assert f"{FIRST_NAME}, transmis par Acme Solidarité" in body
    assert SUMMARY in body
    _fits_phone(page, "handovers-incoming")
    page.get_by_role("button", name=f"Accepter et ouvrir un dossier pour {FIRST_NAME}").click()
    page.wait_for_load_state()
    assert "/dossiers/" in page.url
    heading = page.get_by_role("heading", level=1).inner_text()
    assert FIRST_NAME in heading
    code = heading.split()[1]  # "Dossier 2026-0007 · …": beta's own numbering
    body = page.locator("body").inner_text()
    assert "Transmission acceptée : le dossier" in body
    assert "Reçu par transmission de Acme Solidarité" in body
    new_case = page.url
    # Found again in beta's own case list.
    page.goto(url(live_url, BETA, "/dossiers/"))
    assert code in page.locator("body").inner_text()

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    page.goto(new_case)
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Received by hand-over from Acme Solidarité" in page.locator("body").inner_text()
    page.goto(url(live_url, BETA, "/parametres/transmissions/"))
    body = page.locator("body").inner_text()
    assert "Hand-overs between associations" in body
    assert "0 hand-overs received and waiting" in body
    assert "Hand-overs accepted" in body
    assert SUMMARY in body
    _fits_phone(page, "handovers-english")
    receiver.close()
