"""The case list at the speed of its SQL (issue #21): a number of queries that does not grow
with the cases, a count that stops at COUNT_CAP, rows that never decrypt a first name, and
the search's trigram indexes in every association's schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import item, log_interaction, make_case
from tracking.cases import views
from tracking.models import Case

pytestmark = pytest.mark.django_db


def _make(world: World, count: int, **fields: Any) -> list[Case]:
    admin = world.acme_members["admin"]
    return [make_case(world.acme, admin, **fields) for _ in range(count)]


def test_queries_do_not_grow_with_the_cases(world: World,
                                            django_assert_max_num_queries: object) -> None:
    with schema_context("a_acme"):
        programme = item("programme", "individual")
    _make(world, 3, programme=programme)
    client = signed_in(world.acme_members["admin"], world.acme)
    client.get("/dossiers/")  # the session's "last seen" written once
    with CaptureQueriesContext(connection) as few:
        assert client.get("/dossiers/").status_code == 200
    _make(world, 12)
    with CaptureQueriesContext(connection) as more:
        assert client.get("/dossiers/").status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)
    # Session, account, membership, the bounded count, the filters' lists, the page.
    with django_assert_max_num_queries(11):  # type: ignore[operator]
        client.get("/dossiers/?status=all&sort=code&q=Montreuil")


def test_rows_show_the_same_columns_without_reading_first_names(world: World) -> None:
    with schema_context("a_acme"):
        programme = item("programme", "individual")
    case = _make(world, 1, programme=programme, town="Bondy", department="93")[0]
    client = signed_in(world.acme_members["admin"], world.acme)
    body = client.get("/dossiers/").content.decode()
    assert f'<td><a href="/dossiers/{case.pk}/">{case.code}</a></td>' in body
    assert "<td>Bondy (93)</td>" in body
    assert f"<td>{programme.label}</td>" in body
    assert "Inès" not in body
    with CaptureQueriesContext(connection) as captured:
        client.get("/dossiers/")
    case_queries = [q["sql"] for q in captured.captured_queries
                    if 'FROM "tracking_case"' in q["sql"]]
    assert case_queries
    assert not any("first_name" in sql for sql in case_queries)


def test_count_stops_at_the_cap_and_pages_go_on(world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    cases = _make(world, 5)
    client = signed_in(world.acme_members["admin"], world.acme)
    first = client.get("/dossiers/?sort=code")
    body = first.content.decode()
    assert "Plus de 3 dossiers" in body
    assert "<span>Page 1</span>" in body
    assert 'rel="next"' in body
    codes = [c.code for c in first.context["page"]]
    assert codes == sorted(c.code for c in cases)[:2]
    last = client.get("/dossiers/?sort=code&page=3")
    assert [c.code for c in last.context["page"]] == sorted(c.code for c in cases)[4:]
    assert 'rel="next"' not in last.content.decode()
    # A page past the end lands on the last one, as before.
    beyond = client.get("/dossiers/?sort=code&page=40")
    assert [c.code for c in beyond.context["page"]] == sorted(c.code for c in cases)[4:]
    # Under the cap: the exact count and "Page 1 sur N", as before.
    monkeypatch.setattr(views, "COUNT_CAP", 10)
    exact = client.get("/dossiers/").content.decode()
    assert "5 dossiers" in exact
    assert "Page 1 sur 3" in exact


def test_search_has_trigram_indexes_in_every_schema_where_the_server_has_pg_trgm(
        world: World) -> None:
    """The migration creates the indexes where the server has the contrib module, and
    nothing (no error, no half-migrated schema) where it lacks it (the embedded pgserver)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        available = cursor.fetchone() is not None
        cursor.execute("SELECT schemaname, indexname FROM pg_indexes "
                       "WHERE indexname IN ('case_code_trgm', 'case_town_trgm')")
        found = set(cursor.fetchall())
        cursor.execute("SELECT extnamespace::regnamespace::text FROM pg_extension "
                       "WHERE extname = 'pg_trgm'")
        extension = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM a_acme.django_migrations WHERE app = 'tracking' "
                       "AND name = '0025_case_search_indexes'")
        assert cursor.fetchone() == (1,)
    expected = {(schema, name) for schema in ("relier_template", "a_acme", "a_beta")
                for name in ("case_code_trgm", "case_town_trgm")}
    if available:
        assert extension == ("public",)
        assert expected <= found
    else:
        assert extension is None
        assert found == set()


def test_search_still_finds_codes_and_towns_and_stays_in_its_association(world: World) -> None:
    mine = _make(world, 1, town="Saint-Ouen")[0]
    make_case(world.beta, world.beta_admin, town="Saint-Ouen")
    client = signed_in(world.acme_members["admin"], world.acme)
    page = client.get("/dossiers/?q=saint-ouen").context["page"]
    assert [c.code for c in page] == [mine.code]
    page = client.get(f"/dossiers/?q={mine.code.lower()}").context["page"]
    assert [c.code for c in page] == [mine.code]


def test_case_page_overdue_badge_and_queries_not_growing_with_exchanges(world: World) -> None:
    admin = world.acme_members["admin"]
    late, fresh = _make(world, 2)
    with schema_context("a_acme"):
        Case.objects.filter(pk=late.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=49))
    client = signed_in(admin, world.acme)
    assert "délai dépassé" in client.get(f"/dossiers/{late.pk}/").content.decode()
    assert "délai dépassé" not in client.get(f"/dossiers/{fresh.pk}/").content.decode()
    log_interaction(world.acme, admin, "admin", fresh)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/dossiers/{fresh.pk}/")
    for _ in range(4):
        log_interaction(world.acme, admin, "admin", fresh)
    with CaptureQueriesContext(connection) as more:
        client.get(f"/dossiers/{fresh.pk}/")
    assert len(more.captured_queries) == len(few.captured_queries)
    assert len(more.captured_queries) <= 24
