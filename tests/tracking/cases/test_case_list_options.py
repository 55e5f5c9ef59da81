"""The case list's filter options (issue #21): read from the association's own tables on
every display, their HTML built again as soon as the rows differ, never another
association's; the same markup as the template loops it replaces."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tracking.cases import views
from tracking.models import Partner, PicklistItem


def _new(kind: str, label: str) -> PicklistItem:
    return PicklistItem.objects.create(kind=kind, code=label.lower().replace(" ", "-"),
                                       label=label, position=99)


def _school() -> PicklistItem:
    found = PicklistItem.objects.filter(kind="partner_type").first()
    assert found is not None
    return found

pytestmark = pytest.mark.django_db


def test_each_association_sees_its_own_options_and_changes_at_once(world: World) -> None:
    with schema_context("a_acme"):
        kind = _school()
        mine = Partner.objects.create(name="Collège Acme", kind=kind)
        programme = _new("programme", "Programme Acme")
    with schema_context("a_beta"):
        theirs = Partner.objects.create(name="Lycée Bêta", kind=_school())
    acme = signed_in(world.acme_members["admin"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    for _ in range(2):  # the second time from the kept HTML
        acme_page = acme.get("/dossiers/").content.decode()
        beta_page = beta.get("/dossiers/").content.decode()
        assert f'<option value="{mine.pk}">Collège Acme</option>' in acme_page
        assert "Lycée Bêta" not in acme_page
        assert f'<option value="{theirs.pk}">Lycée Bêta</option>' in beta_page
        assert "Collège Acme" not in beta_page
        assert f'<option value="{programme.pk}">{programme.label}</option>' in acme_page
        assert programme.label not in beta_page
    assert {key[0] for key in views._OPTIONS} >= {"a_acme", "a_beta"}
    # A change made anywhere (here straight in the table) shows on the next display.
    with schema_context("a_acme"):
        Partner.objects.filter(pk=mine.pk).update(name="Collège <Acme> & Cie")
        added = Partner.objects.create(name="Club Acme", kind=kind)
    page = acme.get("/dossiers/").content.decode()
    assert f'<option value="{mine.pk}">Collège &lt;Acme&gt; &amp; Cie</option>' in page
    assert f'<option value="{added.pk}">Club Acme</option>' in page


def test_the_selected_option_is_marked(world: World) -> None:
    with schema_context("a_acme"):
        first = _new("programme", "Premier programme")
        second = _new("programme", "Second programme")
    client = signed_in(world.acme_members["admin"], world.acme)
    page = client.get(f"/dossiers/?programme={second.pk}").content.decode()
    assert f'<option value="{second.pk}" selected>{second.label}</option>' in page
    assert f'<option value="{first.pk}">{first.label}</option>' in page
    plain = client.get("/dossiers/").content.decode()
    assert " selected>" + second.label not in plain


def test_default_list_makes_nine_queries(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    client.get("/dossiers/")  # the session's "last seen" written once
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/dossiers/").status_code == 200
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in captured.captured_queries
              if " FROM " in q["sql"]]
    # Session, account, memberships; the bounded count and the page; the filters' lists.
    assert len(captured.captured_queries) == 9
    for table in ('"django_session"', '"tenants_user"', '"tenants_membership"',
                  '"tracking_partner"', '"tracking_picklistitem"', '"tracking_stage"',
                  '"tracking_customfield"'):
        assert tables.count(table) == 1, (table, tables)
