"""Drop-in hours in Chromium: a family books a slot from the association's public page;
the psychologist signs in, finds it in their day, holds it and logs it as an exchange on a
case they follow. The pages have one h1, labelled fields, fit a 375px phone, and speak
English to an English-speaking visitor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import PASSWORD, World
from tests.tracking.factories import make_case

pytestmark = pytest.mark.browser

SCHEMA = "a_acme"
HOST = f"acme.{settings.BASE_DOMAIN}"
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
PSY_EMAIL = "psy-permanence-navigateur@acme.example"
TOWN = "Navigny-Permanence"
NICKNAME = "Maman de Lou (navigateur)"


@dataclass(frozen=True)
class Seed:
    schedule_id: int
    case_id: int
    case_code: str


@pytest.fixture(scope="module")
def seed(world: World, django_db_blocker: Any) -> Iterator[Seed]:
    """Committed: a psychologist with recurring phone hours on today's weekday, all day,
    and a case they follow; the public booking opened. Removed afterwards (the exchange
    logged stays, as other browser tests' records do)."""
    from tracking.dropin import services
    from tracking.models import (
        Case,
        DropinBooking,
        DropinCancellation,
        DropinSchedule,
        DropinSettings,
    )
    from tracking.permissions import Actor

    admin = world.acme_members["admin"]
    today = timezone.localdate()
    with django_db_blocker.unblock():
        psychologist = User.objects.filter(email=PSY_EMAIL).first()
        if psychologist is None:
            psychologist = User.objects.create_user(PSY_EMAIL, password=PASSWORD)
            membership_create(actor=None, association=world.acme, user=psychologist,
                              role=Role.PSYCHOLOGIST)
        with schema_context(SCHEMA):
            case = Case.objects.filter(town=TOWN).first() or make_case(
                world.acme, admin, staff=[psychologist], first_name="Lou", town=TOWN)
            owner = Actor(user=admin, role="admin")
            schedule = services.schedule_create(actor=owner, data=services.ScheduleData(
                psychologist_id=psychologist.pk, weekday=today.weekday(),
                starts_at=time(0, 0), ends_at=time(23, 30), slot_minutes=30, mode="phone",
                valid_from=today - timedelta(days=14)))
            services.settings_update(actor=owner, public_booking=True, days_ahead=14)
    yield Seed(schedule.pk, case.pk, case.code)
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        DropinBooking.objects.filter(schedule=schedule).delete()
        DropinCancellation.objects.filter(schedule=schedule).delete()
        DropinSchedule.objects.filter(pk=schedule.pk).delete()
        DropinSettings.objects.all().delete()


def _check(page: Any, name: str) -> None:
    """One h1, every visible field labelled, no sideways scroll on a phone."""
    assert page.get_by_role("heading", level=1).count() == 1
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert unlabelled_fields(page) == []
    screenshot(page, f"{name}-laptop")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide on a 375px phone"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)


def test_a_family_books_and_the_psychologist_holds_it_as_an_exchange(
        world: World, seed: Seed, live_url: str, browser: Any) -> None:
    from tracking.models import DropinBooking, Interaction

    family = browser.new_context(locale="fr-FR")
    public = family.new_page()
    public.set_viewport_size(LAPTOP)
    response = public.goto(url(live_url, HOST, "/rendez-vous"))
    assert response is not None
    assert response.status == 200
    assert public.get_by_role("heading", level=1).inner_text() == (
        "Prendre rendez-vous avec un ou une psychologue de Acme Solidarité")
    _check(public, "dropin-public")
    next_week = timezone.localdate() + timedelta(days=7)
    slot = public.locator(f"input[type=radio][value^='{seed.schedule_id}:"
                          f"{next_week.isoformat()}T10:00']")
    slot.check()
    public.get_by_label("Votre prénom ou un pseudo").fill(NICKNAME)
    public.get_by_label("Téléphone pour vous rappeler").fill("06 00 11 22 33")
    with public.expect_navigation():
        public.get_by_role("button", name="Réserver ce créneau").click()
    assert public.get_by_role("heading", level=1).inner_text() == "Votre rendez-vous est pris"
    _check(public, "dropin-public-thanks")
    family.close()

    # The week goes by: the slot taken is now last week's (the psychologist holds it after).
    with schema_context(SCHEMA):
        # The nickname is encrypted: found by reading the schedule's bookings.
        booking = next(b for b in DropinBooking.objects.filter(schedule_id=seed.schedule_id)
                       if b.first_name == NICKNAME)
        assert (booking.source, booking.phone, booking.case_id) == (
            "public", "06 00 11 22 33", None)
        DropinBooking.objects.filter(pk=booking.pk).update(
            starts_at=booking.starts_at - timedelta(days=14),
            ends_at=booking.ends_at - timedelta(days=14))
    last_week = next_week - timedelta(days=14)

    staff = browser.new_context(locale="fr-FR")
    page = staff.new_page()
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_url, HOST, PSY_EMAIL)
    page.get_by_role("link", name="Permanences").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Permanences du ")
    response = page.goto(url(live_url, HOST, f"/permanences/?jour={last_week.isoformat()}"))
    assert response is not None
    assert response.status == 200
    card = page.locator("li.card", has_text=NICKNAME)
    assert "06 00 11 22 33" in card.inner_text()
    assert "Téléphone" in card.inner_text()
    _check(page, "dropin-day")
    card.get_by_label("Numéro du dossier (vide : permanence anonyme)").fill(seed.case_code)
    card.get_by_label("Résumé (facultatif)").fill("Premier échange avec la maman de Lou.")
    with page.expect_navigation():
        card.get_by_role("button", name="Tenue").click()
    assert (f"Permanence tenue : l'échange est ajouté au dossier {seed.case_code}."
            in page.locator(".messages").inner_text())
    page.locator("li.card", has_text=NICKNAME).get_by_role(
        "link", name="Voir l'échange dans le dossier").click()
    page.wait_for_load_state()
    assert "Premier échange avec la maman de Lou." in page.content()
    staff.close()
    with schema_context(SCHEMA):
        booking.refresh_from_db()
        assert booking.status == "held"
        interaction = Interaction.objects.get(dropin_booking=booking)
        assert list(interaction.cases.values_list("pk", flat=True)) == [seed.case_id]
        assert interaction.kind.code == "drop_in"


def test_the_public_page_speaks_english(world: World, seed: Seed, live_url: str,
                                        browser: Any, english_catalogue: None) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_viewport_size(PHONE)
    response = page.goto(url(live_url, HOST, "/rendez-vous"))
    assert response is not None
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Book a time with a psychologist of Acme Solidarité")
    assert page.get_by_label("Your first name or a nickname").count() == 1
    assert page.get_by_role("button", name="Book this slot").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Book this slot").click()
    page.wait_for_load_state()
    assert "Choose a slot." in page.content()
    screenshot(page, "dropin-public-english-phone")
    context.close()
