"""Drop-in hours count: held ones by mode and no-shows in the activity figures (page,
CSV), and in the network contribution (`dropin_hours`: rows held by mode / no-show,
columns months), without the young people who refuse network statistics."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from tenants.networks.contribution import Contribution, contributions
from tests.conftest import World, signed_in
from tests.tracking.dropin.conftest import make_schedule
from tests.tracking.factories import make_case
from tracking.dropin.selectors import moment
from tracking.figures.activity import activity_figures
from tracking.models import Consent, DropinBooking, DropinSchedule

pytestmark = pytest.mark.django_db


def _booking(schedule: DropinSchedule, on: date, hour: int, status: str, mode: str,
             **fields: object) -> DropinBooking:
    start = moment(on, datetime.min.time().replace(hour=hour))
    return DropinBooking.objects.create(
        schedule=schedule, starts_at=start, ends_at=start + timedelta(minutes=30), mode=mode,
        source="staff", status=status, **fields)


@pytest.fixture
def held(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    refusing = make_case(world.acme, admin)
    with schema_context("a_acme"):
        Consent.objects.create(case=refusing, given_by="parent", given_on=date(2024, 9, 2),
                               network_statistics=False, recorded_by=admin)
        _booking(schedule, date(2024, 10, 1), 10, "held", "video")
        _booking(schedule, date(2024, 10, 8), 10, "held", "video", case=refusing)
        _booking(schedule, date(2024, 10, 8), 11, "held", "phone")
        _booking(schedule, date(2024, 11, 5), 10, "no_show", "on_site")
        _booking(schedule, date(2024, 11, 5), 11, "booked", "video")
        _booking(schedule, date(2024, 11, 5), 12, "cancelled", "video")
        _booking(schedule, date(2025, 9, 2), 10, "held", "video")  # next school year


def test_the_activity_figures_count_drop_in_hours_held_by_mode_and_no_shows(
        world: World, held: None) -> None:
    with schema_context("a_acme"):
        figures = activity_figures(period_kind="school", year=2024)
    assert [(r.key, r.count) for r in figures.dropin_hours.rows] == [("video", 2),
                                                                     ("phone", 1)]
    assert (figures.dropin_hours.total, figures.dropin_no_shows) == (3, 1)
    client = signed_in(world.acme_members["admin"], world.acme)
    page = client.get("/chiffres/", {"period": "school", "year": "2024"}).content.decode()
    assert "Permanences tenues, par mode" in page
    exported = client.get("/chiffres/export.csv", {"period": "school", "year": "2024"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Permanences tenues", "3"] in rows
    assert ["Absences", "1"] in rows
    assert ["Visio", "2"] in rows


def test_the_network_contribution_counts_drop_in_hours_by_month(world: World,
                                                                held: None) -> None:
    with schema_context("a_acme"):
        cells = [c for c in contributions(2024) if c.indicator == "dropin_hours"]
    assert cells == [
        Contribution("dropin_hours", "2024-2025", "no_show", "2024-11", 1),
        Contribution("dropin_hours", "2024-2025", "phone", "2024-10", 1),
        # The refusing young person's held slot is left out.
        Contribution("dropin_hours", "2024-2025", "video", "2024-10", 1),
    ]


def test_the_demo_fills_drop_in_hours_once_and_opens_the_public_page(world: World) -> None:
    from relier_platform.demo.dropin import generate_dropin

    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    for _n in range(3):
        make_case(world.acme, admin, staff=[psy], opened_on=date.today() - timedelta(days=90))
    staff = {"admin": [admin.pk], "psychologist": [psy.pk]}
    counts = generate_dropin(schema_name="a_acme", staff_ids_by_role=staff, seed=1,
                             public_booking=True)
    assert counts["schedules"] == 2
    assert counts["held"] > 0
    assert counts["no_show"] > 0
    assert counts["booked"] > 0
    with schema_context("a_acme"):
        assert DropinBooking.objects.filter(status="held", interaction__isnull=False).exists()
        assert DropinBooking.objects.filter(status="booked", source="public").exists()
        from tracking.dropin.selectors import settings_get

        assert settings_get().public_booking
    again = generate_dropin(schema_name="a_acme", staff_ids_by_role=staff, seed=1)
    assert again["schedules"] == 0
