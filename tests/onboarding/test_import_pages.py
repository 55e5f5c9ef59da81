"""The import pages: an admin uploads, maps, dry-runs and commits through the browser's
requests; nobody else reaches a page, an action or an import run (404 inside the
association, 403 from outside it)."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from onboarding.importing import services
from onboarding.samples.make_monday_sample import SAMPLE
from tenants.models import Network, Role, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import SentTask, World, host_client, signed_in
from tests.tracking.factories import actor
from tracking.models import AuditLog, Case, ImportRun

pytestmark = pytest.mark.django_db
SCHEMA = "a_acme"
CSV = "Identifiant;Prénom;Ville\r\nP-1;Canari;Ville-Canari\r\nP-2;Léa;Montreuil\r\n".encode()


def _run(world: World) -> ImportRun:
    with schema_context(SCHEMA):
        return services.import_upload(actor=actor(world.acme_members["admin"], "admin"),
                                      file_name="canari.csv", content=CSV)


def _urls(run_id: int) -> list[tuple[str, str]]:
    base = f"/parametres/import/{run_id}/"
    return [("get", "/parametres/import/"), ("post", "/parametres/import/"),
            ("get", "/parametres/import/exemple-monday.xlsx"), ("get", base),
            ("post", base + "colonnes/"), ("post", base + "valider/"),
            ("get", base + "progression/")]


def test_admin_uploads_maps_dry_runs_and_commits(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    home = client.get("/parametres/import/")
    assert home.status_code == 200
    assert "Importer des données" in home.content.decode()
    with SAMPLE.open("rb") as sample:
        response = client.post("/parametres/import/", {"file": sample})
    assert response.status_code == 302
    with schema_context(SCHEMA):
        run = ImportRun.objects.get()
    assert response["Location"] == f"/parametres/import/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Correspondance des colonnes" in page
    assert "Valeurs à faire correspondre" in page
    assert "Nouveaux signalements" in page

    form = {f"col_{c['index']}": run.mapping.get(str(c["index"]), "") for c in run.columns}
    form["col_2"] = ""  # Référent·e: the sample's people are not in this team
    form.update({"raw_0_1": "Nouveaux signalements", "val_0_1": "received",
                 "raw_0_2": "Suivis en cours", "val_0_2": "support", "action": "dry_run"})
    response = client.post(f"/parametres/import/{run.pk}/colonnes/", form)
    assert response.status_code == 302
    page = client.get(f"/parametres/import/{run.pk}/").content.decode()
    assert "rien n'a encore été écrit" in page
    assert "Importer : 12 à créer, 0 à mettre à jour" in page
    with schema_context(SCHEMA):
        assert Case.objects.count() == 0

    response = client.post(f"/parametres/import/{run.pk}/valider/")
    assert response.status_code == 302
    page = client.get(f"/parametres/import/{run.pk}/").content.decode()
    assert "Rapport d'import" in page
    assert '<dd id="nb-crees">12</dd>' in page
    with schema_context(SCHEMA):
        assert Case.objects.count() == 12
        assert ImportRun.objects.get().status == "committed"
    progress = json.loads(client.get(f"/parametres/import/{run.pk}/progression/").content)
    assert progress == {"status": "committed", "label": "Importé", "running": False,
                        "done": 12, "total": 12, "percent": 100}


def test_a_refused_upload_is_said_on_the_page(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/parametres/import/", {
        "file": SimpleUploadedFile("dossiers.ods", b"PK\x03\x04")})
    assert response.status_code == 400
    assert "Format non pris en charge" in response.content.decode()


def test_large_files_go_through_a_task_and_a_progress_page(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: object,
    tasks_sent: list[SentTask],
) -> None:
    monkeypatch.setattr(services, "INLINE_ROWS", 1)
    run = _run(world)
    client = signed_in(world.acme_members["admin"], world.acme)
    form = {"col_0": "external_id", "col_1": "first_name", "col_2": "town",
            "action": "dry_run"}
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(f"/parametres/import/{run.pk}/colonnes/", form)
    assert response.status_code == 302
    assert tasks_sent == [SentTask("onboarding.import_validate_task", (run.pk, SCHEMA), SCHEMA)]
    page = client.get(f"/parametres/import/{run.pk}/").content.decode()
    assert '<progress id="progression"' in page
    assert "Vérification en cours" in page
    progress = json.loads(client.get(f"/parametres/import/{run.pk}/progression/").content)
    assert (progress["running"], progress["status"], progress["total"]) == (
        True, "validating", 2)


@pytest.fixture
def coordinator(world: World) -> User:
    user = User.objects.create_user("coord-import@reseau.example", password="x" * 12)
    network = Network.objects.create(name="Réseau import")
    network_coordinator_add(actor=None, network=network, user=user)
    return user


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_members_who_are_not_admins_get_404_everywhere(world: World, role: str) -> None:
    run = _run(world)
    client = signed_in(world.acme_members[role], world.acme)
    for method, url in _urls(run.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (role, method, url)
        assert b"Canari" not in response.content


@pytest.mark.parametrize("who", ["anonymous", "beta_admin", "network_coordinator"])
def test_outsiders_reach_no_import_page_nor_run(world: World, coordinator: User,
                                                who: str) -> None:
    run = _run(world)
    people = {"beta_admin": world.beta_admin, "network_coordinator": coordinator}
    client = (host_client(world.acme) if who == "anonymous"
              else signed_in(people[who], world.acme))
    for method, url in _urls(run.pk):
        response = getattr(client, method)(url)
        assert b"Canari" not in response.content
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url
        else:
            assert response.status_code == 403, (who, url)
    with schema_context(SCHEMA):
        assert ImportRun.objects.get(pk=run.pk).status == "uploaded"
        assert Case.objects.count() == 0


def test_another_associations_admin_cannot_see_a_run_from_their_own_host(
    world: World
) -> None:
    run = _run(world)
    client = signed_in(world.beta_admin, world.beta)
    assert client.get("/parametres/import/").status_code == 200
    for method, url in _urls(run.pk)[3:]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert b"Canari" not in response.content
    with schema_context(world.beta.schema_name):
        assert not ImportRun.objects.filter(pk=run.pk).exists()
        assert not AuditLog.objects.filter(action__startswith="import.").exists()
    body = client.get("/parametres/import/").content
    assert b"canari.csv" not in body
