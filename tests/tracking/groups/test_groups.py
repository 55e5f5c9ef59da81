"""Exchange groups: capacity enforced, volunteers see their groups with first names only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tests.conftest import World, signed_in
from tests.tracking.factories import actor, make_case
from tracking.groups.services import attendance_record, group_create, group_session_create
from tracking.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_setup(world: World) -> dict:
    admin = world.acme_members["admin"]
    cases = [make_case(world.acme, admin, first_name=f"Jeune{i}") for i in range(4)]
    with schema_context("a_acme"):
        group = group_create(actor=actor(admin, "admin"), theme="Passions et métiers",
                             weekday=2, capacity=3,
                             facilitator_ids=[world.acme_members["volunteer"].pk])
        session = group_session_create(actor=actor(admin, "admin"), group=group,
                                       held_on=timezone.localdate() - timedelta(days=1))
    return {"cases": cases, "group": group, "session": session}


def test_capacity_is_enforced_and_nothing_saved(world: World, group_setup: dict) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    cases, session = group_setup["cases"], group_setup["session"]
    with schema_context("a_acme"):
        with pytest.raises(ApplicationError, match="au plus 3 jeunes"):
            attendance_record(actor=admin, session=session,
                              statuses={c.pk: "present" for c in cases})
        assert not Attendance.objects.exists()
        attendance_record(actor=admin, session=session,
                          statuses={**{c.pk: "present" for c in cases[:3]},
                                    cases[3].pk: "excused"})
        assert Attendance.objects.filter(status="present").count() == 3


def test_volunteer_sees_own_group_with_first_names_not_case_files(
    world: World, group_setup: dict
) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    cases, session, group = group_setup["cases"], group_setup["session"], group_setup["group"]
    with schema_context("a_acme"):
        attendance_record(actor=admin, session=session, statuses={cases[0].pk: "present"})
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get("/groupes/").status_code == 200
    page = client.get(f"/groupes/{group.pk}/seances/{session.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Jeune0" in body
    assert f"/dossiers/{cases[0].pk}/" not in body
    assert client.get(f"/dossiers/{cases[0].pk}/").status_code == 404


def test_volunteer_cannot_open_a_group_they_do_not_facilitate(
    world: World, group_setup: dict
) -> None:
    with schema_context("a_acme"):
        other = group_create(actor=actor(world.acme_members["admin"], "admin"),
                             theme="Actualité", weekday=4)
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get(f"/groupes/{other.pk}/").status_code == 404
    assert b"Actualit" not in client.get("/groupes/").content


def test_attendance_history_is_on_the_case_timeline(world: World, group_setup: dict) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    cases, session = group_setup["cases"], group_setup["session"]
    with schema_context("a_acme"):
        attendance_record(actor=admin, session=session, statuses={cases[1].pk: "absent"})
    page = signed_in(world.acme_members["admin"], world.acme).get(f"/dossiers/{cases[1].pk}/")
    body = page.content.decode()
    assert "Passions et métiers" in body
    assert "Absent" in body


def test_the_group_page_counts_each_session_s_young_people_without_reading_them(
        world: World, group_setup: dict) -> None:
    """Issue #21: the sessions' counts come from PostgreSQL; no case (nor its encrypted first
    name) is read, and the page's queries do not grow with the sessions."""
    admin = world.acme_members["admin"]
    cases, group = group_setup["cases"], group_setup["group"]
    client = signed_in(admin, world.acme)
    with schema_context("a_acme"):
        attendance_record(actor=actor(admin, "admin"), session=group_setup["session"],
                          statuses={cases[0].pk: "present", cases[1].pk: "absent"})
    client.get(f"/groupes/{group.pk}/")  # the host, the session: read once, then cached
    with CaptureQueriesContext(connection) as one:
        page = client.get(f"/groupes/{group.pk}/").content.decode()
    assert "2 inscrits" in page
    with schema_context("a_acme"):
        for days in range(2, 12):
            session = group_session_create(actor=actor(admin, "admin"), group=group,
                                           held_on=timezone.localdate() - timedelta(days=days))
            attendance_record(actor=actor(admin, "admin"), session=session,
                              statuses={cases[days % 4].pk: "present"})
    with CaptureQueriesContext(connection) as eleven:
        page = client.get(f"/groupes/{group.pk}/").content.decode()
    assert page.count("· 1 inscrit<") == 10
    assert "· 2 inscrits<" in page
    assert len(eleven.captured_queries) == len(one.captured_queries)
    assert not any("tracking_case" in q["sql"] for q in eleven.captured_queries)
