"""A young person's erasure reaches task titles (free text): those of tasks linked to the
case, and any that mention them; the access export lists the case's tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World
from tests.tracking.factories import actor, make_case
from tracking.models import Task
from tracking.privacy.services import ERASED, case_anonymise, case_export
from tracking.todo.services import TaskData, task_create

pytestmark = pytest.mark.django_db


def test_erasure_replaces_the_titles_that_could_recognise_the_young_person(
    world: World,
) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    case = make_case(world.acme, world.acme_members["admin"], first_name="Ombeline")
    other = make_case(world.acme, world.acme_members["admin"], first_name="Gaspard")
    due = timezone.localdate() + timedelta(days=1)
    with schema_context("a_acme"):
        def give(title: str, code: str = "") -> Task:
            return task_create(actor=admin, data=TaskData(
                title=title, due_on=due, assignee_id=admin.id, case_code=code))

        linked = give("Appeler la mère pour le rendez-vous", case.code)
        mentions = give("Parler d'Ombeline à l'équipe")
        unrelated = give("Rappeler Gaspard", other.code)
        export = case_export(actor=admin, case=case, association_name="Acme")
        assert export["taches"] == [{"intitule": "Appeler la mère pour le rendez-vous",
                                     "echeance": due.isoformat(), "faite": False,
                                     "annulee": False}]
        case_anonymise(actor=admin, case=case, confirmation=case.code,
                       confirmation_again=case.code)
        titles = dict(Task.objects.values_list("pk", "title"))
    assert titles == {linked.pk: ERASED, mentions.pk: ERASED,
                      unrelated.pk: "Rappeler Gaspard"}
