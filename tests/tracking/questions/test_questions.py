"""Question Psy: the public form, the staff queue, sessions, answers and the public page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tracking.models import AuditLog, Question, QuestionSession, QuestionSettings
from tracking.permissions import Actor
from tracking.questions import services

pytestmark = pytest.mark.django_db

FORM = {"text": "Comment savoir si ce que je vis à l'école est du harcèlement ?",
        "nickname": "Colibri", "asker": "young_person"}
PUBLIC_TEXT = "Comment reconnaître une situation de harcèlement à l'école ?"
ANSWER = "Quand des moqueries se répètent et que tu te sens seul face à elles, parles-en."


def _open(schema: str = "a_acme") -> None:
    with schema_context(schema):
        QuestionSettings.objects.update_or_create(pk=1, defaults={"form_open": True})


def _actor(world: World, role: str) -> Actor:
    return Actor(user=world.acme_members[role], role=role)


def _published(world: World, schema: str = "a_acme", text: str = PUBLIC_TEXT) -> Question:
    """A question through the whole road, in `schema` (acme's people act there)."""
    moderator, psychologist = _actor(world, "coordinator"), _actor(world, "psychologist")
    with schema_context(schema):
        QuestionSettings.objects.update_or_create(pk=1, defaults={"form_open": True})
        question = services.question_submit(text="Je m'appelle Inès-Canari, au collège X.")
        question = services.question_reword(actor=moderator, question=question,
                                             public_text=text)
        day = timezone.localdate() - timedelta(days=1)
        session = (QuestionSession.objects.filter(week=day - timedelta(days=day.weekday()))
                   .first() or services.session_create(actor=moderator, held_on=day))
        question = services.question_schedule(actor=moderator, question=question,
                                              session=session)
        question = services.question_answer(actor=psychologist, question=question,
                                            answer=ANSWER)
        return services.question_publish(actor=moderator, question=question)


# --- the public form ---------------------------------------------------------------------

def test_the_form_is_closed_by_default_and_saves_nothing(world: World) -> None:
    client = host_client(world.acme)
    assert "ne reçoit pas de questions" in client.get("/question-psy/").content.decode()
    response = client.post("/question-psy/", FORM)
    assert response.status_code == 403
    with schema_context("a_acme"):
        assert not Question.objects.exists()


def test_a_question_is_received_anonymously_and_encrypted(world: World) -> None:
    _open()
    client = host_client(world.acme)
    page = client.get("/question-psy/").content.decode()
    assert "N'écris aucun nom" in page
    response = client.post("/question-psy/", FORM)
    assert response.status_code == 200
    assert "Colibri" not in response.content.decode()
    with schema_context("a_acme"):
        question = Question.objects.get()
        assert question.original_text == FORM["text"]
        assert question.nickname == "Colibri"
        assert question.asker == "young_person"
        assert question.status == "new"
        with connection.cursor() as cursor:
            cursor.execute("SELECT original_text, nickname FROM tracking_question")
            raw = cursor.fetchone()
        assert "harcèlement" not in raw[0]
        assert raw[1] != "Colibri"
        entry = AuditLog.objects.get(action="question.received")
        assert "harcèlement" not in str(entry.detail)


def test_only_the_question_is_required(world: World) -> None:
    _open()
    response = host_client(world.acme).post("/question-psy/", {"text": "Une question ?"})
    assert response.status_code == 200
    with schema_context("a_acme"):
        assert Question.objects.get().asker == "unknown"


@pytest.mark.parametrize(("data", "message"), [
    ({"text": ""}, "Écrivez votre question."),
    ({"text": "   "}, "Écrivez votre question."),
    ({"text": "x" * 2001}, "trop longue"),
    ({"text": "Une question", "nickname": "n" * 41}, "pseudo est trop long"),
    ({"text": "Une question", "asker": "robot"}, "Sélectionnez un choix valide"),
    ({"text": "Une\x00question"}, "caractère nul"),
    ({"text": "Une\x07question"}, "caractères de contrôle"),
])
def test_bad_input_is_refused_in_french_and_saves_nothing(
    world: World, data: dict[str, str], message: str
) -> None:
    _open()
    response = host_client(world.acme).post("/question-psy/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with schema_context("a_acme"):
        assert not Question.objects.exists()


def test_the_spam_trap_saves_nothing(world: World) -> None:
    _open()
    response = host_client(world.acme).post("/question-psy/",
                                            {**FORM, "website": "http://spam"})
    assert response.status_code == 200  # as if all went well
    with schema_context("a_acme"):
        assert not Question.objects.exists()


def test_the_form_has_an_hourly_limit_per_address(world: World) -> None:
    _open()
    client = host_client(world.acme)
    for _ in range(10):
        assert client.post("/question-psy/", FORM).status_code == 200
    assert client.post("/question-psy/", FORM).status_code == 429
    # The other association counts apart.
    _open("a_beta")
    assert host_client(world.beta).post("/question-psy/", FORM).status_code == 200
    with schema_context("a_acme"):
        assert Question.objects.count() == 10


# --- the staff's road --------------------------------------------------------------------

def test_a_question_goes_from_the_queue_to_the_public_page(world: World) -> None:
    _open()
    host_client(world.acme).post("/question-psy/", {
        **FORM, "text": "Je suis Inès-Canari du collège Voltaire, on se moque de moi."})
    with schema_context("a_acme"):
        question = Question.objects.get()
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    queue = coordinator.get("/questions/").content.decode()
    assert f"/questions/{question.pk}/" in queue
    detail = coordinator.get(f"/questions/{question.pk}/").content.decode()
    assert "Inès-Canari" in detail  # the staff read the original, audited
    with schema_context("a_acme"):
        read = AuditLog.objects.get(action="question.read")
        assert (read.actor_id, read.object_id) == (world.acme_members["coordinator"].pk,
                                                   str(question.pk))
    assert coordinator.post(f"/questions/{question.pk}/", {
        "action": "reword", "public_text": PUBLIC_TEXT}).status_code == 302
    day = timezone.localdate() - timedelta(days=2)
    response = coordinator.post("/questions/seances/", {"held_on": day.isoformat()})
    assert response.status_code == 302
    with schema_context("a_acme"):
        session = QuestionSession.objects.get()
    assert coordinator.post(f"/questions/{question.pk}/", {
        "action": "schedule", "session": session.pk}).status_code == 302
    # A coordinator moderates but does not answer: that is a psychologist's work.
    refused = coordinator.post(f"/questions/{question.pk}/", {"action": "answer",
                                                              "answer": ANSWER})
    assert refused.status_code == 400
    psychologist = signed_in(world.acme_members["psychologist"], world.acme)
    assert psychologist.post(f"/questions/{question.pk}/", {
        "action": "answer", "answer": ANSWER}).status_code == 302
    assert "Aucune réponse" in host_client(world.acme).get(
        "/question-psy/reponses/").content.decode()
    assert coordinator.post(f"/questions/seances/{session.pk}/").status_code == 302
    public = host_client(world.acme).get("/question-psy/reponses/").content.decode()
    assert PUBLIC_TEXT.replace("'", "&#x27;") in public
    assert "parles-en" in public
    for secret in ("Inès-Canari", "Voltaire", "Colibri", question.received_at.strftime("%d/%m")):
        assert secret not in public
    # Unpublishing takes it off the page.
    assert coordinator.post(f"/questions/{question.pk}/",
                            {"action": "unpublish"}).status_code == 302
    assert "parles-en" not in host_client(world.acme).get(
        "/question-psy/reponses/").content.decode()


def test_setting_aside_keeps_the_question_with_its_reason(world: World) -> None:
    _open()
    host_client(world.acme).post("/question-psy/", FORM)
    with schema_context("a_acme"):
        question = Question.objects.get()
    client = signed_in(world.acme_members["psychologist"], world.acme)
    response = client.post(f"/questions/{question.pk}/", {"action": "aside", "reason": "spam"})
    assert response.status_code == 302
    with schema_context("a_acme"):
        question.refresh_from_db()
        assert (question.status, question.aside_reason) == ("set_aside", "spam")
    assert "Colibri" not in client.get("/questions/?statut=set_aside").content.decode()
    assert f"/questions/{question.pk}/" in client.get(
        "/questions/?statut=set_aside").content.decode()
    client.post(f"/questions/{question.pk}/", {"action": "restore"})
    with schema_context("a_acme"):
        question.refresh_from_db()
        assert (question.status, question.aside_reason) == ("new", "")


def test_one_session_per_week(world: World) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    assert client.post("/questions/seances/",
                       {"held_on": monday.isoformat()}).status_code == 302
    response = client.post("/questions/seances/",
                           {"held_on": (monday + timedelta(days=3)).isoformat()})
    assert response.status_code == 400
    assert "une séance par semaine" in response.content.decode()
    assert client.post("/questions/seances/", {"held_on": "pas une date"}).status_code == 400
    with schema_context("a_acme"):
        assert QuestionSession.objects.count() == 1


def test_bad_staff_input_saves_nothing(world: World) -> None:
    _open()
    host_client(world.acme).post("/question-psy/", FORM)
    with schema_context("a_acme"):
        question = Question.objects.get()
    client = signed_in(world.acme_members["coordinator"], world.acme)
    for data, message in (
        ({"action": "reword", "public_text": ""}, "Écrivez la formulation publiable."),
        ({"action": "reword", "public_text": "x" * 2001}, "au plus"),
        ({"action": "aside", "reason": "nope"}, "Sélectionnez un choix valide"),
        ({"action": "schedule", "session": "999999"}, "Sélectionnez un choix valide"),
        ({"action": "publish"}, "Seule une question répondue"),
    ):
        response = client.post(f"/questions/{question.pk}/", data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    with schema_context("a_acme"):
        assert Question.objects.get().status == "new"
        assert Question.objects.get().public_text == ""
    # Scheduled without a publishable wording: refused.
    moderator = _actor(world, "coordinator")
    with schema_context("a_acme"):
        session = services.session_create(actor=moderator, held_on=timezone.localdate())
    response = client.post(f"/questions/{question.pk}/",
                           {"action": "schedule", "session": session.pk})
    assert response.status_code == 400
    assert "formulation publiable" in response.content.decode()


def test_a_future_session_is_not_published(world: World) -> None:
    moderator, psychologist = _actor(world, "coordinator"), _actor(world, "psychologist")
    _open()
    with schema_context("a_acme"):
        question = services.question_submit(text="Une question")
        services.question_reword(actor=moderator, question=question, public_text=PUBLIC_TEXT)
        session = services.session_create(actor=moderator,
                                          held_on=timezone.localdate() + timedelta(days=8))
        services.question_schedule(actor=moderator, question=question, session=session)
        services.question_answer(actor=psychologist, question=question, answer=ANSWER)
        from relier_platform.errors import ApplicationError
        with pytest.raises(ApplicationError, match="une fois la séance tenue"):
            services.question_publish(actor=moderator, question=question)
        assert Question.objects.get().status == "answered"


def test_only_admins_open_the_form(world: World) -> None:
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert coordinator.post("/questions/reglages/", {"form_open": "1"}).status_code == 404
    with schema_context("a_acme"):
        assert not QuestionSettings.objects.filter(form_open=True).exists()
    admin = signed_in(world.acme_members["admin"], world.acme)
    assert admin.post("/questions/reglages/", {"form_open": "1"}).status_code == 302
    with schema_context("a_acme"):
        assert QuestionSettings.objects.get().form_open


def test_retention_erases_the_original_text(world: World) -> None:
    from tracking.privacy.retention import months_after, retention_apply

    _published(world)
    with schema_context("a_acme"):
        question = Question.objects.get()
        retention_apply(now=months_after(timezone.now(), 11))
        assert Question.objects.get().original_text != ""
        later = months_after(timezone.now(), 13)
        retention_apply(now=later)
        kept = Question.objects.get()
        assert (kept.original_text, kept.nickname) == ("", "")
        with connection.cursor() as cursor:
            cursor.execute("SELECT original_text IS NULL AND nickname IS NULL "
                           "FROM tracking_question")
            assert cursor.fetchone() == (True,)
        assert (kept.public_text, kept.answer) == (PUBLIC_TEXT, ANSWER)
        assert kept.status == "published"
        retention_apply(now=later)  # idempotent
        assert AuditLog.objects.filter(action="retention.questions_erase").count() == 1
        assert question.pk == kept.pk


# --- isolation ---------------------------------------------------------------------------

@pytest.fixture
def coordinator_of_network() -> User:
    person = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau test"),
                            user=person)
    return person


STAFF_PAGES = ["/questions/", "/questions/{q}/", "/questions/seances/",
               "/questions/seances/{s}/", "/questions/?statut=answered"]


@pytest.mark.parametrize("who", ["anonymous", "beta_admin", "network_coordinator",
                                 "volunteer", "listener", "read_only"])
def test_outsiders_and_volunteers_reach_no_question(
    world: World, coordinator_of_network: User, who: str
) -> None:
    _open()
    with schema_context("a_acme"):
        services.question_submit(text="Secret-Canari de la question d'origine")
    question = _published(world, text="Formulation-Canari")
    with schema_context("a_acme"):
        services.question_unpublish(actor=_actor(world, "coordinator"), question=question)
    if who == "anonymous":
        client = host_client(world.acme)
    elif who == "beta_admin":
        client = signed_in(world.beta_admin, world.acme)
    elif who == "network_coordinator":
        client = signed_in(coordinator_of_network, world.acme)
    else:
        client = signed_in(world.acme_members[who], world.acme)
    for page in STAFF_PAGES:
        path = page.format(q=question.pk, s=question.session_id)
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"action": "publish"})
            assert b"Canari" not in response.content, (path, method)
            assert response.status_code in (302, 403, 404), (path, method)
    public = client.get("/question-psy/reponses/")
    assert b"Canari" not in public.content  # unpublished: nowhere
    with schema_context("a_acme"):
        assert Question.objects.get(pk=question.pk).status == "answered"


def test_another_associations_page_never_shows_these_answers(world: World) -> None:
    _published(world, text="Formulation-Canari d'Acme")
    assert b"Canari" in host_client(world.acme).get("/question-psy/reponses/").content
    beta = host_client(world.beta).get("/question-psy/reponses/")
    assert beta.status_code == 200
    assert b"Canari" not in beta.content
    # beta's staff see none of acme's questions either.
    admin = signed_in(world.beta_admin, world.beta)
    for tab in ("new", "published"):
        assert b"Canari" not in admin.get(f"/questions/?statut={tab}").content
    assert admin.get("/questions/1/").status_code == 404 or b"Canari" not in admin.get(
        "/questions/1/").content


def test_the_queue_page_has_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        _published(world, text=f"Question {n}")
    client = signed_in(world.acme_members["coordinator"], world.acme)
    client.get("/questions/?statut=published")
    with django_assert_max_num_queries(20):
        client.get("/questions/?statut=published")
    with django_assert_max_num_queries(20):
        host_client(world.acme).get("/question-psy/reponses/")


def test_staff_pages_speak_english(world: World, english_catalogue: None) -> None:
    question = _published(world)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    english: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
    queue = client.get("/questions/?statut=published", **english).content.decode()
    assert "Public page of answers" in queue
    detail = client.get(f"/questions/{question.pk}/", **english).content.decode()
    assert "Original text (never published)" in detail
    assert "Remove from the public page" in detail
    sessions = client.get("/questions/seances/", **english).content.decode()
    assert "Question Psy sessions" in sessions
    assert question.session is not None
    refused = client.post("/questions/seances/", {"held_on": question.session.held_on},
                          **english).content.decode()
    assert "one session per week" in refused
