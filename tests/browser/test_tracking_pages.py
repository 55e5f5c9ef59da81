"""Every case-tracking page in Chromium, signed in with the role that uses it: it renders
(200, one h1), names every form field, fits a 375px-wide phone, and its main action works
(open a case, log an interaction in three clicks, record attendance, an awareness session,
a public referral). The clinical note shows to a psychologist, never to a listener."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import screenshot, sign_in, unlabelled_fields, url
from tests.conftest import PASSWORD, World
from tests.tracking.factories import actor, item, log_interaction, make_case

pytestmark = pytest.mark.browser

SCHEMA = "a_acme"
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}

# Distinctive values: other browser tests share this committed database.
PSY_EMAIL = "psy-navigateur@acme.example"
LISTENER_EMAIL = "ecoute-navigateur@acme.example"
COORDINATOR_EMAIL = "coord-navigateur@acme.example"
PARTNER_NAME = "Collège Navigateur-Pasteur"
LISTENER_TOWN = "Navigny-Écoute"
PSY_TOWN = "Navigny-Psy"
GROUP_THEME = "Parler de l'école — Navigateur"
SUMMARY = "Entretien de suivi avec la famille, prise de contact navigateur."
CLINICAL_NOTE = "Note clinique navigateur : anxiété en baisse depuis le dernier entretien."


@dataclass(frozen=True)
class Seed:
    listener_case_id: int
    listener_case_code: str
    psy_case_id: int
    psy_case_code: str
    partner_id: int
    group_id: int
    session_id: int


def _member(world: World, email: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password=PASSWORD)
        membership_create(actor=None, association=world.acme, user=user, role=role)
    return user


@pytest.fixture(scope="module")
def seed(world: World, django_db_blocker: Any) -> Seed:
    """Committed data the live server can read, created once (looked up by its values)."""
    from tracking.groups import services as groups
    from tracking.interactions import directory
    from tracking.models import Case, ExchangeGroup, Partner

    admin = world.acme_members["admin"]
    admin_actor = actor(admin, "admin")
    with django_db_blocker.unblock():
        psychologist = _member(world, PSY_EMAIL, Role.PSYCHOLOGIST)
        listener = _member(world, LISTENER_EMAIL, Role.LISTENER)
        _member(world, COORDINATOR_EMAIL, Role.COORDINATOR)
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        partner = Partner.objects.filter(name=PARTNER_NAME).first() or directory.partner_create(
            actor=admin_actor, name=PARTNER_NAME, kind=item("partner_type", "middle_school"),
            town="Navigny", department="93",
        )
        listener_case = Case.objects.filter(town=LISTENER_TOWN).first() or make_case(
            world.acme, admin, staff=[listener], first_name="Léonie", town=LISTENER_TOWN,
            referring_partner=partner,
        )
        psy_case = Case.objects.filter(town=PSY_TOWN).first()
        if psy_case is None:
            # The listener follows this young person too: same case, no clinical note shown.
            psy_case = make_case(world.acme, admin, staff=[psychologist, listener],
                                 first_name="Yanis", town=PSY_TOWN)
            log_interaction(world.acme, psychologist, "psychologist", psy_case,
                            summary=SUMMARY, clinical_note=CLINICAL_NOTE)
        group = ExchangeGroup.objects.filter(theme=GROUP_THEME).first() or groups.group_create(
            actor=admin_actor, theme=GROUP_THEME, weekday=2, capacity=8,
            facilitator_ids=[admin.pk],
        )
        session = groups.group_session_create(
            actor=admin_actor, group=group, held_on=timezone.localdate(), topic="Rentrée",
        )
        if not session.attendances.exists():
            groups.attendance_record(actor=admin_actor, session=session,
                                     statuses={listener_case.pk: "present"})
        return Seed(
            listener_case_id=listener_case.pk, listener_case_code=listener_case.code,
            psy_case_id=psy_case.pk, psy_case_code=psy_case.code, partner_id=partner.pk,
            group_id=group.pk, session_id=session.pk,
        )


HOST = f"acme.{settings.BASE_DOMAIN}"


def go(page: Any, live_url: str, path: str) -> None:
    response = page.goto(url(live_url, HOST, path))
    assert response is not None, path
    assert response.status == 200, (path, response.status)


def submit(page: Any, click: Callable[[], None]) -> None:
    """Click something that navigates; the page it lands on answers 200."""
    with page.expect_navigation() as navigation:
        click()
    assert navigation.value is not None, page.url
    assert navigation.value.status == 200, page.url



def check_page(page: Any, name: str, *, open_details: bool = True,
               known_unlabelled: tuple[str, ...] = (), fits_phone: bool = True) -> None:
    """One h1, every visible field labelled (inside <details> too), no sideways scroll on a
    phone; a laptop and a phone screenshot."""
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_role("heading", level=1).inner_text().strip()
    if open_details:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert [f for f in unlabelled_fields(page) if f not in known_unlabelled] == []
    screenshot(page, f"{name}-laptop")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if fits_phone:
        assert width <= PHONE["width"], f"{name}: {width}px wide on a 375px phone"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)


def test_home_lists_my_open_cases(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    go(page, live_url, "/")
    assert "Acme Solidarité" in page.get_by_role("heading", level=1).inner_text()
    mine = page.get_by_role("region", name="Mes dossiers ouverts")
    assert mine.get_by_role("link", name=seed.listener_case_code).is_visible()
    check_page(page, "tracking-home")


def test_case_list_with_a_filter(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    go(page, live_url, "/dossiers/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dossiers"
    page.get_by_label("Numéro ou commune").fill(LISTENER_TOWN)
    page.get_by_label("État").select_option("all")
    page.get_by_label("Trier par").select_option("code")
    submit(page, lambda: page.get_by_role("button", name="Filtrer").click())
    assert "q=Navigny-%C3%89coute" in page.url
    assert "status=all" in page.url
    assert page.get_by_label("Numéro ou commune").input_value() == LISTENER_TOWN
    table = page.get_by_role("table", name="Liste des dossiers")
    assert table.get_by_role("link", name=seed.listener_case_code).is_visible()
    assert table.get_by_role("link", name=seed.psy_case_code).count() == 0
    assert page.get_by_role("status").filter(has_text="dossier").inner_text() == "1 dossier"
    check_page(page, "case-list-filtered")


def test_open_a_case_from_the_form(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    go(page, live_url, "/dossiers/nouveau/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ouvrir un dossier"
    check_page(page, "case-create")
    page.get_by_label("Prénom (facultatif)").fill("Maëlys")
    page.get_by_label("Année de naissance").fill(str(timezone.localdate().year - 14))
    page.get_by_label("Genre").select_option("girl")
    page.get_by_label("Commune").fill("Navigny-Création")
    page.get_by_label("Département").fill("93")
    page.get_by_label("Rôle du jeune dans la situation").select_option("targeted")
    page.get_by_label("Harcèlement").check()
    page.get_by_label("Partenaire orienteur").select_option(label=PARTNER_NAME)
    submit(page, lambda: page.get_by_role("button", name="Enregistrer").click())
    assert "/dossiers/nouveau/" not in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Dossier ")
    assert "Maëlys" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("status").filter(has_text="ouvert.").is_visible()
    assert page.get_by_text("Navigny-Création (93)").is_visible()
    screenshot(page, "case-created")


def _log_interaction(page: Any, summary: str, *, kind: str | None) -> None:
    """Open "Noter un échange", (choose a type,) write the summary, save."""
    page.get_by_text("Noter un échange").click()
    if kind is not None:
        page.get_by_label("Type d'échange").select_option(label=kind)
    page.get_by_label("Résumé").fill(summary)
    submit(page, lambda: page.get_by_role("button", name="Enregistrer l'échange").click())


def test_log_an_interaction_in_three_clicks(
    world: World, seed: Seed, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    go(page, live_url, f"/dossiers/{seed.listener_case_id}/")
    _log_interaction(page, "Trois clics suffisent.", kind=None)
    assert page.locator("ol.timeline li").filter(has_text="Trois clics suffisent.").count() == 1


def test_log_an_interaction_from_the_case_page(
    world: World, seed: Seed, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    go(page, live_url, f"/dossiers/{seed.listener_case_id}/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Dossier {seed.listener_case_code} · Léonie"
    )
    summary = f"Appel de la mère de Léonie, point sur la semaine ({timezone.now():%H:%M:%S})."
    _log_interaction(page, summary, kind="Appel")
    assert page.url.endswith(f"/dossiers/{seed.listener_case_id}/")
    assert page.get_by_role("status").filter(has_text="Échange enregistré.").is_visible()
    # Dated to the minute by the form, so it may follow an event of the same minute.
    logged = page.locator("ol.timeline li.timeline-interaction").filter(has_text=summary)
    assert logged.count() == 1
    assert logged.is_visible()
    assert "Appel · Téléphone" in logged.inner_text()

    # The case page on a phone, as a listener sees it between two calls.
    page.set_viewport_size(PHONE)
    screenshot(page, "case-page-phone")
    page.set_viewport_size(LAPTOP)
    check_page(page, "case-page-all-open")


def test_case_page_fits_a_phone(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    page.set_viewport_size(PHONE)
    go(page, live_url, f"/dossiers/{seed.listener_case_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_case_page_fields_all_labelled(
    world: World, seed: Seed, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    go(page, live_url, f"/dossiers/{seed.listener_case_id}/")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert unlabelled_fields(page) == []


def test_edit_a_case(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, LISTENER_EMAIL)
    go(page, live_url, f"/dossiers/{seed.listener_case_id}/")
    submit(page, lambda: page.get_by_role("link", name="Modifier").click())
    assert page.url.endswith(f"/dossiers/{seed.listener_case_id}/modifier/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Modifier le dossier {seed.listener_case_code}"
    )
    assert page.get_by_label("Commune").input_value() == LISTENER_TOWN
    check_page(page, "case-edit")
    page.get_by_label("Programme").select_option(label="Accompagnement individuel")
    submit(page, lambda: page.get_by_role("button", name="Enregistrer").click())
    assert page.url.endswith(f"/dossiers/{seed.listener_case_id}/")
    assert page.get_by_role("status").filter(has_text="Dossier enregistré.").is_visible()


def test_partner_list_and_page(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    go(page, live_url, "/partenaires/")
    assert page.get_by_role("heading", level=1).inner_text() == "Partenaires"
    check_page(page, "partner-list")
    submit(page, lambda: page.get_by_role("link", name=PARTNER_NAME).click())
    assert page.url.endswith(f"/partenaires/{seed.partner_id}/")
    assert page.get_by_role("heading", level=1).inner_text() == PARTNER_NAME
    assert page.get_by_role("link", name=seed.listener_case_code).is_visible()
    check_page(page, "partner-page")


def test_groups_session_and_attendance(
    world: World, seed: Seed, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    go(page, live_url, "/groupes/")
    assert page.get_by_role("heading", level=1).inner_text() == "Groupes"
    check_page(page, "group-list")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    submit(page, lambda: page.get_by_role("link", name=GROUP_THEME).click())
    assert page.url.endswith(f"/groupes/{seed.group_id}/")
    assert page.get_by_role("heading", level=1).inner_text() == GROUP_THEME
    check_page(page, "group-page")
    session_link = page.locator(f"a[href$='/seances/{seed.session_id}/']")
    submit(page, session_link.click)
    assert page.get_by_role("heading", level=1).inner_text().startswith(GROUP_THEME + " — ")
    check_page(page, "group-session")

    page.get_by_label("Présence de Léonie").select_option("excused")
    page.get_by_label("Ajouter un jeune (numéro de dossier)").fill(seed.psy_case_code)
    submit(page, lambda: page.get_by_role("button", name="Enregistrer les présences").click())
    assert page.get_by_role("status").filter(has_text="Présences enregistrées.").is_visible()
    assert page.get_by_label("Présence de Léonie").input_value() == "excused"
    assert page.get_by_label("Présence de Yanis").input_value() == "present"
    screenshot(page, "group-session-recorded")


def test_record_an_awareness_session(
    world: World, seed: Seed, live_url: str, page: Any
) -> None:
    sign_in(page, live_url, HOST, COORDINATOR_EMAIL)
    go(page, live_url, "/sensibilisation/")
    assert page.get_by_role("heading", level=1).inner_text() == "Séances de sensibilisation"
    check_page(page, "awareness-list", open_details=False)
    page.get_by_text("Enregistrer une séance").click()
    assert unlabelled_fields(page) == []
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_label("Partenaire").select_option(label=PARTNER_NAME)
    page.get_by_label("Commune").fill("Navigny-Sensibilisation")
    page.get_by_label("Élèves").fill("57")
    page.get_by_label("Enseignants").fill("4")
    submit(page, lambda: page.get_by_role("button", name="Enregistrer", exact=True).click())
    assert page.get_by_role("status").filter(
        has_text="Séance de sensibilisation enregistrée.").is_visible()
    row = page.get_by_role("row").filter(has_text="Navigny-Sensibilisation")
    assert row.get_by_role("cell", name="57").is_visible()
    check_page(page, "awareness-recorded")


def test_audit_log_for_the_admin(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, world.acme_members["admin"].email)
    go(page, live_url, f"/dossiers/{seed.psy_case_id}/")  # leaves a case.read entry
    go(page, live_url, "/journal/")
    assert page.get_by_role("heading", level=1).inner_text() == "Journal d'audit"
    page.get_by_label("Action (début)").fill("case.read")
    submit(page, lambda: page.get_by_role("button", name="Filtrer").click())
    assert "action=case.read" in page.url
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    assert rows.first.get_by_role("cell", name="case.read").is_visible()
    check_page(page, "audit-log")


def test_figures_for_the_admin(world: World, seed: Seed, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, world.acme_members["admin"].email)
    go(page, live_url, "/chiffres/")
    assert page.get_by_role("heading", level=1).inner_text() == "Chiffres d'activité"
    check_page(page, "figures")


def test_public_referral_form(world: World, seed: Seed, live_url: str, page: Any) -> None:
    go(page, live_url, "/signaler")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Signaler une situation à Acme Solidarité"
    )
    check_page(page, "referral-form")
    page.get_by_label("Vous êtes").select_option("school")
    page.get_by_label("Votre nom").fill("Mme Navigatrice, CPE")
    page.get_by_label("Votre téléphone ou e-mail").fill("cpe.navigateur@college.example")
    page.get_by_label("Prénom du jeune (facultatif)").fill("Sacha")
    page.get_by_label("Année de naissance du jeune").fill(str(timezone.localdate().year - 12))
    page.get_by_label("Commune").fill("Navigny-Signalement")
    page.get_by_label("Ce qui se passe").fill(
        "Sacha reçoit des messages insultants sur un groupe de classe depuis deux semaines."
    )
    submit(page, lambda: page.get_by_role("button", name="Envoyer le signalement").click())
    assert page.get_by_role("heading", level=1).inner_text() == "Merci"
    check_page(page, "referral-thanks")


def test_clinical_note_shows_to_the_psychologist_only(
    world: World, seed: Seed, live_url: str, browser: Any
) -> None:
    path = f"/dossiers/{seed.psy_case_id}/"
    psy = browser.new_context(locale="fr-FR")
    listener = browser.new_context(locale="fr-FR")
    try:
        psy_page, listener_page = psy.new_page(), listener.new_page()
        sign_in(psy_page, live_url, HOST, PSY_EMAIL)
        go(psy_page, live_url, path)
        assert psy_page.get_by_text(SUMMARY).is_visible()
        assert psy_page.locator(".clinical").get_by_text(CLINICAL_NOTE).is_visible()
        assert psy_page.get_by_label("Note clinique (visible des seuls psychologues)").count() == 1
        check_page(psy_page, "case-page-psychologist")

        sign_in(listener_page, live_url, HOST, LISTENER_EMAIL)
        go(listener_page, live_url, path)
        assert listener_page.get_by_text(SUMMARY).is_visible()
        assert CLINICAL_NOTE not in listener_page.content()
        assert listener_page.locator(".clinical").count() == 0
        assert listener_page.get_by_label("Note clinique (visible des seuls psychologues)"
                                          ).count() == 0
        check_page(listener_page, "case-page-listener")
    finally:
        psy.close()
        listener.close()
