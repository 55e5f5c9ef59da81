"""Situation-analysis groups (issue #20): an exchange group gains a kind and an audience
(young people, parents, pupil ambassadors), chosen on the groups page, shown on the list
and the group's page, with the same sessions and attendance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, signed_in
from tests.tracking.factories import actor, make_case
from tracking.groups.services import attendance_record, group_create, group_session_create
from tracking.models import Attendance, ExchangeGroup

pytestmark = pytest.mark.django_db

FORM = {"theme": "Parents : analyser une situation", "kind": "situation_analysis",
        "audience": "parents", "weekday": "1", "capacity": "8"}


def test_a_coordinator_creates_a_parents_situation_analysis_group(world: World) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/groupes/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(world.acme.schema_name):
        group = ExchangeGroup.objects.get()
    assert (group.kind, group.audience) == ("situation_analysis", "parents")
    listed = client.get("/groupes/").content.decode()
    assert "Analyse de situation" in listed
    assert "Parents" in listed
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    assert "Analyse de situation · Parents" in page


@pytest.mark.parametrize(("field", "value"), [("kind", "atelier"), ("audience", "profs")])
def test_an_unknown_kind_or_audience_is_refused_and_nothing_saved(
    world: World, field: str, value: str,
) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/groupes/", {**FORM, field: value})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    with schema_context(world.acme.schema_name):
        assert not ExchangeGroup.objects.exists()
        admin = actor(world.acme_members["admin"], "admin")
        with pytest.raises(ApplicationError):
            group_create(actor=admin, theme="Ambassadeurs", weekday=1,
                         kind=value if field == "kind" else "exchange",
                         audience=value if field == "audience" else "young_people")
        assert not ExchangeGroup.objects.exists()


def test_old_groups_are_exchange_groups_for_young_people(world: World) -> None:
    with schema_context(world.acme.schema_name):
        group = group_create(actor=actor(world.acme_members["admin"], "admin"),
                             theme="Jeux vidéo", weekday=3)
    assert (group.kind, group.audience) == ("exchange", "young_people")


def test_attendance_of_an_ambassadors_group_is_recorded_like_any_group(world: World) -> None:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin, first_name="Lina")
    with schema_context(world.acme.schema_name):
        group = group_create(actor=actor(admin, "admin"), theme="Ambassadeurs", weekday=2,
                             kind="situation_analysis", audience="ambassadors")
        session = group_session_create(actor=actor(admin, "admin"), group=group,
                                       held_on=timezone.localdate() - timedelta(days=2))
        attendance_record(actor=actor(admin, "admin"), session=session,
                          statuses={case.pk: "present"})
        assert Attendance.objects.filter(session=session, case=case,
                                         status="present").exists()


def test_other_associations_and_volunteers_do_not_see_the_group(world: World) -> None:
    with schema_context(world.acme.schema_name):
        group = group_create(actor=actor(world.acme_members["admin"], "admin"),
                             theme="Parents en réseau", weekday=2,
                             kind="situation_analysis", audience="parents")
    outsider = signed_in(world.beta_admin, world.acme)
    assert outsider.get(f"/groupes/{group.pk}/").status_code in (403, 404)
    own_host = signed_in(world.beta_admin, world.beta)
    assert own_host.get(f"/groupes/{group.pk}/").status_code == 404
    volunteer = signed_in(world.acme_members["volunteer"], world.acme)
    assert volunteer.get(f"/groupes/{group.pk}/").status_code == 404
    assert "Parents en réseau" not in volunteer.get("/groupes/").content.decode()
    assert volunteer.post("/groupes/", {**FORM, "theme": "Pirate"}).status_code == 404
    coordinator = User.objects.create_user("coord-groupes@reseau.example", password="x-Pass-1234")
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau G"),
                            user=coordinator)
    for client in (signed_in(coordinator, world.acme), signed_in(coordinator)):
        for path in ("/groupes/", f"/groupes/{group.pk}/"):
            response = client.get(path)
            assert response.status_code in (302, 403, 404), path
            assert "Parents en réseau" not in response.content.decode()
    with schema_context(world.acme.schema_name):
        assert not ExchangeGroup.objects.filter(theme="Pirate").exists()
