"""Backup and restore of one association: its schema is dumped by pg_dump (another
connection: the data must be committed, so this test uses an association of its own,
`sauvegarde`, with committed rows, and removes it afterwards), dropped, restored, and the
same cases are found; a restore over an existing schema is refused and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from relier_platform.tenancy import db
from tenants.models import Association, Domain, Membership, User
from tenants.offboarding.backup import manifest_path
from tenants.tenancy.services import association_create, association_host
from tests.conftest import PASSWORD, World, committed_data
from tracking.cases.services import CaseData, case_create
from tracking.models import Case

SLUG = "sauvegarde"
SCHEMA = "a_sauvegarde"
ADMIN = "admin@sauvegarde.example"


def _drop_association(slug: str, schema: str) -> None:
    """What an operator removing an association would do: its public rows, then its
    schema (deleting the row never drops it)."""
    db().set_schema_to_public()
    association = Association.objects.filter(slug=slug).first()
    if association is not None:
        relations = [f for f in Association._meta.get_fields(include_hidden=True)
                     if f.auto_created and not f.concrete and f.is_relation]
        for relation in relations:
            related: Any = relation.related_model
            related._base_manager.filter(**{relation.field.name: association}).delete()
        association.delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def committed(world: World, django_db_blocker: Any) -> Iterator[None]:
    with committed_data(django_db_blocker, _clean):
        yield


def _clean() -> None:
    _drop_association(SLUG, SCHEMA)
    # Deleting an account looks for its rows in tenant tables too: the search path of an
    # existing association (then public) lets those lookups run.
    with schema_context("a_acme"):
        User.objects.filter(email=ADMIN).delete()


def _case_rows() -> list[tuple[str, str, int | None]]:
    with schema_context(SCHEMA):
        return [(c.code, c.first_name, c.birth_year) for c in Case.objects.order_by("code")]


def test_backup_then_restore_brings_back_the_same_cases(committed: None, tmp_path: Path) -> None:
    association_create(actor=None, slug=SLUG, name="Sauvegarde Écoute", admin_email=ADMIN,
                       admin_password=PASSWORD)
    with schema_context(SCHEMA):
        for first_name, year in (("Lina", 2011), ("Noé", 2012), ("Sacha", 2010)):
            case_create(actor=None, data=CaseData(first_name=first_name, birth_year=year))
    before = _case_rows()
    assert [row[1:] for row in before] == [("Lina", 2011), ("Noé", 2012), ("Sacha", 2010)]

    dump = tmp_path / "sauvegarde.dump"
    call_command("association_backup", slug=SLUG, out=dump)
    manifest = json.loads(manifest_path(dump).read_text())
    assert manifest["association"] == {
        "slug": SLUG, "name": "Sauvegarde Écoute", "schema_name": SCHEMA, "is_active": True,
        "created_at": manifest["association"]["created_at"],
    }
    assert manifest["domains"] == [{"domain": association_host(SLUG), "is_primary": True}]
    assert manifest["memberships"] == [{"email": ADMIN, "role": "admin", "is_active": True}]
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    _drop_association(SLUG, SCHEMA)
    assert not schema_exists(SCHEMA)
    assert not Association.objects.filter(slug=SLUG).exists()

    call_command("association_restore", file=dump, slug=SLUG)
    assert schema_exists(SCHEMA)
    restored = Association.objects.get(slug=SLUG)
    assert (restored.name, restored.schema_name, restored.is_active) == (
        "Sauvegarde Écoute", SCHEMA, True)
    assert list(Domain.objects.filter(tenant=restored).values_list("domain", "is_primary")) == [
        (association_host(SLUG), True)]
    assert list(Membership.objects.filter(association=restored)
                .values_list("user__email", "role", "is_active")) == [(ADMIN, "admin", True)]
    assert _case_rows() == before


def test_restore_is_refused_when_the_schema_exists(committed: None, tmp_path: Path) -> None:
    association_create(actor=None, slug=SLUG, name="Sauvegarde Écoute", admin_email=ADMIN,
                       admin_password=PASSWORD)
    with schema_context(SCHEMA):
        case_create(actor=None, data=CaseData(first_name="Lina", birth_year=2011))
    dump = tmp_path / "sauvegarde.dump"
    call_command("association_backup", slug=SLUG, out=dump)
    with schema_context(SCHEMA):
        case_create(actor=None, data=CaseData(first_name="Après", birth_year=2012))
    before = _case_rows()

    with pytest.raises(CommandError) as refused:
        call_command("association_restore", file=dump, slug=SLUG)
    assert str(refused.value) == (
        "Le schéma a_sauvegarde existe déjà : restauration refusée (rien n'est écrasé).")
    assert _case_rows() == before
    assert Association.objects.filter(slug=SLUG).count() == 1


def test_backup_of_an_unknown_association_is_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("association_backup", slug="inconnue", out=tmp_path / "x.dump")
    assert str(refused.value) == "Aucune association « inconnue »."
    assert list(tmp_path.iterdir()) == []


def test_restore_under_another_slug_is_refused(world: World, tmp_path: Path) -> None:
    dump = tmp_path / "acme.dump"
    dump.write_bytes(b"PGDMP")
    manifest_path(dump).write_text(json.dumps({
        "format": 1, "association": {"slug": "acme", "schema_name": "a_acme"},
        "domains": [], "memberships": [],
    }))
    with pytest.raises(CommandError) as refused:
        call_command("association_restore", file=dump, slug="beta")
    assert str(refused.value) == "Cette sauvegarde est celle de « acme », pas de « beta »."
