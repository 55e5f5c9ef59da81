"""The employment programme on a case page, in Chromium on a phone: a listener records
the young person's first interview, sees it in the section and the timeline; a refused
"still in post" shows its French error and saves nothing; the page then reads in English."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import PASSWORD, World
from tests.tracking.factories import actor, item, make_case

pytestmark = pytest.mark.browser

HOST = f"acme.{settings.BASE_DOMAIN}"
PHONE = {"width": 375, "height": 740}
EMAIL = "emploi-navigateur@acme.example"
TOWN = "Navigny-Emploi"  # distinctive: browser tests share this committed database
NOTE = "Entretien chez un paysagiste, bonne impression (navigateur)."


@pytest.fixture(scope="module")
def case_id(world: World, django_db_blocker: Any) -> int:
    from tracking.employment.services import milestone_record
    from tracking.models import Case, EmploymentMilestone

    with django_db_blocker.unblock():
        listener = User.objects.filter(email=EMAIL).first()
        if listener is None:
            listener = User.objects.create_user(EMAIL, password=PASSWORD)
            membership_create(actor=None, association=world.acme, user=listener,
                              role=Role.LISTENER)
    with django_db_blocker.unblock(), schema_context("a_acme"):
        case = Case.objects.filter(town=TOWN).first()
        if case is None:
            case = make_case(world.acme, world.acme_members["admin"], staff=[listener],
                             first_name="Karim", town=TOWN,
                             birth_year=timezone.localdate().year - 21,
                             programme=item("programme", "back_to_work"),
                             opened_on=timezone.localdate() - timedelta(days=30))
            milestone_record(actor=actor(world.acme_members["admin"], "admin"), case=case,
                             kind=item("employment_milestone", "orientation"),
                             reached_on=timezone.localdate() - timedelta(days=20))
        EmploymentMilestone.objects.filter(case=case).exclude(
            kind__code="orientation").delete()  # a second run of this test starts afresh
        return int(case.pk)


def test_record_a_milestone_on_a_phone_then_read_the_page_in_english(
        world: World, case_id: int, live_url: str, page: Any, english_catalogue: None) -> None:
    from tracking.models import EmploymentMilestone

    sign_in(page, live_url, HOST, EMAIL)
    page.set_viewport_size(PHONE)
    response = page.goto(url(live_url, HOST, f"/dossiers/{case_id}/"))
    assert response is not None
    assert response.status == 200
    section = page.locator("#emploi")
    assert section.get_by_role("heading", name="Parcours vers l'emploi").is_visible()
    assert "Orientation par l'agence pour l'emploi" in section.inner_text()

    # A "still in post" before any job is refused, in French, and nothing is saved.
    section.get_by_text("Noter une étape").click()
    section.get_by_label("Étape franchie").select_option(label="Toujours en poste à 3 mois")
    with page.expect_navigation():
        section.get_by_role("button", name="Enregistrer l'étape").click()
    assert page.get_by_role("alert").filter(
        has_text="L'étape n'a pas été enregistrée").is_visible()
    assert page.get_by_text("ne peut être noté qu'après une étape « emploi ou stage »").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "employment-refused-phone")

    # The first interview, with a note, from the case page.
    page.goto(url(live_url, HOST, f"/dossiers/{case_id}/"))
    section = page.locator("#emploi")
    section.get_by_text("Noter une étape").click()
    assert unlabelled_fields(page) == []
    section.get_by_label("Étape franchie").select_option(label="Premier entretien")
    section.get_by_label("Date").fill(timezone.localdate().isoformat())
    section.get_by_label("Note (facultative)").fill(NOTE)
    with page.expect_navigation():
        section.get_by_role("button", name="Enregistrer l'étape").click()
    assert page.get_by_role("status").filter(
        has_text="Étape « Premier entretien » enregistrée.").is_visible()
    items = page.locator("#emploi ol.milestones li")
    assert items.count() == 2
    assert "Orientation" in items.nth(0).inner_text()
    assert "Premier entretien" in items.nth(1).inner_text()
    assert NOTE in items.nth(1).inner_text()
    assert page.locator("ol.timeline li").filter(
        has_text="Parcours vers l'emploi : Premier entretien").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "employment-recorded-phone")
    with schema_context("a_acme"):
        assert EmploymentMilestone.objects.filter(case_id=case_id).count() == 2

    # The same page in English.
    page.get_by_label("Langue").select_option("en")
    with page.expect_navigation():
        page.locator(".lang-form button").click()
    assert page.locator("html").get_attribute("lang") == "en"
    section = page.locator("#emploi")
    assert section.get_by_role("heading", name="Path to employment").is_visible()
    section.get_by_text("Record a milestone").click()
    assert section.get_by_label("Milestone reached").is_visible()
    assert section.get_by_role("button", name="Save the milestone").is_visible()
    assert page.locator("ol.timeline li").filter(
        has_text="Path to employment: Premier entretien").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "employment-english-phone")
