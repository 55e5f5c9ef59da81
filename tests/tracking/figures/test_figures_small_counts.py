"""The read-only role (a board member, a funder's observer) sees the association's figures
with every count from 1 to 10 shown "< 11" — on the page, in its CSV and XLSX downloads and
in the association's own column beside its networks' — and nothing derived from a hidden
count; the staff who read figures see them exact. Zeros stay 0."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, World, signed_in
from tests.tenants.accounts.test_mfa_reauth import (
    age_proofs,
    asked_to_reauthenticate,
    exports_logged,
)
from tests.tracking.factories import item, log_interaction, make_case
from tests.tracking.figures.test_exports import rows_of
from tracking.figures.shown import HIDDEN, SMALL_COUNT_THRESHOLD, shown_count
from tracking.models import AwarenessSession, Case, ImpactAssessment

pytestmark = pytest.mark.django_db

URL = "/chiffres/"
PARAMS = {"period": "school", "year": "2024"}  # 1 September 2024 – 31 August 2025
EXACT_ROLES = ["admin", "coordinator", "psychologist"]
ROLES = [*EXACT_ROLES, "read_only"]
FORMATS = ["csv", "xlsx"]
SCHOOL, PARENTS = "Établissement scolaire", "Parents, famille"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _figures_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.tracking.figures.urls_for_figures"


def _cases(world: World, n: int, *, opened_on: date | None = None, **fields: Any) -> list[Case]:
    admin = world.acme_members["admin"]
    with schema_context("a_acme"):
        return [make_case(world.acme, admin, opened_on=opened_on, **fields)
                for _index in range(n)]


@pytest.fixture
def dataset(world: World) -> None:
    """In school year 2024-2025: 12 young people (aged 13, from school, in the 93) and 3
    (aged 17, sent by their parents, in Paris), 3 of them assessed twice; 2 interactions;
    no exchange group session; one awareness session (40 pupils, 0 parents, 3 teachers, 12
    other professionals)."""
    opened = date(2024, 10, 1)
    with schema_context("a_acme"):
        school, parents = item("detection_source", "school"), item("detection_source",
                                                                   "parents")
    _cases(world, 12, opened_on=opened, birth_year=2012, department="93",
           detection_source=school)
    few = _cases(world, 3, opened_on=opened, birth_year=2008, department="75",
                 detection_source=parents)
    admin = world.acme_members["admin"]
    for case in few[:2]:
        log_interaction(world.acme, admin, "admin", case,
                        occurred_at=datetime(2024, 10, 5, 10, tzinfo=PARIS))
    with schema_context("a_acme"):
        for case in few:
            for on, moment, score in [(date(2024, 10, 2), "intake", 2),
                                      (date(2025, 1, 10), "review", 4)]:
                ImpactAssessment.objects.create(
                    case=case, assessed_on=on, moment=moment, assessed_by=admin,
                    peers=score, family=score, school_work=score, help=score,
                    confidence=score)
        AwarenessSession.objects.create(held_on=date(2024, 11, 12), pupils=40, parents=0,
                                        teachers=3, other_professionals=12)


def _page(response: Any) -> str:
    """The page's content, whitespace folded, from its title on."""
    page = " ".join(response.content.decode().split())
    return page[page.index("<h1>"):]


def _row(page: str, label: str) -> str:
    """The table row headed `label` (the first one)."""
    start = page.index(f'<th scope="row">{label}</th>')
    return page[start:page.index("</tr>", start)]


def _after(rows: list[list[Any]], heading: str) -> list[list[Any]]:
    return rows[next(i for i, row in enumerate(rows) if row and row[0] == heading):]


def _value(rows: list[list[Any]], label: str) -> Any:
    return next(row[1] for row in rows if row and row[0] == label)


# --- the rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "hidden", "expected"), [
    (0, 0, 0), (1, 1, HIDDEN), (3, 3, HIDDEN), (10, 10, HIDDEN), (11, 11, 11), (254, 254, 254),
])
def test_a_count_from_1_to_10_is_hidden_only_when_small_counts_are(
    count: int, hidden: Any, expected: Any,
) -> None:
    assert SMALL_COUNT_THRESHOLD == 11
    assert HIDDEN == "< 11"
    assert shown_count(count, hide_small=False) == hidden
    assert shown_count(count, hide_small=True) == expected


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_figures_page_hides_small_counts_from_the_read_only_role_only(
    world: World, dataset: None, role: str,
) -> None:
    response = signed_in(world.acme_members[role], world.acme).get(URL, PARAMS)
    assert response.status_code == 200
    hidden = role == "read_only"
    small = HIDDEN if hidden else 3
    figures = response.context["figures"]
    assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning) == (
        15, 15, 15)
    breakdowns = {b.key: {r.label: r.count for r in b.rows} for b in figures.case_breakdowns}
    assert breakdowns["detection_source"] == {SCHOOL: 12, PARENTS: small}
    assert breakdowns["age_bracket"] == {"11 à 14 ans": 12, "15 à 17 ans": small}
    assert breakdowns["department"] == {"93": 12, "75": small}
    # A total that is itself small is hidden too; zeros stay 0.
    assert figures.interactions_total == (HIDDEN if hidden else 2)
    groups = figures.groups
    assert (groups.sessions_held, groups.present, groups.young_people_present) == (0, 0, 0)
    aware = figures.awareness
    assert (aware.sessions, aware.pupils, aware.adults, aware.total) == (
        HIDDEN if hidden else 1, 40, 15, 55)
    assert [r.count for r in aware.audiences] == [40, 0, small, 12]
    assert figures.impact.cases == small
    assert figures.impact.averages_hidden is hidden
    assert [a.latest_average for a in figures.impact.axes] == ([] if hidden else [4.0] * 5)

    page = _page(response)
    # The exact row keeps its percentage (12 of 15) and its bar; a hidden one has neither.
    assert _row(page, SCHOOL) == (
        f'<th scope="row">{SCHOOL}</th> <td class="num">12</td> <td class="num">80 %</td> '
        '<td class="figures-bar-cell"><svg class="figures-bar" viewBox="0 0 100 10" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect '
        'class="track" width="100" height="10"></rect><rect width="100" height="10">'
        "</rect></svg></td> ")
    if hidden:
        assert _row(page, PARENTS) == (
            f'<th scope="row">{PARENTS}</th> <td class="num">&lt; 11</td> '
            '<td class="num"></td> <td class="figures-bar-cell"></td> ')
        assert "Les effectifs de 1 à 10 sont affichés « &lt; 11 »" in page
        assert "Moyennes non montrées : elles portent sur moins de 11 jeunes." in page
        assert "Moyennes par axe" not in page
        # No count from 1 to 10 anywhere, not even as a percentage.
        assert re.findall(r">\s*(?:[1-9]|10)\s*(?:%\s*)?<", page) == []
        assert "20 %" not in page
    else:
        assert _row(page, PARENTS).startswith(
            f'<th scope="row">{PARENTS}</th> <td class="num">3</td> <td class="num">20 %</td> '
            '<td class="figures-bar-cell"><svg')
        assert "&lt; 11" not in page
        assert "Moyennes par axe" in page


def test_the_read_only_role_sees_zeros_as_zeros(world: World) -> None:
    """A year with nothing at all: every figure is 0, nothing is hidden."""
    response = signed_in(world.acme_members["read_only"], world.acme).get(
        URL, {"period": "school", "year": "2001"})
    figures = response.context["figures"]
    assert (figures.new_cases, figures.active_cases, figures.cases_since_beginning,
            figures.interactions_total, figures.awareness.total, figures.impact.cases) == (
        0, 0, 0, 0, 0, 0)
    page = _page(response)
    assert "<dd>0</dd>" in page
    assert "&lt; 11" not in page.replace("« &lt; 11 »", "")


@pytest.mark.usefixtures("english_catalogue")
def test_the_read_only_role_is_told_in_english_too(world: World, dataset: None) -> None:
    client = signed_in(world.acme_members["read_only"], world.acme)
    page = _page(client.get(URL, PARAMS, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Counts from 1 to 10 are shown as “&lt; 11”" in page
    assert "Averages not shown: they cover fewer than 11 young people." in page


# --- the downloads -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_the_figures_downloads_hide_small_counts_from_the_read_only_role_only(
    world: World, dataset: None, role: str, fmt: str,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    response = client.get(f"/chiffres/export.{fmt}", PARAMS)
    assert response.status_code == 200
    rows = rows_of(response, fmt)
    hidden = role == "read_only"

    def cell(value: Any) -> Any:
        return str(value) if fmt == "csv" else value

    small = HIDDEN if hidden else cell(3)
    assert _value(rows, "Jeunes accompagnés sur la période") == cell(15)
    sources = _after(rows, "Par source de détection")
    assert (_value(sources, SCHOOL), _value(sources, PARENTS)) == (cell(12), small)
    assert _value(_after(rows, "Par tranche d'âge"), "15 à 17 ans") == small
    interactions = _after(rows, "Échanges par type")
    assert _value(interactions, "Total") == (HIDDEN if hidden else cell(2))
    assert _value(rows, "Séances tenues") == cell(0)
    audiences = _after(rows, "Personnes sensibilisées, par public")
    assert [_value(audiences, label) for label in
            ["Élèves", "Parents", "Enseignants", "Autres professionnels", "Total"]] == [
        cell(40), cell(0), small, cell(12), cell(55)]
    impact = _after(rows, "Évolution de l'impact (scores de 1 à 5)")
    assert _value(impact, "Jeunes évalués à l'accueil puis à nouveau sur la période") == small
    text = "\n".join(str(row[0]) for row in rows if row)
    if hidden:
        assert "Moyenne à l'accueil" not in text
        assert "Moyennes non montrées : elles portent sur moins de 11 jeunes." in text
        assert "Les effectifs de 1 à 10 sont affichés « < 11 »" in text
    else:
        assert _value(impact, "Liens avec les pairs") == ("2,00" if fmt == "csv" else 2.0)
        assert "< 11" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stale_read_only_member_is_asked_to_reauthenticate_before_a_download(
    world: World, dataset: None, fmt: str,
) -> None:
    client = signed_in(world.acme_members["read_only"], world.acme)
    age_proofs(client, "a_acme")
    before = exports_logged("a_acme")
    path = f"/chiffres/export.{fmt}?period=school&year=2024"
    reauthenticate = asked_to_reauthenticate(client.get(path), path)
    assert exports_logged("a_acme") == before
    done = client.post(reauthenticate, {"password": PASSWORD})
    assert done["Location"] == path
    response = client.get(path)
    assert response.status_code == 200
    sources = _after(rows_of(response, fmt), "Par source de détection")
    assert _value(sources, PARENTS) == HIDDEN
    assert exports_logged("a_acme") == before + 1


# --- beside the networks -----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_own_column_beside_the_networks_hides_small_counts_from_the_read_only_role(
    world: World, role: str,
) -> None:
    _cases(world, 12, department="93")
    _cases(world, 3, department="75")
    client = signed_in(world.acme_members[role], world.acme)
    response = client.get("/chiffres/reseaux/", {"indicateur": "active_by_department"})
    assert response.status_code == 200
    page = _page(response)
    hidden = role == "read_only"
    small = "&lt; 11" if hidden else "3"
    assert '<th scope="row">93</th><td class="num">12</td>' in page
    assert f'<th scope="row">75</th><td class="num">{small}</td>' in page
    assert '<th scope="row">Total</th><td class="num">15</td>' in page
    assert ("Les effectifs de 1 à 10 sont affichés" in page) is hidden


def test_the_own_total_beside_the_networks_is_hidden_when_small_and_zero_stays_0(
    world: World,
) -> None:
    client = signed_in(world.acme_members["read_only"], world.acme)
    params = {"indicateur": "active_by_department"}
    page = _page(client.get("/chiffres/reseaux/", params))
    assert '<th scope="row">Total</th><td class="num">0</td>' in page
    _cases(world, 4, department="93")
    page = _page(client.get("/chiffres/reseaux/", params))
    assert '<th scope="row">93</th><td class="num">&lt; 11</td>' in page
    assert '<th scope="row">Total</th><td class="num">&lt; 11</td>' in page
