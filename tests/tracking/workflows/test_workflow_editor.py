"""The workflow editor: admins only, draft → edit → publish, with the mapping of cases."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import make_case
from tracking.models import Case, WorkflowVersion

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_edit_the_workflow(world: World, role: str) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    assert client.get("/parametres/parcours/").status_code == 404
    assert client.post("/parametres/parcours/", {"action": "draft"}).status_code == 404
    with schema_context("a_acme"):
        assert not WorkflowVersion.objects.filter(status="draft").exists()


def test_admin_sees_the_diagram_and_edits_a_draft(world: World) -> None:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin)  # at "received"
    client = signed_in(admin, world.acme)
    page = client.get("/parametres/parcours/").content.decode()
    assert "<svg" in page
    assert "Signalement reçu" in page
    client.post("/parametres/parcours/", {"action": "draft"})
    with schema_context("a_acme"):
        draft = WorkflowVersion.objects.get(status="draft")
        received = draft.stages.get(key="received")
        first_contact = draft.stages.get(key="first_contact")
    # make "first contact" the initial stage, remove "received"
    client.post("/parametres/parcours/", {
        "action": "stage_save", "stage": first_contact.pk, "name": "Premier contact",
        "colour": "#1d4f91", "is_open": "on", "is_initial": "on", "time_limit_hours": "48"})
    client.post("/parametres/parcours/", {"action": "stage_remove", "stage": received.pk})
    page = client.get("/parametres/parcours/").content.decode()
    assert "Le brouillon est valide." in page
    assert "vont à" in page  # the case on the removed stage must be mapped
    refused = client.post("/parametres/parcours/", {"action": "publish"}, follow=True)
    assert "choisissez l&#x27;étape où les déplacer" in refused.content.decode()
    client.post("/parametres/parcours/", {"action": "publish", "map-received": "first_contact"})
    with schema_context("a_acme"):
        assert WorkflowVersion.objects.get(status="published").number == 2
        assert Case.objects.get(pk=case.pk).stage.key == "first_contact"  # type: ignore[union-attr]


def test_bad_stage_input_is_refused_and_nothing_changes(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    client.post("/parametres/parcours/", {"action": "draft"})
    with schema_context("a_acme"):
        before = list(WorkflowVersion.objects.get(status="draft").stages.values_list(
            "name", flat=True))
    response = client.post("/parametres/parcours/", {
        "action": "stage_save", "name": "x" * 81, "colour": "#1d4f91"}, follow=True)
    assert "de 1 à 80 caractères" in response.content.decode()
    response = client.post("/parametres/parcours/", {
        "action": "stage_save", "name": "Nouvelle", "colour": "rouge"}, follow=True)
    assert "#1d4f91" in response.content.decode()
    with schema_context("a_acme"):
        after = list(WorkflowVersion.objects.get(status="draft").stages.values_list(
            "name", flat=True))
    assert after == before


def test_other_association_admin_cannot_reach_the_editor(world: World) -> None:
    client = signed_in(world.beta_admin, world.acme)
    assert client.get("/parametres/parcours/").status_code == 403
