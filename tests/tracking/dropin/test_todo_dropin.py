"""The drop-in hours of the day on the psychologist's to-do list (/taches/) and in its
counter: the slot's time and mode only, never who booked it; nothing for anyone else."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World
from tests.tracking.dropin.conftest import make_schedule
from tests.tracking.factories import actor
from tracking.dropin.selectors import moment
from tracking.models import BookingStatus, DropinBooking
from tracking.todo.selectors import Kind, todo_due_count, todo_list

pytestmark = pytest.mark.django_db


def _book_today(world: World, at: time, status: str = BookingStatus.BOOKED) -> None:
    schedule = make_schedule(world.acme, world.acme_members["admin"],
                             world.acme_members["psychologist"], mode="phone")
    with schema_context("a_acme"):
        starts = moment(timezone.localdate(), at)
        DropinBooking.objects.create(
            schedule=schedule, starts_at=starts, ends_at=starts + timedelta(minutes=30),
            mode=schedule.mode, source="public", first_name="Zéphyrine",
            phone="0600000000", email="", status=status)


def test_the_psychologist_s_slot_of_the_day_is_on_their_list_without_who_booked_it(
        world: World) -> None:
    _book_today(world, time(9, 30))
    psychologist = actor(world.acme_members["psychologist"], "psychologist")
    with schema_context("a_acme"):
        items = [item for item in todo_list(actor=psychologist) if item.kind == Kind.DROPIN]
        assert [item.url for item in items] == ["/permanences/"]
        assert "09:30" in items[0].label
        assert "Zéphyrine" not in items[0].label
        assert todo_due_count(actor=psychologist) >= 1
        before = todo_due_count(actor=psychologist)
        DropinBooking.objects.update(status=BookingStatus.HELD)  # held: nothing left to do
        assert todo_due_count(actor=psychologist) == before - 1
        assert not [i for i in todo_list(actor=psychologist) if i.kind == Kind.DROPIN]


def test_another_member_or_association_sees_no_slot_of_the_psychologist(world: World) -> None:
    _book_today(world, time(10, 0))
    with schema_context("a_acme"):
        coordinator = actor(world.acme_members["coordinator"], "coordinator")
        assert not [i for i in todo_list(actor=coordinator) if i.kind == Kind.DROPIN]
    with schema_context("a_beta"):  # the same person id in another association: nothing
        same_id = actor(world.acme_members["psychologist"], "psychologist")
        assert not [i for i in todo_list(actor=same_id) if i.kind == Kind.DROPIN]
