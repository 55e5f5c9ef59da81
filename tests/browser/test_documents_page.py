"""Documents on a case in Chromium, on a phone: a psychologist uploads a PDF on a case and
downloads it back, a file that is not what its name says is refused in French, the page
reads in English too; a volunteer is refused the page and the download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import PASSWORD, World
from tests.tracking.factories import make_case

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
PSY_EMAIL = "psy-documents@acme.example"
VOLUNTEER_EMAIL = "benevole-documents@acme.example"
TOWN = "Navigny-Documents"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _member(world: World, email: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password=PASSWORD)
        membership_create(actor=None, association=world.acme, user=user, role=role)
    return user


@pytest.fixture(scope="module")
def case_id(world: World, django_db_blocker: Any) -> int:
    from tracking.models import Case

    with django_db_blocker.unblock():
        psychologist = _member(world, PSY_EMAIL, Role.PSYCHOLOGIST)
        _member(world, VOLUNTEER_EMAIL, Role.VOLUNTEER)
        with schema_context(world.acme.schema_name):
            case = Case.objects.filter(town=TOWN).first() or make_case(
                world.acme, world.acme_members["admin"], staff=[psychologist],
                first_name="Maëlys", town=TOWN)
        return int(case.pk)


def _fits_phone(page: Any, name: str) -> None:
    assert page.get_by_role("heading", level=1).count() == 1
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert unlabelled_fields(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide on a 375px phone"
    screenshot(page, f"{name}-phone")


def test_a_psychologist_uploads_and_downloads_a_volunteer_is_refused(
        world: World, case_id: int, live_url: str, browser: Any, tmp_path: Path) -> None:
    host = f"acme.{settings.BASE_DOMAIN}"
    psy = browser.new_context(locale="fr-FR", viewport=PHONE, accept_downloads=True)
    page = psy.new_page()
    sign_in(page, live_url, host, PSY_EMAIL)
    page.goto(url(live_url, host, f"/dossiers/{case_id}/"))
    page.get_by_role("link", name="Documents", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Documents du dossier")
    _fits_phone(page, "case-documents")

    # Not what its name says: refused, in French, nothing listed.
    page.get_by_label("Fichier").set_input_files(files=[{
        "name": "ordonnance.pdf", "mimeType": "application/pdf",
        "buffer": b"MZ\x90\x00\x03" + bytes(60)}])
    page.get_by_role("button", name="Déposer", exact=True).click()
    page.wait_for_load_state()
    assert "Ce type de fichier n'est pas accepté" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("link", name="ordonnance.pdf").count() == 0

    page.get_by_label("Fichier").set_input_files(files=[{
        "name": "attestation-college.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Déposer", exact=True).click()
    page.wait_for_load_state()
    assert "Document déposé." in page.content()
    link = page.get_by_role("link", name="attestation-college.pdf").first
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename == "attestation-college.pdf"
    target = tmp_path / "telecharge.pdf"
    download.save_as(str(target))
    assert target.read_bytes() == PDF
    _fits_phone(page, "case-documents-uploaded")
    href = link.get_attribute("href")
    assert href is not None

    # The same page in English.
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    page.goto(url(live_url, host, f"/dossiers/{case_id}/documents/"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Upload a document").count() == 1
    assert "Déposer un document" not in page.content()
    _fits_phone(page, "case-documents-english")
    psy.close()

    volunteer = browser.new_context(locale="fr-FR", viewport=PHONE, accept_downloads=True)
    page = volunteer.new_page()
    sign_in(page, live_url, host, VOLUNTEER_EMAIL)
    for path in (f"/dossiers/{case_id}/documents/", href):
        response = page.goto(url(live_url, host, path))
        assert response is not None
        assert response.status == 404, path
        assert "attestation-college" not in page.content()
    volunteer.close()
