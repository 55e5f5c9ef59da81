"""Two families booking the same slot at the same moment, on two connections that commit
for real: the database's partial unique index lets exactly one booking through; the other
family is told, in French, to choose another slot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tests.conftest import World, committed_data
from tests.tracking.dropin.conftest import key, make_schedule, next_week, open_public
from tracking.dropin import services
from tracking.models import DropinBooking, DropinCancellation, DropinSchedule, DropinSettings


def _clean() -> None:
    with schema_context("a_acme"):
        DropinBooking.objects.all().delete()
        DropinCancellation.objects.all().delete()
        DropinSchedule.objects.all().delete()
        DropinSettings.objects.all().delete()
        # The audit log is append-only (a trigger): this test's entries are removed with
        # triggers off for this one statement's session, so none outlives the test.
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM tracking_auditlog WHERE action LIKE 'dropin.%%'")
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def committed(world: World, django_db_blocker: Any) -> Iterator[None]:
    with committed_data(django_db_blocker, _clean):
        yield


def _in_threads(*calls: Callable[[], object]) -> list[object]:
    """Each call on a thread of its own (its own connection), started together."""
    results: list[object] = []
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except ApplicationError as error:
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_families_booking_one_slot_at_once_one_gets_it(world: World,
                                                           committed: None) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    open_public(world.acme, admin)
    slot = key(schedule, next_week())

    def book(name: str) -> Callable[[], object]:
        def call() -> object:
            with schema_context("a_acme"):
                return services.booking_public(
                    slot_key=slot, ip_address=None,
                    callback=services.Callback(first_name=name, phone="0612345678"))
        return call

    results = _in_threads(book("Lou"), book("Sam"))
    booked = [r for r in results if isinstance(r, DropinBooking)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert (len(booked), len(refused)) == (1, 1)
    assert refused[0].message.startswith("Ce créneau vient d'être réservé par quelqu'un")
    with schema_context("a_acme"):
        (kept,) = DropinBooking.objects.all()
        assert (kept.pk, kept.first_name) == (booked[0].pk, booked[0].first_name)
