"""The case list's SQL kept per (schema, role, person, filters, day, slice)
(relier_platform.prepared.KeyedRows, tracking.cases.views._rows_of): the same rows and counts
as the querysets it stands for, and a list kept for one person or association never
answers another's."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import actor, make_case
from tracking.cases import selectors, views

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    {}, {"status": "all", "sort": "code"}, {"q": "Bon"}, {"age_bracket": "11-14"},
    {"mine": "1"}, {"status": "closed"}, {"sort": "town", "status": "all"},
])
def test_same_rows_and_counts_as_the_querysets(world: World, query: dict[str, str]) -> None:
    admin = world.acme_members["admin"]
    listener = world.acme_members["listener"]
    for n in range(4):
        make_case(world.acme, admin, town="Bondy" if n % 2 else "Pantin",
                  staff=[listener] if n < 2 else [])
    for user, role in ((admin, "admin"), (listener, "listener")):
        who = actor(user, role)
        filters = views.filters_from(query)
        with schema_context("a_acme"):
            expected = selectors.case_list_rows(selectors.case_list(actor=who, filters=filters))
            for _ in range(2):  # compiled, then from the memo
                kept = views._rows_of(who, filters)
                assert kept[:2001].count() == expected[:2001].count()
                assert list(kept[0:3]) == list(expected[0:3])
                assert list(kept[1:10]) == list(expected[1:10])
                assert kept.count() == expected.count()


def test_a_kept_list_never_answers_another_person_or_association(world: World) -> None:
    admin = world.acme_members["admin"]
    listener = world.acme_members["listener"]
    make_case(world.acme, admin, staff=[listener], town="Villeassignée")
    make_case(world.acme, admin, town="Villeautre")
    make_case(world.beta, world.beta_admin, town="Villebêta")
    acme_admin = signed_in(admin, world.acme)
    acme_listener = signed_in(listener, world.acme)
    beta_admin = signed_in(world.beta_admin, world.beta)
    for _ in range(2):  # compiled, then from the memo
        page = acme_admin.get("/dossiers/").content.decode()
        assert "Villeassignée" in page
        assert "Villeautre" in page
        assert "Villebêta" not in page
        page = acme_listener.get("/dossiers/").content.decode()
        assert "Villeassignée" in page
        assert "Villeautre" not in page
        page = beta_admin.get("/dossiers/").content.decode()
        assert "Villebêta" in page
        assert "Villeassignée" not in page
        assert "Villeautre" not in page
    assert {key[0][0] for key in views._LIST_SQL} >= {"a_acme", "a_beta"}
    # A case opened since is in the next display (the SQL is kept, not the rows).
    make_case(world.acme, admin, staff=[listener], town="Villenouvelle")
    assert "Villenouvelle" in acme_listener.get("/dossiers/").content.decode()
