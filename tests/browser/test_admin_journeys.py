"""An association admin shapes the tool in Chromium, as a new user would: a custom field
added and answered, a stage and a transition added, published, and a case moved through
them. These tests write: they work in an association of their own ("gamma"), so that the
committed data never reaches the tests of other associations."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tenants.models import Association, Network
from tenants.tenancy.services import association_create
from tests.browser.conftest import sign_in, url
from tests.browser.test_tracking_pages import check_page, submit
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

SLUG = "gamma"
HOST = f"{SLUG}.{settings.BASE_DOMAIN}"
ADMIN = "admin@gamma.example"


@pytest.fixture(scope="module")
def gamma(world: World, django_db_blocker: Any) -> Association:
    with django_db_blocker.unblock():
        existing = Association.objects.filter(slug=SLUG).first()
        if existing is not None:
            return existing
        return association_create(actor=None, slug=SLUG, name="Gamma Entraide",
                                  admin_email=ADMIN, admin_password=PASSWORD).association


def go(page: Any, live_url: str, path: str) -> None:
    response = page.goto(url(live_url, HOST, path))
    assert response is not None, path
    assert response.status == 200, path


def open_case(page: Any, live_url: str, town: str, answer: str | None = None) -> str:
    """Open a case through the form; returns the case page's path."""
    go(page, live_url, "/dossiers/nouveau/")
    page.get_by_label("Commune").fill(town)
    if answer is not None:
        page.get_by_label("Niveau scolaire").select_option(label=answer)
    submit(page, lambda: page.get_by_role("button", name="Enregistrer").click())
    assert "/dossiers/" in page.url, page.url
    assert "nouveau" not in page.url, page.content()[:3000]
    return "/" + page.url.split("/", 3)[3]


def test_admin_adds_a_custom_field_and_the_team_answers_it(
    gamma: Association, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, ADMIN)
    go(page, live_url, "/parametres/champs/")
    assert page.get_by_role("heading", level=1).inner_text() == "Champs personnalisés"
    cases = page.locator("#champs-case")
    cases.get_by_text("Ajouter un champ").click()
    cases.get_by_label("Libellé", exact=True).fill("Niveau scolaire")
    cases.get_by_label("Type", exact=True).select_option(label="Choix unique")
    cases.get_by_label("Choix, un par ligne").fill("Collège\nLycée")
    submit(page, lambda: cases.get_by_role("button", name="Ajouter le champ").click())
    assert page.get_by_text("Champ « Niveau scolaire » ajouté.").is_visible()
    check_page(page, "custom-fields")

    college = open_case(page, live_url, "Ville-Collège", "Collège")
    assert page.get_by_text("Niveau scolaire", exact=True).count() >= 1
    assert page.locator(".facts").get_by_text("Collège", exact=True).is_visible()
    open_case(page, live_url, "Ville-Lycée", "Lycée")

    go(page, live_url, "/dossiers/")
    page.get_by_label("Niveau scolaire").select_option(label="Collège")
    submit(page, lambda: page.get_by_role("button", name="Filtrer").click())
    table = page.get_by_role("table", name="Liste des dossiers")
    assert table.get_by_text("Ville-Collège").is_visible()
    assert table.get_by_text("Ville-Lycée").count() == 0
    assert college


def test_admin_adds_a_stage_and_a_transition_publishes_and_moves_a_case(
    gamma: Association, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, ADMIN)
    go(page, live_url, "/dossiers/nouveau/")
    case_page = open_case(page, live_url, "Ville-Médiation",
                          "Lycée" if page.get_by_label("Niveau scolaire").count() else None)

    go(page, live_url, "/parametres/parcours/")
    submit(page, lambda: page.get_by_role(
        "button", name="Modifier le parcours (créer un brouillon)").click())
    page.get_by_text("Ajouter une étape").click()
    page.locator("#name-new").fill("Médiation")
    submit(page, lambda: page.get_by_role("button", name="Ajouter", exact=True).click())
    assert page.get_by_role("alert").count() >= 1  # unreachable, no way out: said before publishing
    for source, target, label in (("Signalement reçu", "Médiation", "Orienter vers la médiation"),
                                  ("Médiation", "Évaluation", "Médiation terminée")):
        page.get_by_text("Ajouter une transition").click()
        page.get_by_label("De", exact=True).select_option(label=source)
        page.get_by_label("Vers", exact=True).select_option(label=target)
        page.locator("#t-label").fill(label)
        submit(page, lambda: page.get_by_role("button", name="Ajouter la transition").click())
    assert page.get_by_text("Le brouillon est valide.").is_visible(), page.content()[:4000]
    assert page.locator("figure.diagram svg").last.get_by_text("Médiation", exact=True).count() == 1
    submit(page, lambda: page.get_by_role("button", name="Publier cette version").click())
    assert page.get_by_text("Nouvelle version du parcours en vigueur.").is_visible()

    go(page, live_url, case_page)
    move = page.locator("details", has_text="Orienter vers la médiation")
    move.locator("summary").click()
    move.get_by_label("Commentaire (facultatif)").fill("La famille accepte")
    submit(page, lambda: move.get_by_role("button", name="Confirmer").click())
    assert page.get_by_text("Signalement reçu → Médiation").count() >= 1, page.content()[:4000]
    move = page.locator("details", has_text="Médiation terminée")
    move.locator("summary").click()
    submit(page, lambda: move.get_by_role("button", name="Confirmer").click())
    assert page.get_by_text("Médiation → Évaluation").count() >= 1


def test_admin_joins_a_network_by_accepting_its_agreement(
    gamma: Association, live_url: str, page: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        Network.objects.get_or_create(name="Réseau des navigateurs",
                                      defaults={"agreement_version": "2026-3"})
    sign_in(page, live_url, HOST, ADMIN)
    go(page, live_url, "/parametres/reseaux/")
    section = page.get_by_role("region", name="Réseau des navigateurs")
    with page.expect_navigation() as refused:  # the box unticked: refused, said why
        section.get_by_role("button", name="Partager nos chiffres anonymisés").click()
    assert refused.value is not None
    assert refused.value.status == 400
    assert page.get_by_role("alert").inner_text().startswith("Cochez la case")
    section = page.get_by_role("region", name="Réseau des navigateurs")
    section.get_by_label("J'ai lu et j'accepte", exact=False).check()
    submit(page, lambda: section.get_by_role("button", name="Partager nos chiffres anonymisés")
           .click())
    assert page.get_by_text("Partage accepté").count() >= 1
    check_page(page, "association-networks")
