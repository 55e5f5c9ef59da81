"""The permission matrix: role × action × own case / someone else's case / another
association's case. A forbidden case answers 404, like a missing one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World, signed_in
from tests.tracking.factories import log_interaction, make_case

pytestmark = pytest.mark.django_db

ROLES = ["admin", "coordinator", "psychologist", "listener", "volunteer", "read_only"]
SEES_EVERY_CASE = {"admin", "coordinator"}
SEES_OWN_CASE = {"admin", "coordinator", "psychologist", "listener"}
CANARY_NOTE = "NOTE-CLINIQUE-CANARI"


@pytest.fixture
def cases(world: World) -> dict[str, Any]:
    admin = world.acme_members["admin"]
    own = {role: make_case(world.acme, admin, staff=[world.acme_members[role]])
           for role in ROLES}
    other = make_case(world.acme, admin, staff=[])
    log_interaction(world.acme, world.acme_members["psychologist"], "psychologist",
                    own["psychologist"], summary="Premier entretien",
                    clinical_note=CANARY_NOTE)
    beta_case = make_case(world.beta, world.beta_admin, first_name="Bêta-canari")
    return {"own": own, "other": other, "beta": beta_case}


@pytest.mark.parametrize("role", ROLES)
def test_view_own_case(world: World, cases: dict[str, Any], role: str) -> None:
    case = cases["own"][role]
    response = signed_in(world.acme_members[role], world.acme).get(f"/dossiers/{case.pk}/")
    assert response.status_code == (200 if role in SEES_OWN_CASE else 404)


@pytest.mark.parametrize("role", ROLES)
def test_view_someone_elses_case(world: World, cases: dict[str, Any], role: str) -> None:
    case = cases["other"]
    response = signed_in(world.acme_members[role], world.acme).get(f"/dossiers/{case.pk}/")
    assert response.status_code == (200 if role in SEES_EVERY_CASE else 404)


@pytest.mark.parametrize("role", ROLES)
def test_edit_own_and_others_case(world: World, cases: dict[str, Any], role: str) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    own, other = cases["own"][role], cases["other"]
    assert client.get(f"/dossiers/{own.pk}/modifier/").status_code == (
        200 if role in SEES_OWN_CASE else 404)
    assert client.get(f"/dossiers/{other.pk}/modifier/").status_code == (
        200 if role in SEES_EVERY_CASE else 404)


@pytest.mark.parametrize("role", ROLES)
def test_clinical_note_only_for_psychologists(
    world: World, cases: dict[str, Any], role: str
) -> None:
    case = cases["own"]["psychologist"]
    client = signed_in(world.acme_members[role], world.acme)
    response = client.get(f"/dossiers/{case.pk}/")
    body = response.content.decode()
    assert CANARY_NOTE not in body or role == "psychologist"
    if role == "psychologist":
        assert CANARY_NOTE in body
    if role in SEES_EVERY_CASE:
        assert "Premier entretien" in body  # the summary, not the note


@pytest.mark.parametrize("role", ROLES)
def test_case_list_shows_only_visible_cases(
    world: World, cases: dict[str, Any], role: str
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    response = client.get("/dossiers/")
    if role == "volunteer":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    codes = {c.code for c in response.context["page"]}
    expected = set()
    if role in SEES_EVERY_CASE:
        expected = {c.code for c in cases["own"].values()} | {cases["other"].code}
    elif role in SEES_OWN_CASE:
        expected = {cases["own"][role].code}
    assert codes == expected


@pytest.mark.parametrize("role", ROLES)
def test_another_associations_case_is_unreachable(
    world: World, cases: dict[str, Any], role: str
) -> None:
    beta_case = cases["beta"]
    client = signed_in(world.acme_members[role], world.acme)
    for path in ("/dossiers/", f"/dossiers/{beta_case.pk}/", "/", "/groupes/"):
        response = client.get(path)
        assert b"B\xc3\xaata-canari" not in response.content
    # beta's own admin, on acme's host, sees nothing at all
    beta_on_acme = signed_in(world.beta_admin, world.acme)
    assert beta_on_acme.get(f"/dossiers/{beta_case.pk}/").status_code == 403
    assert beta_on_acme.get("/dossiers/").status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_log_interaction_on_own_case(world: World, cases: dict[str, Any], role: str) -> None:
    case = cases["own"][role]
    client = signed_in(world.acme_members[role], world.acme)
    response = client.post(f"/dossiers/{case.pk}/echanges/", {
        "kind": _interview_id(world), "channel": "phone", "occurred_at": "2025-03-01T10:00",
        "summary": "Appel au jeune",
    })
    assert response.status_code == (302 if role in SEES_OWN_CASE else 404)


def _interview_id(world: World) -> int:
    from django_tenants.utils import schema_context

    from tracking.models import PicklistItem

    with schema_context(world.acme.schema_name):
        return PicklistItem.objects.get(kind="interaction_kind", code="interview").pk


def test_listener_cannot_write_clinical_note(world: World, cases: dict[str, Any]) -> None:
    from django_tenants.utils import schema_context

    from tracking.models import Interaction

    case = cases["own"]["listener"]
    client = signed_in(world.acme_members["listener"], world.acme)
    client.post(f"/dossiers/{case.pk}/echanges/", {
        "kind": _interview_id(world), "channel": "phone", "occurred_at": "2025-03-01T10:00",
        "summary": "Appel", "clinical_note": "ne doit pas être gardée",
    })
    with schema_context(world.acme.schema_name):
        notes = list(Interaction.objects.filter(cases=case).values_list("clinical_note", flat=True))
    assert notes == [""]


def test_read_only_sees_a_case_granted_to_them(world: World, cases: dict[str, Any]) -> None:
    from django_tenants.utils import schema_context

    from tests.tracking.factories import actor
    from tracking.cases.services import case_grant

    case = cases["other"]
    reader = world.acme_members["read_only"]
    client = signed_in(reader, world.acme)
    assert client.get(f"/dossiers/{case.pk}/").status_code == 404
    with schema_context(world.acme.schema_name):
        case_grant(actor=actor(world.acme_members["admin"], "admin"), case=case,
                   user_id=reader.pk, can_edit=False)
    assert client.get(f"/dossiers/{case.pk}/").status_code == 200
    assert client.get(f"/dossiers/{case.pk}/modifier/").status_code == 404
