"""Stored idempotent answers are forgotten after a day, every night, in every association's
schema (tracking/api/tasks.py): a retry within the day still gets the first answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World
from tracking.api.models import IdempotentRequest
from tracking.api.tasks import api_idempotency_purge_all_task

pytestmark = pytest.mark.django_db


def _answer(key: str, age: timedelta) -> None:
    IdempotentRequest.objects.create(caller="key:1", key=key, fingerprint="f" * 64,
                                     status=201, body={"id": 1},
                                     created_at=timezone.now() - age)


def test_answers_older_than_a_day_are_purged_in_every_association(world: World) -> None:
    for association in (world.acme, world.beta):
        with schema_context(association.schema_name):
            _answer("old", timedelta(hours=25))
            _answer("recent", timedelta(hours=23))
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        purged = api_idempotency_purge_all_task.apply().get()
    assert purged >= 2
    for association in (world.acme, world.beta):
        with schema_context(association.schema_name):
            assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]


def test_the_purge_refuses_to_run_in_an_association_schema(world: World) -> None:
    with schema_context(world.acme.schema_name), pytest.raises(RuntimeError, match="public"):
        api_idempotency_purge_all_task()
