"""Question Psy in Chromium: a question goes from the public form through the staff queue
(reworded, added to a weekly session, answered by a psychologist, published) to the public
page, which shows the wording and the answer and nothing identifying. The pages fit a phone
and speak English."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import sign_in, url
from tests.browser.test_tracking_pages import PHONE, check_page, go, submit
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

SCHEMA = "a_acme"
HOST = f"acme.{settings.BASE_DOMAIN}"
PSY_EMAIL = "psy-question@acme.example"
COORDINATOR_EMAIL = "coord-question@acme.example"
ASKED = "Je suis Lina-Navigatrice du collège Jaurès-Navigateur, on m'insulte sur le groupe."
NICKNAME = "Pseudo-Navigateur"
WORDING = "Des élèves m'insultent sur un groupe de messagerie : que puis-je faire ?"
ANSWER = "Garde des preuves, bloque les comptes et parles-en à un adulte de confiance."


def _member(world: World, email: str, role: str) -> None:
    if not User.objects.filter(email=email).exists():
        user = User.objects.create_user(email, password=PASSWORD)
        membership_create(actor=None, association=world.acme, user=user, role=role)


@pytest.fixture(scope="module")
def opened(world: World, django_db_blocker: Any) -> None:
    """The association has opened its public form (committed: the live server reads it)."""
    from tracking.models import QuestionSettings

    with django_db_blocker.unblock():
        _member(world, PSY_EMAIL, Role.PSYCHOLOGIST)
        _member(world, COORDINATOR_EMAIL, Role.COORDINATOR)
        with schema_context(SCHEMA):
            QuestionSettings.objects.update_or_create(pk=1, defaults={"form_open": True})


def _question_id(django_db_blocker: Any) -> int:
    from tracking.models import Question

    with django_db_blocker.unblock(), schema_context(SCHEMA):
        return next(q.pk for q in Question.objects.filter(status="new")
                    if q.original_text == ASKED)


def test_a_question_goes_from_the_public_form_to_a_published_answer(
    world: World, opened: None, live_url: str, browser: Any, django_db_blocker: Any,
) -> None:
    visitor = browser.new_context(locale="fr-FR")
    page = visitor.new_page()
    go(page, live_url, "/question-psy/")
    assert "N'écris aucun nom" in page.content()
    check_page(page, "question-form")
    # Nothing but the question is required: an empty one is refused, in French.
    submit_empty = page.get_by_role("button", name="Envoyer ma question")
    with page.expect_navigation():
        submit_empty.click()
    assert "Écrivez votre question." in page.content()
    page.get_by_label("Votre question").fill(ASKED)
    page.get_by_label("Un pseudo (facultatif)").fill(NICKNAME)
    page.get_by_label("Vous êtes (facultatif)").select_option("young_person")
    submit(page, lambda: page.get_by_role("button", name="Envoyer ma question").click())
    assert page.get_by_role("heading", level=1).inner_text() == "Merci"
    question_id = _question_id(django_db_blocker)

    staff = browser.new_context(locale="fr-FR")
    coordinator = staff.new_page()
    sign_in(coordinator, live_url, HOST, COORDINATOR_EMAIL)
    go(coordinator, live_url, "/questions/")
    check_page(coordinator, "question-queue")
    submit(coordinator, lambda: coordinator.get_by_role(
        "link", name=f"Question n° {question_id}", exact=True).click())
    assert ASKED in coordinator.content()  # the staff read the original
    check_page(coordinator, "question-detail")
    coordinator.get_by_label("Formulation publiable").fill(WORDING)
    submit(coordinator, lambda: coordinator.get_by_role(
        "button", name="Enregistrer la formulation").click())
    go(coordinator, live_url, "/questions/seances/")
    check_page(coordinator, "question-sessions")
    held = timezone.localdate() - timedelta(days=1)
    coordinator.get_by_label("Date de la séance").fill(held.isoformat())
    submit(coordinator, lambda: coordinator.get_by_role("button", name="Créer la séance").click())
    go(coordinator, live_url, f"/questions/{question_id}/")
    coordinator.locator("#id_session").select_option(held.strftime("%d/%m/%Y"))
    submit(coordinator, lambda: coordinator.get_by_role(
        "button", name="Enregistrer la séance").click())
    assert "Une psychologue de l'équipe écrit la réponse." in coordinator.content()
    staff.close()

    psy_context = browser.new_context(locale="fr-FR")
    psychologist = psy_context.new_page()
    sign_in(psychologist, live_url, HOST, PSY_EMAIL)
    go(psychologist, live_url, f"/questions/{question_id}/")
    psychologist.locator("#id_answer").fill(ANSWER)
    submit(psychologist, lambda: psychologist.get_by_role(
        "button", name="Enregistrer la réponse").click())
    submit(psychologist, lambda: psychologist.get_by_role(
        "button", name="Publier la réponse").click())
    assert "Publiée sur la page publique." in psychologist.content()
    psy_context.close()

    go(page, live_url, "/question-psy/reponses/")
    public = page.content()
    assert WORDING.replace("'", "&#x27;") in public or WORDING in page.inner_text("main, body")
    assert ANSWER in page.inner_text("body")
    for secret in ("Lina-Navigatrice", "Jaurès-Navigateur", NICKNAME):
        assert secret not in public
    check_page(page, "question-answers")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.close()


def test_question_pages_speak_english(
    world: World, opened: None, live_url: str, browser: Any, english_catalogue: None,
) -> None:
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.goto(url(live_url, HOST, "/question-psy/"))
    assert "Do not write any name" in page.content()
    assert page.get_by_label("Your question").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(url(live_url, HOST, "/question-psy/reponses/"))
    assert "Question Psy: answers from Acme Solidarité" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
