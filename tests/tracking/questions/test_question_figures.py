"""Question Psy in the activity figures (page and downloads) and in the network indicators."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.networks import indicators as cat
from tenants.networks.contribution import contributions
from tests.conftest import World, signed_in
from tests.tracking.questions.test_questions import _actor, _published
from tracking.figures.activity import activity_figures, current_period
from tracking.models import QuestionSettings
from tracking.questions import services
from tracking.school_year import school_year_of

pytestmark = pytest.mark.django_db


def _some_questions(world: World) -> None:
    _published(world)  # who asks not given; answered, in yesterday's session
    with schema_context("a_acme"):
        QuestionSettings.objects.update_or_create(pk=1, defaults={"form_open": True})
        services.question_submit(text="Question d'un parent", asker="parent")
        services.question_submit(text="Une autre", asker="young_person")
        spam = services.question_submit(text="Achetez", asker="other")
        services.question_set_aside(actor=_actor(world, "coordinator"), question=spam,
                                    reason="spam")


def test_figures_count_questions_received_answered_and_sessions(world: World) -> None:
    _some_questions(world)
    period = current_period("calendar")
    with schema_context("a_acme"):
        figures = activity_figures(period_kind="calendar", year=period.year)
    if (timezone.localdate() - timedelta(days=1)).year != period.year:
        pytest.skip("the session was held last year (1 January)")
    questions = figures.questions
    assert (questions.received, questions.answered, questions.sessions_held) == (3, 1, 1)
    assert {row.key: row.count for row in questions.by_asker.rows} == {
        "unknown": 1, "parent": 1, "young_person": 1}


def test_figures_page_and_csv_show_question_psy(world: World) -> None:
    _some_questions(world)
    client = signed_in(world.acme_members["admin"], world.acme)
    page = client.get("/chiffres/").content.decode()
    assert "Question Psy" in page
    assert "Questions reçues" in page
    response = client.get("/chiffres/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Questions reçues", "3"] in rows
    assert ["Un parent", "1"] in rows
    text = response.content.decode("utf-8-sig")
    assert "Question d'un parent" not in text  # counts, never what was asked


def test_read_only_sees_small_question_counts_hidden(world: World) -> None:
    _some_questions(world)
    client = signed_in(world.acme_members["read_only"], world.acme)
    page = client.get("/chiffres/").content.decode()
    assert "Questions reçues" in page
    assert "&lt; 11" in page


def test_network_contribution_counts_questions_by_asker_and_month(world: World) -> None:
    _some_questions(world)
    year = school_year_of(timezone.localdate())
    with schema_context("a_acme"):
        cells = [c for c in contributions(year) if c.indicator == "questions_psy"]
    month = timezone.localdate().strftime("%Y-%m")
    assert {(c.row, c.column, c.value) for c in cells} == {
        ("unknown", month, 1), ("parent", month, 1), ("young_person", month, 1)}
    indicator = cat.BY_KEY["questions_psy"]
    assert set(indicator.row_codes(year)) >= {"young_person", "parent", "professional",
                                              "other", "unknown"}
    assert month in indicator.column_codes(year)
