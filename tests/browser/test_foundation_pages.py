"""Sign-in, home, language switch, association switch and the unknown-host page, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, url
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser


def test_sign_in_and_home_on_laptop_and_phone(world: World, live_url: str, page: Any) -> None:
    host = f"acme.{settings.BASE_DOMAIN}"
    sign_in(page, live_url, host, world.acme_members["psychologist"].email)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Bienvenue dans l'espace de Acme Solidarité"
    )
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "home-laptop")
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "home-phone")


def test_language_switch_to_english(world: World, live_url: str, page: Any) -> None:
    page.goto(url(live_url, settings.BASE_DOMAIN, "/"))
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_unknown_host_page(world: World, live_url: str, page: Any) -> None:
    response = page.goto(url(live_url, f"nulle-part.{settings.BASE_DOMAIN}", "/"))
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Adresse inconnue"


def test_switch_association_from_menu(
    world: World, live_url: str, page: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        user = User.objects.filter(email="deux@acme.example").first()
        if user is None:
            user = User.objects.create_user("deux@acme.example", password=PASSWORD)
            membership_create(actor=None, association=world.acme, user=user, role=Role.LISTENER)
            membership_create(actor=None, association=world.beta, user=user, role=Role.VOLUNTEER)
    sign_in(page, live_url, f"acme.{settings.BASE_DOMAIN}", "deux@acme.example")
    page.get_by_text("Changer d'association").click()
    page.get_by_role("button", name="Bêta Écoute").click()
    page.wait_for_load_state()
    assert page.url.startswith(f"http://beta.{settings.BASE_DOMAIN}:")
    assert "Bêta Écoute" in page.get_by_role("heading", level=1).inner_text()
