"""The case page shows its timeline a page at a time: a case with thousands of exchanges
renders the latest ones, and every older one stays reachable page after page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import item, make_case
from tracking.cases.selectors import TIMELINE_PAGE_SIZE
from tracking.models import Interaction

pytestmark = pytest.mark.django_db

EXCHANGES = 2 * TIMELINE_PAGE_SIZE + 20


@pytest.fixture
def busy_case(world: World) -> int:
    """A case with 120 exchanges (over the last 120 hours) and its "opened" event (now)."""
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin)
    now = timezone.now()
    with schema_context("a_acme"):
        kind = item("interaction_kind", "interview")
        made = Interaction.objects.bulk_create(
            Interaction(kind=kind, channel="phone", staff=admin, created_by=admin,
                        occurred_at=now - timedelta(hours=n), summary=f"Echange-{n:04d}-fin")
            for n in range(1, EXCHANGES + 1)
        )
        Interaction.cases.through.objects.bulk_create(
            Interaction.cases.through(interaction_id=i.pk, case_id=case.pk) for i in made
        )
    return case.pk


def shown(body: str) -> list[int]:
    return [int(n) for n in re.findall(r"Echange-(\d{4})-fin", body)]


def entries(body: str) -> int:
    return len(re.findall(r'<li class="timeline-', body))


def test_each_page_shows_its_share_of_the_timeline(world: World, busy_case: int) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    seen: list[int] = []
    counts = []
    for number in (1, 2, 3):
        page = client.get(f"/dossiers/{busy_case}/?chronologie={number}")
        assert page.status_code == 200
        body = page.content.decode()
        seen += shown(body)
        counts.append(entries(body))
        assert (f"?chronologie={number - 1}#timeline-title" in body) == (number > 1)
        assert (f"?chronologie={number + 1}#timeline-title" in body) == (number < 3)
        if number == 1:  # the case was opened just now: its event is the newest entry
            assert "Dossier ouvert" in body
    # 120 exchanges and the opening: two full pages and 21 entries, nothing older.
    assert counts == [TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE, EXCHANGES + 1
                      - 2 * TIMELINE_PAGE_SIZE]
    # Newest first, every exchange exactly once across the pages.
    assert seen == list(range(1, EXCHANGES + 1))


def test_first_page_is_the_default_and_bad_numbers_fall_back_to_it(
    world: World, busy_case: int
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    first = shown(client.get(f"/dossiers/{busy_case}/").content.decode())
    assert first == list(range(1, TIMELINE_PAGE_SIZE))  # and the opening event
    for bad in ("0", "-3", "abc", ""):
        page = client.get(f"/dossiers/{busy_case}/?chronologie={bad}")
        assert page.status_code == 200
        assert shown(page.content.decode()) == first
    beyond = client.get(f"/dossiers/{busy_case}/?chronologie=50")
    assert beyond.status_code == 200
    assert shown(beyond.content.decode()) == []
