"""An association admin imports the Monday.com sample in Chromium: upload, column and value
mapping, dry run, commit, report. The import writes committed data: it works in an
association of its own ("epsilon"), so that nothing reaches the tests of other
associations."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from onboarding.samples.make_monday_sample import SAMPLE
from tenants.models import Association
from tenants.tenancy.services import association_create
from tests.browser.conftest import sign_in, url
from tests.browser.test_tracking_pages import check_page, submit
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

SLUG = "epsilon"
HOST = f"{SLUG}.{settings.BASE_DOMAIN}"
ADMIN = "admin@epsilon.example"


@pytest.fixture(scope="module")
def epsilon(world: World, django_db_blocker: Any) -> Association:
    with django_db_blocker.unblock():
        existing = Association.objects.filter(slug=SLUG).first()
        if existing is not None:
            return existing
        return association_create(actor=None, slug=SLUG, name="Epsilon Écoute",
                                  admin_email=ADMIN, admin_password=PASSWORD).association


def test_admin_imports_the_monday_sample(
    epsilon: Association, live_url: str, page: Any, django_db_blocker: Any
) -> None:
    from tracking.models import Case

    sign_in(page, live_url, HOST, ADMIN)
    response = page.goto(url(live_url, HOST, "/parametres/import/"))
    assert response is not None
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Importer des données"
    check_page(page, "import-home")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Fichier CSV ou Excel (.xlsx)").set_input_files(str(SAMPLE))
    submit(page, lambda: page.get_by_role("button", name="Lire le fichier").click())
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Import de monday_suivi_jeunes.xlsx")
    # The sample's referents are not members of this association: that column is ignored.
    page.get_by_label("La colonne « Référent·e » devient", exact=True).select_option(
        label="Ignorer")
    page.get_by_label("Nouveaux signalements", exact=True).select_option(
        label="Signalement reçu")
    page.get_by_label("Suivis en cours", exact=True).select_option(label="Accompagnement")
    check_page(page, "import-mapping", fits_phone=False)
    page.set_viewport_size({"width": 1280, "height": 800})

    submit(page, lambda: page.get_by_role(
        "button", name="Vérifier le fichier (sans rien écrire)").click())
    assert page.locator("#nb-crees").inner_text() == "12", page.content()[:4000]
    assert page.locator("#nb-erreurs").inner_text() == "0"
    with django_db_blocker.unblock(), schema_context(epsilon.schema_name):
        assert Case.objects.count() == 0

    submit(page, lambda: page.get_by_role(
        "button", name="Importer : 12 à créer, 0 à mettre à jour").click())
    assert page.get_by_text("Import terminé : toutes les lignes ont été importées.").is_visible()
    assert page.locator("#nb-crees").inner_text() == "12"
    check_page(page, "import-report")
    with django_db_blocker.unblock(), schema_context(epsilon.schema_name):
        assert Case.objects.count() == 12
        assert Case.objects.filter(external_id="1811000302", stage__key="closed").exists()
