"""Activity figures: exact values on a small handmade dataset spanning two school years,
the page's permissions, and a query count that does not grow with the number of cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django_tenants.utils import schema_context

from tenants.models import User
from tests.conftest import World, host_client, signed_in
from tracking.figures.activity import Row, activity_figures, age_bracket_label
from tracking.figures.views import period_from
from tracking.models import (
    Attendance,
    AwarenessSession,
    Case,
    ExchangeGroup,
    GroupSession,
    ImpactAssessment,
    Interaction,
    PicklistItem,
)
from tracking.school_year import age_bracket

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
URL = "/chiffres/"
ROLES = ["admin", "coordinator", "psychologist", "listener", "volunteer", "read_only"]
READS_FIGURES = {"admin", "coordinator", "psychologist", "read_only"}


@pytest.fixture(autouse=True)
def _figures_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF="tests.tracking.figures.urls_for_figures"):
        yield


def item(kind: str, code: str) -> PicklistItem:
    return PicklistItem.objects.get(kind=kind, code=code)


def label(kind: str, code: str) -> str:
    return item(kind, code).label


def make_case(code: str, opened_on: date, *, closed_on: date | None = None,
              situations: tuple[str, ...] = (), programme: str | None = None,
              source: str | None = None, **fields: Any) -> Case:
    # An empty encrypted first name is stored as NULL, which the column refuses.
    fields.setdefault("first_name", "Inès")
    case = Case.objects.create(
        code=code, opened_on=opened_on, closed_on=closed_on,
        programme=item("programme", programme) if programme else None,
        detection_source=item("detection_source", source) if source else None,
        **fields,
    )
    case.situation_types.set([item("situation_type", s) for s in situations])
    return case


def interaction(staff: User, kind: str, at: datetime, *cases: Case) -> Interaction:
    created = Interaction.objects.create(
        kind=item("interaction_kind", kind), channel="phone", occurred_at=at, staff=staff,
        created_by=staff, clinical_note="Note.",  # not empty: see make_case
    )
    created.cases.set(cases)
    return created


def assess(case: Case, on: date, moment: str, staff: User, scores: tuple[int, ...]) -> None:
    peers, family, school_work, help_, confidence = scores
    ImpactAssessment.objects.create(
        case=case, assessed_on=on, moment=moment, assessed_by=staff, peers=peers,
        family=family, school_work=school_work, help=help_, confidence=confidence,
    )


def build_dataset(staff: User) -> dict[str, Case]:
    """Five cases around the 31 August / 1 September boundary of 2024."""
    cases = {
        "A": make_case("T-A", date(2023, 10, 1), closed_on=date(2024, 6, 30), birth_year=2010,
                       town="Montreuil", department="93", programme="individual",
                       source="school", situations=("bullying", "cyber_violence"),
                       first_name="Alice"),
        # The last day of school year 2023-2024.
        "B": make_case("T-B", date(2024, 8, 31), birth_year=2012, town="  montreuil",
                       department="93", programme="individual", source="parents",
                       situations=("bullying",)),
        # The first day of school year 2024-2025.
        "C": make_case("T-C", date(2024, 9, 1), birth_year=2008, town="Bobigny",
                       department="93", programme="exchange_groups", source="school"),
        "D": make_case("T-D", date(2025, 2, 10), closed_on=date(2025, 3, 1),
                       situations=("discrimination",)),
        # Closed before both school years: only "since the beginning".
        "E": make_case("T-E", date(2022, 5, 1), closed_on=date(2023, 6, 30), birth_year=2005,
                       town="Paris", department="75", programme="individual",
                       source="partner"),
    }
    a, b, c, d = cases["A"], cases["B"], cases["C"], cases["D"]
    # Interactions on both sides of midnight, Paris time, between the two school years.
    interaction(staff, "interview", datetime(2024, 8, 31, 23, 30, tzinfo=PARIS), b)
    interaction(staff, "interview", datetime(2024, 9, 1, 0, 30, tzinfo=PARIS), b, c)
    interaction(staff, "call", datetime(2024, 10, 5, 10, 0, tzinfo=PARIS), c)
    interaction(staff, "call", datetime(2023, 8, 31, 12, 0, tzinfo=PARIS), cases["E"])

    group = ExchangeGroup.objects.create(theme="Passions", weekday=2)
    for held_on, marks in [
        (date(2024, 6, 10), [(a, "present"), (b, "present")]),
        (date(2024, 9, 15), [(b, "present"), (c, "absent")]),
        (date(2024, 9, 22), [(b, "present"), (c, "present"), (d, "excused")]),
    ]:
        session = GroupSession.objects.create(group=group, held_on=held_on)
        for case, status in marks:
            Attendance.objects.create(session=session, case=case, status=status)

    for held_on, audience in [
        (date(2024, 3, 1), (120, 10, 5, 2)),
        (date(2024, 11, 12), (200, 0, 8, 1)),
        (date(2025, 5, 20), (30, 12, 0, 3)),
    ]:
        pupils, parents, teachers, others = audience
        AwarenessSession.objects.create(held_on=held_on, pupils=pupils, parents=parents,
                                        teachers=teachers, other_professionals=others)

    assess(a, date(2023, 11, 1), "intake", staff, (2, 2, 2, 2, 2))
    assess(a, date(2024, 5, 1), "review", staff, (4, 3, 3, 5, 4))
    assess(b, date(2024, 8, 20), "intake", staff, (2, 3, 1, 2, 1))
    assess(b, date(2024, 12, 1), "review", staff, (3, 3, 2, 4, 2))
    assess(b, date(2025, 4, 1), "review", staff, (4, 4, 3, 4, 3))
    assess(c, date(2024, 9, 10), "intake", staff, (1, 2, 2, 1, 2))
    assess(c, date(2025, 1, 15), "review", staff, (3, 2, 4, 3, 2))
    assess(d, date(2025, 2, 11), "intake", staff, (1, 1, 1, 1, 1))  # no later assessment
    return cases


def counts(rows: list[Row]) -> dict[str, int]:
    return {row.label: row.count for row in rows}


def test_school_year_2023_figures(world: World) -> None:
    with schema_context("a_acme"):
        build_dataset(world.acme_members["admin"])
        figures = activity_figures(period_kind="school", year=2023)
        assert (figures.period.start, figures.period.end) == (date(2023, 9, 1),
                                                              date(2024, 8, 31))
        # A and B are new (B opened on 31 August 2024); E was closed before.
        assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning) == (
            2, 2, 3)
        assert counts(figures.by_age_bracket.rows) == {"11 à 14 ans": 2}
        assert counts(figures.by_detection_source.rows) == {
            label("detection_source", "school"): 1, label("detection_source", "parents"): 1}
        assert counts(figures.by_town.rows) == {"Montreuil": 2}
        assert counts(figures.by_department.rows) == {"93": 2}
        assert counts(figures.by_programme.rows) == {label("programme", "individual"): 2}
        assert counts(figures.by_situation_type.rows) == {
            label("situation_type", "bullying"): 2,
            label("situation_type", "cyber_violence"): 1,
        }
        assert counts(figures.interactions_by_kind.rows) == {
            label("interaction_kind", "interview"): 1}
        groups = figures.groups
        assert (groups.sessions_held, groups.present, groups.young_people_present) == (1, 2, 2)
        aware = figures.awareness
        assert (aware.sessions, aware.pupils, aware.parents, aware.teachers,
                aware.other_professionals, aware.total) == (1, 120, 10, 5, 2, 137)
        assert figures.impact.cases == 1  # A; B's intake has no later assessment by 31 Aug
        assert [(a.axis, a.first_average, a.latest_average) for a in figures.impact.axes] == [
            ("peers", 2.0, 4.0), ("family", 2.0, 3.0), ("school_work", 2.0, 3.0),
            ("help", 2.0, 5.0), ("confidence", 2.0, 4.0),
        ]


def test_school_year_2024_figures(world: World) -> None:
    with schema_context("a_acme"):
        build_dataset(world.acme_members["admin"])
        figures = activity_figures(period_kind="school", year=2024)
        # C (1 September 2024) and D are new; B, C, D were open at some point.
        assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning) == (
            2, 3, 5)
        # Ages reached in 2025: B 13, C 17, D unknown.
        assert [(r.key, r.count) for r in figures.by_age_bracket.rows] == [
            ("11-14", 1), ("15-17", 1), ("unknown", 1)]
        unknown = "Non renseigné"
        assert counts(figures.by_detection_source.rows) == {
            label("detection_source", "parents"): 1, label("detection_source", "school"): 1,
            unknown: 1}
        assert figures.by_detection_source.rows[-1].label == unknown  # always last
        assert counts(figures.by_town.rows) == {"montreuil": 1, "Bobigny": 1, unknown: 1}
        assert counts(figures.by_department.rows) == {"93": 2, unknown: 1}
        assert counts(figures.by_programme.rows) == {
            label("programme", "individual"): 1, label("programme", "exchange_groups"): 1,
            unknown: 1}
        assert counts(figures.by_situation_type.rows) == {
            label("situation_type", "bullying"): 1,
            label("situation_type", "discrimination"): 1, unknown: 1}
        assert counts(figures.interactions_by_kind.rows) == {
            label("interaction_kind", "interview"): 1, label("interaction_kind", "call"): 1}
        assert figures.interactions_total == 2
        groups = figures.groups
        assert (groups.sessions_held, groups.present, groups.young_people_present) == (2, 3, 2)
        aware = figures.awareness
        assert (aware.sessions, aware.pupils, aware.parents, aware.teachers,
                aware.other_professionals, aware.adults, aware.total) == (
            2, 230, 12, 8, 4, 24, 254)
        # B (intake before the period, latest review 1 April 2025) and C; not D (intake
        # only), not A (its assessments are all before the period).
        assert figures.impact.cases == 2
        assert [(a.axis, a.first_average, a.latest_average, a.change)
                for a in figures.impact.axes] == [
            ("peers", 1.5, 3.5, 2.0), ("family", 2.5, 3.0, 0.5),
            ("school_work", 1.5, 3.5, 2.0), ("help", 1.5, 3.5, 2.0),
            ("confidence", 1.5, 2.5, 1.0),
        ]


def test_calendar_year_2024_figures(world: World) -> None:
    with schema_context("a_acme"):
        build_dataset(world.acme_members["admin"])
        figures = activity_figures(period_kind="calendar", year=2024)
        assert (figures.period.start, figures.period.end) == (date(2024, 1, 1),
                                                              date(2024, 12, 31))
        assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning) == (
            2, 3, 4)
        assert figures.interactions_total == 3
        assert (figures.awareness.sessions, figures.awareness.pupils) == (2, 320)
        assert figures.groups.sessions_held == 3


def test_empty_period_gives_zeros(world: World) -> None:
    with schema_context("a_acme"):
        figures = activity_figures(period_kind="school", year=2001)
    assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning) == (0, 0, 0)
    assert all(b.rows == [] for b in figures.case_breakdowns)
    assert figures.awareness.total == 0
    assert figures.impact.cases == 0
    assert {a.first_average for a in figures.impact.axes} == {None}


def test_sql_age_brackets_match_school_year_age_bracket(world: World) -> None:
    """The SQL expression and `school_year.age_bracket` agree on every birth year."""
    births: list[int | None] = [*range(1995, 2026), None]
    with schema_context("a_acme"):
        for index, birth_year in enumerate(births):
            make_case(f"T-{index:03d}", date(2024, 1, 1), birth_year=birth_year)
        figures = activity_figures(period_kind="school", year=2024)
    expected = Counter(age_bracket(b, date(2025, 8, 31)) for b in births)
    assert {r.key: r.count for r in figures.by_age_bracket.rows} == dict(expected)
    assert [r.key for r in figures.by_age_bracket.rows] == [
        "under-3", "3-5", "6-10", "11-14", "15-17", "18-21", "22-25", "over-25", "unknown"]
    assert age_bracket_label("under-3") == "Moins de 3 ans"


def test_figures_hold_no_names_or_codes(world: World) -> None:
    with schema_context("a_acme"):
        build_dataset(world.acme_members["admin"])
        figures = activity_figures(period_kind="school", year=2023)
    text = repr(figures)
    assert "Alice" not in text
    assert "T-A" not in text


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_figures_page_needs_figures_read(world: World, role: str) -> None:
    response = signed_in(world.acme_members[role], world.acme).get(URL)
    assert response.status_code == (200 if role in READS_FIGURES else 404)


def test_figures_page_is_closed_to_other_associations_and_anonymous(world: World) -> None:
    assert signed_in(world.beta_admin, world.acme).get(URL).status_code == 403
    response = host_client(world.acme).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_figures_page_shows_the_chosen_period(world: World) -> None:
    with schema_context("a_acme"):
        build_dataset(world.acme_members["admin"])
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.get(URL, {"period": "school", "year": "2024"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Année scolaire 2024-2025" in page
    assert response.context["figures"].active_cases == 3
    assert "<svg" in page
    assert "T-A" not in page
    assert "Alice" not in page
    assert "/chiffres/export.csv?period=school&amp;year=2024" in page


def test_figures_page_defaults_to_the_current_school_year_and_ignores_bad_values(
    world: World,
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    expected = period_from({})
    for params in [{}, {"period": "weekly", "year": "abc"}, {"year": "99999999999999"},
                   {"year": "1066"}, {"year": "-3"}]:
        response = client.get(URL, params)
        assert response.status_code == 200
        assert response.context["period"] == expected


def test_period_from_reads_a_calendar_year() -> None:
    period = period_from({"period": "calendar", "year": "2023"}, date(2025, 3, 1))
    assert (period.kind, period.start, period.end) == ("calendar", date(2023, 1, 1),
                                                       date(2023, 12, 31))
    assert period_from({}, date(2025, 3, 1)).year == 2024
    assert period_from({}, date(2025, 9, 1)).year == 2025
    # A year that has not started yet falls back to the current one.
    assert period_from({"year": "2026"}, date(2025, 3, 1)).year == 2024


def _add_cases(staff: User, count: int, offset: int) -> None:
    group = ExchangeGroup.objects.first() or ExchangeGroup.objects.create(theme="G", weekday=1)
    session, _created = GroupSession.objects.get_or_create(group=group,
                                                           held_on=date(2024, 10, 1))
    for number in range(offset, offset + count):
        case = make_case(f"Q-{number:04d}", date(2024, 9, 2), birth_year=2010,
                         town=f"Ville {number}", programme="individual", source="school",
                         situations=("bullying", "other"))
        interaction(staff, "call", datetime(2024, 10, 1, 10, tzinfo=PARIS), case)
        Attendance.objects.create(session=session, case=case, status="present")
        assess(case, date(2024, 9, 3), "intake", staff, (1, 1, 1, 1, 1))
        assess(case, date(2024, 12, 3), "review", staff, (3, 3, 3, 3, 3))


def test_figures_page_query_count_does_not_grow_with_cases(
    world: World, django_assert_max_num_queries: Any,
) -> None:
    staff = world.acme_members["admin"]
    client = signed_in(staff, world.acme)
    params = {"period": "school", "year": "2024"}
    with schema_context("a_acme"):
        _add_cases(staff, 2, 0)
    client.get(URL, params)  # warm the caches (host → association, translations)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, params).status_code == 200
    with schema_context("a_acme"):
        _add_cases(staff, 40, 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, params)
    assert response.context["figures"].active_cases == 42
    assert len(many) == len(few)
    with django_assert_max_num_queries(25):
        client.get(URL, params)


def test_figures_page_speaks_english(world: World, english_catalogue: None) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get(URL, {"period": "school", "year": "2024"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Activity figures" in page
    assert "School year 2024-2025" in page
    assert "Chiffres d&#x27;activité" not in page
