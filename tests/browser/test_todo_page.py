"""The to-do list in Chromium: a coordinator assigns a task to a listener; the listener sees
the counter in the navigation and the task at /taches/, and marks it done in one click
(htmx: the item and the counter change in place), on a phone, then in English."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

HOST = f"acme.{settings.BASE_DOMAIN}"
PHONE = {"width": 375, "height": 740}
# Distinctive values: other browser tests share this committed database.
COORDINATOR_EMAIL = "coord-taches-navigateur@acme.example"
LISTENER_EMAIL = "ecoute-taches-navigateur@acme.example"
LISTENER_NAME = "Écoutante Taches-Navigateur"
TITLE = "Rappeler le CPE du collège Navigateur"


@pytest.fixture(scope="module")
def people(world: World, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        for email, role, name in ((COORDINATOR_EMAIL, Role.COORDINATOR, ""),
                                  (LISTENER_EMAIL, Role.LISTENER, LISTENER_NAME)):
            if not User.objects.filter(email=email).exists():
                user = User.objects.create_user(email, password=PASSWORD, display_name=name)
                membership_create(actor=None, association=world.acme, user=user, role=role)


def _fits_the_phone(page: Any, name: str) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide on a 375px phone"
    screenshot(page, f"{name}-phone")


# live_url before browser: the browser closes before the server stops (the other order
# leaves a server thread's connection open when the test database is dropped).
def test_a_coordinator_assigns_a_task_and_the_listener_does_it_on_a_phone(
    people: None, live_url: str, browser: Any,
) -> None:
    coordinator = browser.new_context(locale="fr-FR")
    page = coordinator.new_page()
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    page.get_by_role("link", name="Tâches").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Mes tâches"
    page.get_by_text("Confier une tâche").click()
    assert unlabelled_fields(page) == []
    page.get_by_label("Intitulé").fill(TITLE)
    page.get_by_label("Échéance").fill(timezone.localdate().isoformat())
    page.get_by_label("Pour").select_option(label=LISTENER_NAME)
    with page.expect_navigation():
        page.get_by_role("button", name="Confier la tâche").click()
    assert page.get_by_text("Tâche confiée.").is_visible()
    given = page.locator("#todo-given + ul")
    assert TITLE in given.inner_text()
    assert LISTENER_NAME in given.inner_text()
    _fits_the_phone(page, "todo-coordinator")
    coordinator.close()

    listener = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = listener.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    counter = page.get_by_test_id("todo-count")
    assert counter.inner_text().startswith("1")
    page.get_by_role("link", name="Tâches").first.click()
    page.wait_for_load_state()
    item = page.locator("[data-testid=todo-due] li", has_text=TITLE)
    assert item.is_visible()
    assert "confiée par coord-taches-navigateur@acme.example" in item.inner_text()
    _fits_the_phone(page, "todo-listener")
    # One click, no page load: the item is struck through, the counter goes.
    item.get_by_role("button", name=f"Marquer « {TITLE} » comme faite").click()
    task_id = item.get_attribute("id")
    page.locator(f"#{task_id} s").wait_for()
    assert page.get_by_test_id("todo-count").count() == 0
    assert page.url.endswith("/taches/")
    page.reload()
    assert page.get_by_test_id("todo-nothing").is_visible()
    assert TITLE in page.locator("#todo-done + ul").inner_text()
    assert [e for e in errors if "Content Security Policy" in e] == []

    # In English, the same page.
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "My tasks"
    assert page.get_by_role("link", name="Tasks").first.is_visible()
    assert page.get_by_text("Nothing to do today.").is_visible()
    assert page.get_by_role("button", name=f"Mark “{TITLE}” as not done").is_visible()
    _fits_the_phone(page, "todo-listener-en")
    listener.close()


def test_an_anonymous_visitor_is_sent_to_sign_in(
    people: None, live_url: str, browser: Any,
) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(url(live_url, HOST, "/taches/"))
    assert "/accounts/login/" in page.url
    context.close()
