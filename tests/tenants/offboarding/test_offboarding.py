"""Closing an association: a request (first confirmation) makes it read-only and its
export; only an operator's confirmation after the grace period (second confirmation) drops
its schema; the row stays as a tombstone, its host answers "Adresse inconnue", nothing
else moves. Cancelling restores normal use; outsiders reach nothing; a failure leaves
everything as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from relier_platform.errors import ApplicationError
from tenants.models import (
    Association,
    AuditEntry,
    Domain,
    IndicatorContribution,
    Network,
    User,
)
from tenants.networks.services import network_coordinator_add, network_join, network_members
from tenants.networks.tasks import association_contribute_task
from tenants.offboarding import services as offboarding
from tenants.offboarding.export import file_sha256
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World, host_client, signed_in
from tests.tracking.factories import log_interaction, make_case
from tracking.models import Case

pytestmark = pytest.mark.django_db

SLUG = "fermeture"


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.OFFBOARDING_EXPORT_DIR = tmp_path
    return tmp_path


@pytest.fixture
def closing(world: World) -> tuple[Association, User]:
    """An association of its own, with cases, a clinical note and a contact."""
    created = association_create(actor=None, slug=SLUG, name="Fermeture Test",
                                 admin_email=f"admin@{SLUG}.example", admin_password=PASSWORD)
    association, admin = created.association, created.admin
    for i in range(3):
        case = make_case(association, admin, first_name=f"Prénom-{i}")
    log_interaction(association, admin, "admin", case, summary="Premier échange")
    return association, admin


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser("operateur@relier.test", password=PASSWORD)


@pytest.fixture
def second_operator() -> User:
    return User.objects.create_superuser("operatrice@relier.test", password=PASSWORD)


def _request(association: Association, actor: User) -> Association:
    return offboarding.association_closure_request(actor=actor, association=association,
                                                   slug_typed=association.slug)


def _exported(association: Association, actor: User) -> Association:
    _request(association, actor)
    return offboarding.association_export_build(association_id=association.pk,
                                                with_dump=False)


def _count(schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        return int(cursor.fetchone()[0])


def _tracking_tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_name LIKE 'tracking%%' AND table_type = 'BASE TABLE'",
                       [schema])
        return sorted(row[0] for row in cursor.fetchall())


def _after_grace() -> Any:
    return timezone.now() + timedelta(days=31)


# --- the export ----------------------------------------------------------------------


def test_export_holds_every_tracking_table_with_its_row_count(
    closing: tuple[Association, User], export_dir: Path,
) -> None:
    association, admin = closing
    association = _exported(association, admin)
    path = export_dir / association.export_file
    assert association.export_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {t["table"]: t for t in manifest["tables"]}
        tables = _tracking_tables(association.schema_name)
        assert len(tables) >= 20
        for table in tables:
            if table == "tracking_documentblob":  # written decrypted under documents/
                continue
            content = archive.read(f"tables/{table}.csv")
            lines = list(csv.reader(io.StringIO(content.decode("utf-8"))))
            expected = _count(association.schema_name, table)
            assert len(lines) - 1 == expected == listed[table]["rows"], table
            assert listed[table]["sha256"] == hashlib.sha256(content).hexdigest()
        assert "tables/django_session.csv" not in archive.namelist()
        cases = list(csv.DictReader(io.StringIO(
            archive.read("tables/tracking_case.csv").decode("utf-8"))))
    # Names are exported decrypted (readable without the platform's key).
    assert sorted(c["first_name"] for c in cases) == ["Prénom-0", "Prénom-1", "Prénom-2"]
    assert manifest["public"]["association"]["slug"] == SLUG
    assert manifest["public"]["memberships"] == [
        {"email": admin.email, "role": "admin", "is_active": True}]
    assert AuditEntry.objects.filter(action="association.export_made", association=association,
                                     detail__sha256=association.export_sha256).exists()
    # Made twice, it is kept (idempotent).
    again = offboarding.association_export_build(association_id=association.pk,
                                                 with_dump=False)
    assert (again.export_file, again.export_sha256) == (association.export_file,
                                                        association.export_sha256)


def test_an_unreadable_value_stops_the_export_and_leaves_no_file(
    closing: tuple[Association, User], export_dir: Path,
) -> None:
    association, admin = closing
    _request(association, admin)
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{association.schema_name}".tracking_case SET first_name = '
                       "'gAAAAABpas-une-valeur-chiffree-connue' WHERE id = "
                       f'(SELECT min(id) FROM "{association.schema_name}".tracking_case)')
    with pytest.raises(offboarding.ExportError, match="illisible"):
        offboarding.association_export_build(association_id=association.pk,
                                             with_dump=False)
    assert [p for p in export_dir.rglob("*") if p.is_file()] == []
    association.refresh_from_db()
    assert (association.state, association.export_file, association.export_sha256) == (
        Association.State.CLOSING, "", "")


# --- two confirmations, the grace period -----------------------------------------------


def test_a_request_alone_never_drops(
    closing: tuple[Association, User], operator: User,
) -> None:
    association, admin = closing
    # No request: a confirmation alone is refused, even long after.
    with pytest.raises(ApplicationError, match="pas été demandée"):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    association = _exported(association, admin)
    assert association.state == Association.State.CLOSING
    assert association.closure_requested_by == admin
    assert association.closure_not_before is not None
    assert association.closure_requested_at is not None
    assert (association.closure_not_before - association.closure_requested_at
            == timedelta(days=30))
    assert schema_exists(association.schema_name)
    assert Domain.objects.filter(tenant=association).count() == 1
    entry = AuditEntry.objects.get(action="association.closure_requested",
                                   association=association)
    assert entry.actor == admin


def test_confirmation_waits_for_the_grace_period_an_operator_and_the_slug(
    closing: tuple[Association, User], operator: User,
) -> None:
    association, admin = closing
    association = _exported(association, admin)
    assert association.closure_not_before is not None
    with pytest.raises(ApplicationError, match="délai de grâce"):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG)
    with pytest.raises(ApplicationError, match="délai de grâce"):
        offboarding.association_closure_confirm(
            actor=operator, association=association, slug_typed=SLUG,
            now=association.closure_not_before - timedelta(seconds=1))
    with pytest.raises(ApplicationError, match="opérateur"):
        offboarding.association_closure_confirm(actor=admin, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    with pytest.raises(ApplicationError, match="tapez exactement"):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed="acme", now=_after_grace())
    association.refresh_from_db()
    assert association.state == Association.State.CLOSING
    assert schema_exists(association.schema_name)


def test_confirmation_needs_an_intact_export(
    closing: tuple[Association, User], operator: User, export_dir: Path,
) -> None:
    association, admin = closing
    _request(association, admin)
    with pytest.raises(ApplicationError, match="export"):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    association = offboarding.association_export_build(association_id=association.pk,
                                                       with_dump=False)
    with (export_dir / association.export_file).open("ab") as handle:
        handle.write(b"altered")
    with pytest.raises(ApplicationError, match="modifié"):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    assert schema_exists(association.schema_name)


def test_after_the_drop_the_schema_is_gone_the_tombstone_stays_and_the_host_404s(
    world: World, closing: tuple[Association, User], operator: User, export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    association, admin = closing
    acme_case = make_case(world.acme, world.acme_members["admin"], first_name="Témoin")
    association = _exported(association, admin)
    sha = association.export_sha256
    schema = association.schema_name
    # A second export made meanwhile (a task delivered twice, an export made again).
    stray = export_dir / SLUG / "fermeture-test-ancien.zip"
    stray.write_bytes(b"PK")
    files = sorted(p.name for p in export_dir.rglob("*") if p.is_file())
    assert files == sorted([Path(association.export_file).name, stray.name])

    with django_capture_on_commit_callbacks(execute=True):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())

    assert not schema_exists(schema)
    tombstone = Association.objects.get(pk=association.pk)
    assert tombstone.state == Association.State.CLOSED
    assert tombstone.is_active is False
    assert tombstone.closure_confirmed_by == operator
    assert tombstone.closure_requested_by == admin
    assert tombstone.export_sha256 == sha
    assert not Domain.objects.filter(tenant=tombstone).exists()
    response = host_client(tombstone).get("/")
    assert response.status_code == 404
    assert "Adresse inconnue" in response.content.decode()
    entry = AuditEntry.objects.get(action="association.closed", association=tombstone)
    assert entry.actor == operator
    assert entry.detail["export_sha256"] == sha
    # No copy of the data stays on the platform: the export went with the schema.
    assert sorted(entry.detail["export_files_removed"]) == files
    assert [p for p in export_dir.rglob("*") if p.is_file()] == []
    assert tombstone.export_file == ""
    # The others are untouched.
    assert schema_exists(world.acme.schema_name)
    assert schema_exists(world.beta.schema_name)
    with schema_context(world.acme.schema_name):
        assert Case.objects.get(pk=acme_case.pk).first_name == "Témoin"
    assert signed_in(world.acme_members["admin"], world.acme).get("/dossiers/").status_code \
        == 200
    # A closed association is confirmed once: nothing happens a second time.
    with pytest.raises(ApplicationError):
        offboarding.association_closure_confirm(actor=operator, association=tombstone,
                                                slug_typed=SLUG, now=_after_grace())


def test_a_failure_in_the_middle_of_the_drop_leaves_things_as_they_were(
    closing: tuple[Association, User], operator: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    association, admin = closing
    association = _exported(association, admin)

    def broken(schema: str) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(offboarding, "_drop_schema", broken)
    with pytest.raises(RuntimeError):
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    association.refresh_from_db()
    assert association.state == Association.State.CLOSING
    assert association.is_active
    assert association.closure_confirmed_at is None
    assert Domain.objects.filter(tenant=association).count() == 1
    assert schema_exists(association.schema_name)
    assert not AuditEntry.objects.filter(action="association.closed").exists()
    with schema_context(association.schema_name):
        assert Case.objects.count() == 3


# --- read-only, cancelling, networks, e-mails ------------------------------------------


def test_a_closing_association_is_read_only_but_readable(
    closing: tuple[Association, User],
) -> None:
    association, admin = closing
    client = signed_in(admin, association)
    response = client.post("/parametres/fermeture/", {"action": "request", "slug": SLUG})
    assert response.status_code == 302
    refused = client.post("/dossiers/nouveau/", {"first_name": "Nouveau"})
    assert refused.status_code == 403
    assert "en cours de fermeture" in refused.content.decode()
    with schema_context(association.schema_name):
        assert Case.objects.count() == 3
    assert client.get("/dossiers/").status_code == 200
    page = client.get("/parametres/fermeture/")
    assert "L'export est en préparation" in page.content.decode()
    offboarding.association_export_build(association_id=association.pk, with_dump=False)
    download = client.get("/parametres/fermeture/export.zip")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert zipfile.ZipFile(io.BytesIO(body)).read("manifest.json")
    assert AuditEntry.objects.filter(action="association.export_downloaded",
                                     actor=admin).exists()


def test_a_referral_to_a_closing_association_is_refused_with_the_help_lines(
    closing: tuple[Association, User],
) -> None:
    association, admin = closing
    _request(association, admin)
    anonymous = host_client(association)
    refused = anonymous.post("/signaler", {
        "referrer_kind": "parent", "referrer_name": "Un parent",
        "referrer_contact": "parent@example.org", "description": "Ma fille est harcelée."})
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "3018" in page
    assert "119" in page
    with schema_context(association.schema_name):
        assert Case.objects.count() == 3


def test_a_wrong_slug_changes_nothing(closing: tuple[Association, User]) -> None:
    association, admin = closing
    client = signed_in(admin, association)
    response = client.post("/parametres/fermeture/", {"action": "request", "slug": "Fermetur"})
    assert response.status_code == 400
    assert "tapez exactement" in response.content.decode()
    association.refresh_from_db()
    assert association.state == Association.State.ACTIVE
    assert not AuditEntry.objects.filter(action="association.closure_requested").exists()


def test_cancelling_restores_normal_use_and_removes_the_export(
    closing: tuple[Association, User], export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    association, admin = closing
    association = _exported(association, admin)
    path = export_dir / association.export_file
    client = signed_in(admin, association)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/parametres/fermeture/", {"action": "cancel"})
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.state == Association.State.ACTIVE
    assert association.closure_requested_at is None
    assert association.export_file == ""
    assert AuditEntry.objects.filter(action="association.closure_cancelled",
                                     detail__export_removed=file_sha256(path)).exists()
    assert path.is_file()  # the copy goes only once the cancellation is committed:
    # The callback that removes it (the others drop cached hosts, queue tasks, send e-mail).
    next(c for c in callbacks if "_remove_folder" in c.__code__.co_names)()
    assert not path.exists()
    created = client.post("/dossiers/nouveau/", {"first_name": "Après", "birth_year": "2012",
                                                 "town": "Créteil", "department": "94",
                                                 "role": "targeted"})
    assert created.status_code != 403


def test_a_closing_association_leaves_its_networks(
    closing: tuple[Association, User],
) -> None:
    association, admin = closing
    network = Network.objects.create(name="Réseau fermeture", agreement_version="1")
    network_join(actor=admin, association=association, network=network,
                 agreement_version="1")
    assert list(network_members(network)) == [association]
    with schema_context(association.schema_name):
        assert association_contribute_task(association.schema_name) > 0
    _request(association, admin)
    assert list(network_members(network)) == []
    # Its next contribution run (the one the request queues) clears what it had in public.
    with schema_context(association.schema_name):
        assert association_contribute_task(association.schema_name) == 0
    assert not IndicatorContribution.objects.filter(association=association).exists()
    offboarding.association_closure_cancel(actor=admin, association=association)
    assert list(network_members(network)) == [association]


def test_admins_are_told_by_email(closing: tuple[Association, User]) -> None:
    association, admin = closing
    association = _request(association, admin)
    offboarding._notify_admins(association, "requested")
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert "Fermeture de Fermeture Test demandée" in mail.outbox[0].subject
    assert f"{SLUG}." in mail.outbox[0].body
    assert "/parametres/fermeture/" in mail.outbox[0].body


# --- isolation -------------------------------------------------------------------------


@pytest.fixture
def coordinator() -> User:
    user = User.objects.create_user("coord@reseau-fermeture.example", password=PASSWORD)
    network = Network.objects.create(name="Réseau isolation fermeture")
    network_coordinator_add(actor=None, network=network, user=user)
    return user


@pytest.mark.parametrize("path", ["/parametres/fermeture/", "/parametres/fermeture/export.zip"])
def test_outsiders_cannot_request_closure_nor_download_the_export(
    world: World, closing: tuple[Association, User], coordinator: User, path: str,
) -> None:
    association, admin = closing
    association = _exported(association, admin)
    for outsider in (world.beta_admin, coordinator):
        client = signed_in(outsider, association)
        assert client.get(path).status_code == 403
        assert client.post(path, {"action": "cancel"}).status_code == 403
    # A member of the association who is not an admin: 404, nothing revealed.
    for role in ("coordinator", "psychologist", "read_only"):
        member = world.acme_members[role]
        from tenants.tenancy.services import membership_create

        membership_create(actor=None, association=association, user=member, role=role)
        response = signed_in(member, association).get(path)
        assert response.status_code == 404, role
    assert host_client(association).get(path).status_code == 302  # anonymous: sign in
    association.refresh_from_db()
    assert association.state == Association.State.CLOSING


def test_outsiders_are_refused_by_the_services(
    world: World, closing: tuple[Association, User], coordinator: User,
) -> None:
    association, _admin = closing
    for outsider in (world.beta_admin, coordinator, world.acme_members["coordinator"]):
        with pytest.raises(ApplicationError):
            offboarding.association_closure_request(actor=outsider, association=association,
                                                    slug_typed=SLUG)
    association.refresh_from_db()
    assert association.state == Association.State.ACTIVE


def test_beta_admin_gets_no_export_on_their_own_host(
    world: World, closing: tuple[Association, User],
) -> None:
    association, admin = closing
    _exported(association, admin)
    client = signed_in(world.beta_admin, world.beta)
    assert client.get("/parametres/fermeture/export.zip").status_code == 404


# --- operators' command ----------------------------------------------------------------


def test_the_operators_command_requests_then_confirms_after_the_grace_period(
    closing: tuple[Association, User], operator: User, second_operator: User,
) -> None:
    association, _admin = closing
    out = io.StringIO()
    call_command("association_close", SLUG, "--request", f"--operator={operator.email}",
                 f"--retype={SLUG}", stdout=out)
    assert "fermeture demandée" in out.getvalue()
    offboarding.association_export_build(association_id=association.pk, with_dump=False)
    with pytest.raises(CommandError, match="délai de grâce"):
        call_command("association_close", SLUG, "--confirm", f"--operator={operator.email}",
                     f"--retype={SLUG}")
    assert schema_exists(association.schema_name)
    # The grace period passes.
    Association.objects.filter(pk=association.pk).update(
        closure_not_before=timezone.now() - timedelta(minutes=1))
    out = io.StringIO()
    call_command("association_close", "--due", stdout=out)
    assert SLUG in out.getvalue()
    with pytest.raises(CommandError, match="opérateur"):
        call_command("association_close", SLUG, "--confirm", "--operator=personne@x.example",
                     f"--retype={SLUG}")
    # Four eyes: the operator who asked cannot confirm.
    with pytest.raises(CommandError, match="autre personne"):
        call_command("association_close", SLUG, "--confirm", f"--operator={operator.email}",
                     f"--retype={SLUG}")
    assert schema_exists(association.schema_name)
    out = io.StringIO()
    call_command("association_close", SLUG, "--confirm", f"--operator={second_operator.email}",
                 f"--retype={SLUG}", stdout=out)
    assert "fermée" in out.getvalue()
    assert not schema_exists(association.schema_name)


def test_an_operator_confirms_in_the_admin_after_retyping_the_address(
    closing: tuple[Association, User], operator: User,
) -> None:
    association, admin = closing
    _exported(association, admin)
    client = signed_in(operator)
    url = "/admin/tenants/association/"
    page = client.post(url, {"action": "closure_confirm", "_selected_action": [association.pk]})
    assert page.status_code == 200
    assert f"retype_{association.pk}" in page.content.decode()
    # Still in the grace period: refused, nothing dropped.
    client.post(url, {"action": "closure_confirm", "_selected_action": [association.pk],
                      "retype_submitted": "1", f"retype_{association.pk}": SLUG})
    assert schema_exists(association.schema_name)
    Association.objects.filter(pk=association.pk).update(
        closure_not_before=timezone.now() - timedelta(minutes=1))
    client.post(url, {"action": "closure_confirm", "_selected_action": [association.pk],
                      "retype_submitted": "1", f"retype_{association.pk}": "mauvais"})
    assert schema_exists(association.schema_name)
    client.post(url, {"action": "closure_confirm", "_selected_action": [association.pk],
                      "retype_submitted": "1", f"retype_{association.pk}": SLUG})
    assert not schema_exists(association.schema_name)
    association.refresh_from_db()
    assert association.state == Association.State.CLOSED
    assert association.closure_confirmed_by == operator


def test_the_operator_who_requested_a_closure_cannot_confirm_it(
    closing: tuple[Association, User], operator: User, second_operator: User,
) -> None:
    association, _admin = closing
    _exported(association, operator)
    with pytest.raises(ApplicationError) as refused:
        offboarding.association_closure_confirm(actor=operator, association=association,
                                                slug_typed=SLUG, now=_after_grace())
    assert refused.value.message == ("La suppression doit être confirmée par une autre "
                                     "personne que celle qui a demandé la fermeture.")
    association.refresh_from_db()
    assert association.state == Association.State.CLOSING
    assert schema_exists(association.schema_name)
    assert not AuditEntry.objects.filter(action="association.closed").exists()
    offboarding.association_closure_confirm(actor=second_operator, association=association,
                                            slug_typed=SLUG, now=_after_grace())
    assert not schema_exists(association.schema_name)
    association.refresh_from_db()
    assert (association.closure_requested_by, association.closure_confirmed_by) == (
        operator, second_operator)


def test_an_unpaid_read_only_association_can_still_ask_to_close(
    closing: tuple[Association, User],
) -> None:
    from billing.models import Subscription
    from billing.selectors import billing_state_forget

    association, admin = closing
    Subscription.objects.create(association=association, plan_code="solidaire",
                                grace_started_at=timezone.now() - timedelta(days=30))
    billing_state_forget(association.pk)
    client = signed_in(admin, association)
    assert client.post("/dossiers/nouveau/", {"first_name": "X"}).status_code == 403
    response = client.post("/parametres/fermeture/", {"action": "request", "slug": SLUG})
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.state == Association.State.CLOSING


# --- finding the page ------------------------------------------------------------------


def test_admins_reach_the_closure_and_retention_pages_from_the_menu(world: World) -> None:
    admin = signed_in(world.acme_members["admin"], world.acme)
    home = admin.get("/").content.decode()
    assert 'href="/parametres/conservation/"' in home
    plan = admin.get("/parametres/abonnement/").content.decode()
    assert 'href="/parametres/fermeture/"' in plan
    assert admin.get("/parametres/fermeture/").status_code == 200
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert 'href="/parametres/conservation/"' not in coordinator.get("/").content.decode()


def test_the_request_writes_its_tasks_with_it(
    closing: tuple[Association, User], django_capture_on_commit_callbacks: Any,
) -> None:
    """The export and the Stripe sync are in the outbox before the request commits: no
    crash after the commit can lose them (tenants/outbox/services.py)."""
    from tenants.models import OutboxTask

    association, admin = closing
    with django_capture_on_commit_callbacks(execute=False):
        _request(association, admin)
    assert sorted(OutboxTask.objects.filter(args=[association.pk])
                  .values_list("task_name", flat=True)) == [
        "tenants.association_closure_billing_task", "tenants.association_export_task"]


def test_export_folders_no_closing_association_owns_are_removed_at_night(
    world: World, closing: tuple[Association, User], export_dir: Path,
) -> None:
    """Left by a process that died between a drop and the folder's deletion."""
    association, admin = closing
    _exported(association, admin)
    leftover = export_dir / "ancienne-association"
    leftover.mkdir()
    (leftover / "ancienne-association-2026.zip").write_bytes(b"PK")
    foreign = export_dir / "autre-chose"  # not an export folder: never touched
    foreign.mkdir()
    (foreign / "notes.txt").write_text("à garder")
    assert offboarding.export_leftovers_remove() == ["ancienne-association"]
    assert not leftover.exists()
    assert (foreign / "notes.txt").read_text() == "à garder"
    assert (export_dir / SLUG).is_dir()  # still closing: its export stays
    entry = AuditEntry.objects.get(action="association.export_leftover_removed")
    assert entry.detail == {"folder": "ancienne-association",
                            "files": ["ancienne-association-2026.zip"]}
    assert offboarding.export_leftovers_remove() == []
