"""Done-when walk of onboarding in headless Chromium, against the live server and a real
Celery worker: sign up → verify the e-mail → workspace ready → invite a psychologist →
the psychologist accepts → first case created.

E-mails are read from Django's locmem outbox: the live server runs in this process.
The data is committed, in an association of its own ("entraide-walk")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django_tenants.utils import schema_context

from onboarding.models import SignUp
from tenants.models import Membership, User
from tests.browser.conftest import second_factor, url
from tests.browser.test_tracking_pages import check_page, submit
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.worker]

SLUG = "entraide-walk"
HOST = f"{SLUG}.{settings.BASE_DOMAIN}"
DIRECTOR = "direction@entraide-walk.example"
PSY = "psy@entraide-walk.example"
PASSWORD = "un-mot-de-passe-solide-42"




def link_path(kind: str, to: str) -> str:
    """The path of the last link of that kind mailed to `to`."""
    bodies = [str(m.body) for m in mail.outbox if m.to == [to]]
    assert bodies, [m.to for m in mail.outbox]
    match = re.search(rf"https?://[^/\s]+(/inscription/{kind}/[A-Za-z0-9_\-]+/)", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def test_an_association_signs_up_invites_a_psychologist_who_opens_a_case(
    world: World, live_url: str, page: Any, browser: Any, worker: None,
    django_db_blocker: Any,
) -> None:
    base = settings.BASE_DOMAIN
    page.goto(url(live_url, base, "/"))
    submit(page, lambda: page.get_by_role("link", name="Créer l'espace de votre association")
           .click())
    check_page(page, "signup-form")
    page.get_by_label("Nom de l'association", exact=True).fill("Entraide Walk")
    page.get_by_label("Numéro RNA, SIREN ou SIRET").fill("W 931 000 042")
    page.get_by_label("Adresse de votre espace").fill(SLUG)
    page.get_by_label("Votre nom", exact=True).fill("Nadia Benali")
    page.get_by_label("Votre adresse e-mail").fill(DIRECTOR)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_dpa").check()
    submit(page, lambda: page.get_by_role("button", name="Créer l'espace").click())
    assert page.get_by_role("heading", level=1).inner_text() == "Vérifiez votre adresse e-mail"

    # The link of the e-mail; the page asks before using it.
    page.goto(url(live_url, base, link_path("verifier", DIRECTOR)))
    submit(page, lambda: page.get_by_role("button", name="Confirmer et créer l'espace")
           .click())
    page.get_by_role("heading", name="Votre espace est prêt").wait_for(timeout=90_000)
    with django_db_blocker.unblock():
        signup = SignUp.objects.get(slug=SLUG)
    assert signup.status == "ready"
    print(f"\nsign-up → usable workspace: {signup.provisioning_seconds:.2f} s "  # noqa: T201 (the figure, with -s)
          "(form submitted, e-mail verified in the browser, provisioned by the worker)")

    submit(page, lambda: page.get_by_role("button", name="Entrer dans mon espace").click())
    assert page.url.startswith(f"http://{HOST}:")
    # An admin: the password again (the pass between hosts proves nothing), then a TOTP.
    assert "/accounts/reauthenticate/" in page.url, page.url
    second_factor(page, live_url, HOST, DIRECTOR, PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Bienvenue dans l'espace de Entraide Walk")
    checklist = page.locator("#demarrage")
    assert checklist.get_by_role("heading", name="Premiers pas").is_visible()
    check_page(page, "checklist")

    submit(page, lambda: checklist.get_by_role("link", name="Inviter l'équipe").click())
    page.get_by_label("Adresse e-mail", exact=True).fill(PSY)
    page.get_by_label("Rôle", exact=True).select_option(label="Psychologue")
    submit(page, lambda: page.get_by_role("button", name="Envoyer l'invitation").click())
    assert page.get_by_text(f"Invitation envoyée à {PSY}.").is_visible()
    check_page(page, "team")

    psy_context = browser.new_context(locale="fr-FR")
    psy_page = psy_context.new_page()
    try:
        psy_page.goto(url(live_url, base, link_path("invitation", PSY)))
        assert psy_page.get_by_role("heading", level=1).inner_text() == (
            "Rejoindre l'équipe de Entraide Walk")
        psy_page.get_by_label("Votre nom", exact=True).fill("Léa Martin")
        psy_page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        submit(psy_page, lambda: psy_page.get_by_role(
            "button", name="Créer mon compte et rejoindre l'équipe").click())
        assert psy_page.url.startswith(f"http://{HOST}:")
        assert psy_page.locator(".who").inner_text() == f"{PSY} · Psychologue"
        second_factor(psy_page, live_url, HOST, PSY, PASSWORD)  # a psychologist: a TOTP

        psy_page.goto(url(live_url, HOST, "/dossiers/nouveau/"))
        psy_page.get_by_label("Commune").fill("Saint-Denis")
        submit(psy_page, lambda: psy_page.get_by_role("button", name="Enregistrer").click())
        assert re.search(r"/dossiers/\d+/$", psy_page.url), psy_page.url
    finally:
        psy_context.close()

    with django_db_blocker.unblock():
        psy = User.objects.get(email=PSY)
        assert Membership.objects.get(user=psy, association=signup.association).role == (
            "psychologist")
        with schema_context(f"a_{SLUG.replace('-', '_')}"):
            from tracking.models import Case

            case = Case.objects.get()
            assert case.town == "Saint-Denis"
