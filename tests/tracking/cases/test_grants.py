"""Per-case grants and group facilitation are django-guardian object permissions with
direct keys (tracking.CaseUserObjectPermission, tracking.GroupFacilitation): guardian's
own API and the filters every page applies (tracking.permissions) agree; a content type
numbered otherwise in an association's schema changes nothing; the grants stay in their
association; and the migration from the former CaseGrant rows and facilitators' table
loses nothing, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_perms

from relier_platform.tenancy import db
from tenants.models import User
from tests.conftest import World, signed_in
from tests.tracking.factories import actor, make_case
from tracking.cases.services import case_grant
from tracking.groups.services import facilitates, group_create
from tracking.models import Case, CaseUserObjectPermission, GroupFacilitation
from tracking.permissions import case_editable_q, case_visible_q

pytestmark = pytest.mark.django_db
BEFORE = "0012_referral_notified_at"


def _may(user: User, role: str, case: Case) -> tuple[bool, bool]:
    someone = actor(user, role)
    return (Case.objects.filter(case_visible_q(someone), pk=case.pk).exists(),
            Case.objects.filter(case_editable_q(someone), pk=case.pk).exists())


def test_guardian_and_the_page_filters_agree_on_every_grant(world: World) -> None:
    admin = world.acme_members["admin"]
    reader, listener = world.acme_members["read_only"], world.acme_members["listener"]
    case = make_case(world.acme, admin, staff=[])
    with schema_context("a_acme"):
        assert _may(reader, "read_only", case) == (False, False)
        assert get_perms(reader, case) == []

        case_grant(actor=actor(admin, "admin"), case=case, user_id=reader.pk,
                   can_edit=False)
        case_grant(actor=actor(admin, "admin"), case=case, user_id=listener.pk,
                   can_edit=True)
        assert _may(reader, "read_only", case) == (True, False)
        assert _may(listener, "listener", case) == (True, True)
        assert sorted(get_perms(reader, case)) == ["view_case"]
        assert sorted(get_perms(listener, case)) == ["change_case", "view_case"]
        assert ObjectPermissionChecker(listener).has_perm("change_case", case)
        assert listener.has_perm("tracking.change_case", case)
        assert not reader.has_perm("tracking.change_case", case)

        # Granting again without editing takes `change_case` back, and only that.
        case_grant(actor=actor(admin, "admin"), case=case, user_id=listener.pk,
                   can_edit=False)
        assert _may(listener, "listener", case) == (True, False)
        assert get_perms(listener, case) == ["view_case"]
        row = CaseUserObjectPermission.objects.get(user=listener, content_object=case)
        assert row.granted_by_id == admin.pk
        assert list(case.events.filter(kind="granted").values_list(
            "detail__can_edit", flat=True)) == [False, True, False]


def test_content_types_have_one_table_for_the_whole_platform(world: World) -> None:
    """auth_permission (public) points at public's content types, and guardian joins the
    two from an association's host: no schema keeps a copy that could number a model
    otherwise (tracking/migrations/0014_content_types_in_public_only.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables "
                       "WHERE table_name = 'django_content_type'")
        assert [row[0] for row in cursor.fetchall()] == ["public"]
    with schema_context("a_acme"):
        assert ContentType.objects.get_for_model(Case).pk == ContentType.objects.get(
            app_label="tracking", model="case").pk


def test_a_grant_stays_in_its_association(world: World) -> None:
    reader = world.acme_members["read_only"]
    acme_case = make_case(world.acme, world.acme_members["admin"], staff=[])
    beta_case = make_case(world.beta, world.beta_admin, first_name="Bêta-canari")
    with schema_context("a_acme"):
        case_grant(actor=actor(world.acme_members["admin"], "admin"), case=acme_case,
                   user_id=reader.pk, can_edit=True)
    with schema_context("a_beta"):
        assert not CaseUserObjectPermission.objects.exists()
        assert get_perms(reader, beta_case) == []
    # Nor on beta's host, whatever the case's number: the person is no member there.
    client = signed_in(reader, world.beta)
    assert client.get(f"/dossiers/{beta_case.pk}/").status_code in (403, 404)
    assert client.get(f"/dossiers/{acme_case.pk}/").status_code in (403, 404)


def test_a_volunteer_sees_and_runs_only_the_groups_they_facilitate(world: World) -> None:
    admin, volunteer = world.acme_members["admin"], world.acme_members["volunteer"]
    with schema_context("a_acme"):
        mine = group_create(actor=actor(admin, "admin"), theme="Estime de soi", weekday=2,
                            facilitator_ids=[volunteer.pk])
        other = group_create(actor=actor(admin, "admin"), theme="Réseaux", weekday=3)
        assert facilitates(actor(volunteer, "volunteer"), mine)
        assert not facilitates(actor(volunteer, "volunteer"), other)
        assert get_perms(volunteer, mine) == ["facilitate_exchangegroup"]
        assert mine.facilitators == [volunteer]
    client = signed_in(volunteer, world.acme)
    assert client.get(f"/groupes/{mine.pk}/").status_code == 200
    assert client.get(f"/groupes/{other.pk}/").status_code == 404
    assert "Réseaux" not in client.get("/groupes/").content.decode()


@pytest.fixture
def acme_schema(world: World) -> Iterator[str]:
    yield "a_acme"
    db().set_schema_to_public()


def _migrate(schema: str, target: str) -> None:
    # Rows written in this test's transaction fire their deferred key checks first:
    # PostgreSQL refuses to alter a table with pending trigger events.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("migrate_schemas", "tracking", target, schema_name=schema,
                 interactive=False, verbosity=0)
    db().set_schema_to_public()


def _rows(sql: str) -> set[tuple[Any, ...]]:
    with schema_context("a_acme"), connection.cursor() as cursor:
        cursor.execute(sql)
        return set(cursor.fetchall())


def test_the_migration_keeps_every_grant_and_facilitator_both_ways(
        world: World, acme_schema: str) -> None:
    (head,) = MigrationLoader(None).graph.leaf_nodes("tracking")
    admin, reader = world.acme_members["admin"], world.acme_members["read_only"]
    listener, volunteer = world.acme_members["listener"], world.acme_members["volunteer"]
    seen = make_case(world.acme, admin, staff=[])
    edited = make_case(world.acme, admin, staff=[])
    with schema_context("a_acme"):
        case_grant(actor=actor(admin, "admin"), case=seen, user_id=reader.pk,
                   can_edit=False)
        case_grant(actor=actor(admin, "admin"), case=edited, user_id=listener.pk,
                   can_edit=True)
        group = group_create(actor=actor(admin, "admin"), theme="Estime de soi", weekday=2,
                             facilitator_ids=[volunteer.pk, listener.pk])
        granted_at = {row.content_object_id: row.granted_at
                      for row in CaseUserObjectPermission.objects.order_by("-granted_at")}

    _migrate(acme_schema, BEFORE)
    assert _rows("SELECT case_id, user_id, can_edit, granted_by_id FROM tracking_casegrant") == {
        (seen.pk, reader.pk, False, admin.pk), (edited.pk, listener.pk, True, admin.pk)}
    assert _rows("SELECT case_id, granted_at FROM tracking_casegrant") == set(
        granted_at.items())
    assert _rows("SELECT exchangegroup_id, user_id FROM tracking_group_facilitators") == {
        (group.pk, volunteer.pk), (group.pk, listener.pk)}
    # A grant made before guardian, as the former code wrote it.
    with schema_context("a_acme"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO tracking_casegrant (case_id, user_id, can_edit, "
                       "granted_by_id, granted_at) VALUES (%s, %s, true, %s, now())",
                       [seen.pk, listener.pk, admin.pk])

    _migrate(acme_schema, head[1])
    with schema_context("a_acme"):
        grants = {(row.content_object_id, row.user_id, row.permission.codename,
                   row.granted_by_id) for row in CaseUserObjectPermission.objects.all()}
        assert grants == {
            (seen.pk, reader.pk, "view_case", admin.pk),
            (edited.pk, listener.pk, "view_case", admin.pk),
            (edited.pk, listener.pk, "change_case", admin.pk),
            (seen.pk, listener.pk, "view_case", admin.pk),
            (seen.pk, listener.pk, "change_case", admin.pk),
        }
        assert {(row.content_object_id, row.user_id, row.permission.codename)
                for row in GroupFacilitation.objects.all()} == {
            (group.pk, volunteer.pk, "facilitate_exchangegroup"),
            (group.pk, listener.pk, "facilitate_exchangegroup")}
        assert _may(listener, "listener", seen) == (True, True)
        assert set(get_perms(listener, seen)) == {"view_case", "change_case"}
