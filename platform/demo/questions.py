"""Invented Question Psy activity for the demo: a year of anonymous questions, weekly
sessions on Wednesdays where a psychologist answered them, the answers published; the
latest questions still in the queue (some set aside as spam or off-topic). Written with
bulk_create (the original texts and nicknames are encrypted by their fields)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from tracking.models import Question, QuestionSession, QuestionSettings

# (the question as asked — invented, naming no real person or place —, its publishable
# wording, the answer)
QUESTIONS = [
    ("Au collège on me traite tous les jours dans la cour, je n'ose pas le dire à mes "
     "parents. Je fais quoi ?",
     "Des élèves se moquent de moi tous les jours et je n'ose pas en parler à mes parents. "
     "Que faire ?",
     "Ce que tu vis n'est pas normal et ce n'est pas ta faute. En parler à un adulte de "
     "confiance est souvent le premier pas : un parent, l'infirmière scolaire, un CPE. Tu "
     "peux aussi appeler le 3018, gratuit et anonyme."),
    ("Ma fille de 12 ans ne veut plus aller au collège le lundi, elle a mal au ventre. "
     "Est-ce que c'est du harcèlement ?",
     "Mon enfant a mal au ventre et refuse d'aller en cours en début de semaine. Est-ce un "
     "signe de harcèlement ?",
     "Ce peut être un signe parmi d'autres. Prenez un moment calme pour lui demander "
     "comment se passent les récréations et les réseaux sociaux, sans la presser. Vous "
     "pouvez aussi en parler à l'équipe de l'établissement."),
    ("Quelqu'un a mis une photo de moi sur un groupe et tout le monde se moque.",
     "Une photo de moi circule sur un groupe de messagerie et tout le monde se moque. Que "
     "puis-je faire ?",
     "Garde des preuves (captures d'écran), signale la publication et bloque les comptes. "
     "Le 3018 peut aider à faire retirer le contenu. Et parles-en à un adulte : tu n'as "
     "pas à gérer ça seul ou seule."),
    ("Je suis prof, un élève de ma classe est isolé, comment l'aborder sans le gêner ?",
     "Je suis enseignant : un élève semble isolé. Comment l'aborder sans le mettre mal à "
     "l'aise ?",
     "Un échange discret, hors de la classe, en partant de ce que vous observez plutôt "
     "que de questions fermées. Signalez la situation à l'équipe de vie scolaire pour ne "
     "pas rester seul avec elle."),
    ("J'ai perdu confiance en moi depuis l'an dernier, comment je peux reprendre ?",
     "Depuis ce qui m'est arrivé l'an dernier, j'ai perdu confiance en moi. Comment la "
     "retrouver ?",
     "La confiance revient pas à pas : des activités où tu te sens bien, des personnes "
     "qui te respectent, et parfois l'aide d'un professionnel. Nos groupes d'échange "
     "peuvent aussi t'aider."),
    ("Mon fils est celui qui harcèle, je suis perdue.",
     "J'ai appris que mon enfant participe à du harcèlement. Comment réagir ?",
     "Restez ferme sur les faits sans l'humilier, cherchez à comprendre ce qui se joue "
     "pour lui, et travaillez avec l'établissement sur la réparation. Vous pouvez nous "
     "contacter pour en parler."),
    ("Est-ce que c'est grave si je ne veux plus aller sur les réseaux ?",
     "Est-ce grave de vouloir arrêter les réseaux sociaux ?",
     "Non : faire une pause peut protéger. L'important est de garder des liens avec des "
     "personnes qui comptent pour toi, en ligne ou non."),
    ("Mes amis ne me parlent plus depuis une dispute, je me sens seule.",
     "Après une dispute, mes amis ne me parlent plus et je me sens seule. Que faire ?",
     "Ce sentiment est douloureux. Tu peux tenter un message simple à une personne du "
     "groupe, et chercher d'autres lieux pour créer des liens. Si la mise à l'écart "
     "continue, parles-en à un adulte."),
]
NICKNAMES = ["", "", "", "Colibri", "Nuage", "Étoile", "Lune", "Renard"]
ASKERS = [("young_person", 6), ("parent", 3), ("professional", 1), ("other", 1),
          ("unknown", 2)]
SESSION_WEEKDAY = 2  # Wednesday


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)),
                            tzinfo=timezone.get_current_timezone())


def generate_questions(*, rng: random.Random, start: date, count: int,
                       answerers: list[int], moderators: list[int],
                       form_open: bool = False) -> dict[str, int]:
    """`count` questions received between `start` and today, in the active schema."""
    today = timezone.localdate()
    if form_open:
        QuestionSettings.objects.update_or_create(pk=1, defaults={"form_open": True})
    if count <= 0 or not answerers:
        return {"questions": 0, "question_sessions": 0}
    span = max(1, (today - start).days)
    days = sorted(start + timedelta(days=rng.randrange(span + 1)) for _ in range(count))
    # The last two questions are always in the queue.
    days[-2:] = [today - timedelta(days=1), today]
    askers = [a for a, _w in ASKERS]
    weights = [w for _a, w in ASKERS]
    sessions: dict[date, QuestionSession] = {}
    questions = []
    for day in days:
        asked, wording, answer = rng.choice(QUESTIONS)
        question = Question(received_at=_moment(day, rng), original_text=asked,
                            nickname=rng.choice(NICKNAMES),
                            asker=rng.choices(askers, weights)[0])
        # The next Wednesday at least two days later: past ones have been held.
        held = day + timedelta(days=2)
        held += timedelta(days=(SESSION_WEEKDAY - held.weekday()) % 7)
        if rng.random() < 0.06:
            question.status, question.aside_reason = "set_aside", rng.choice(
                ["spam", "off_topic", "duplicate"])
        elif held <= today:
            session = sessions.get(held)
            if session is None:
                session = sessions[held] = QuestionSession(
                    held_on=held, week=held - timedelta(days=held.weekday()),
                    created_by_id=rng.choice(moderators or answerers))
            question.session = session
            question.public_text, question.answer = wording, answer
            question.answered_at = _moment(held, rng)
            question.answered_by_id = rng.choice(answerers)
            question.status = "published"
            question.published_at = question.answered_at + timedelta(hours=1)
        elif rng.random() < 0.5:
            question.public_text = wording  # reworded, waiting for the next session
        question.updated_at = question.published_at or question.received_at
        questions.append(question)
    QuestionSession.objects.bulk_create(sessions.values())
    for question in questions:
        if question.session is not None:
            question.session_id = question.session.pk
    Question.objects.bulk_create(questions)
    return {"questions": len(questions), "question_sessions": len(sessions)}
