"""The person's access export (art. 15) lists the hand-overs of their file, on both sides,
with what became of a sent one; another association's export never shows them."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from tests.conftest import World
from tests.tracking.factories import actor
from tests.tracking.handovers.conftest import FIRST_NAME, SUMMARY, THIS_YEAR, named, send
from tracking.handovers.services import handover_accept, handover_refuse
from tracking.models import Case
from tracking.privacy.services import case_export

pytestmark = pytest.mark.django_db


def _export(world: World, schema: str, case: Case) -> dict[str, Any]:
    admin = world.acme_members["admin"] if schema == "a_acme" else world.beta_admin
    with schema_context(schema):
        return case_export(actor=actor(admin, "admin"), case=Case.objects.get(pk=case.pk),
                           association_name=schema)


def test_the_access_export_lists_a_sent_hand_over_and_its_outcome(
        world: World, network: object, case: Case) -> None:
    record = send(world, case)
    (row,) = _export(world, "a_acme", case)["transmissions"]
    assert row["sens"] == "Transmise"
    assert row["autre_association"] == "Bêta Écoute"
    assert (row["prenom"], row["annee_de_naissance"], row["resume"]) == (
        FIRST_NAME, THIS_YEAR - 14, SUMMARY)
    assert row["consentement"]["donne_par"]
    assert row["consentement"]["forme"]
    assert row["issue"] == "En attente"
    assert len(row["types_de_situation"]) == 2

    with schema_context("a_beta"):
        handover_accept(actor=actor(world.beta_admin, "admin"), association=world.beta,
                        handover_id=record.public_id)
        (received_case,) = named(FIRST_NAME)
    (row,) = _export(world, "a_acme", case)["transmissions"]
    assert row["issue"] == "Acceptée"
    (received,) = _export(world, "a_beta", received_case)["transmissions"]
    assert (received["sens"], received["autre_association"], received["issue"]) == (
        "Reçue", "Acme Solidarité", "Acceptée")
    assert received["resume"] == SUMMARY


def test_a_refused_hand_over_shows_as_refused_and_never_in_the_receivers_export(
        world: World, network: object, case: Case) -> None:
    record = send(world, case)
    with schema_context("a_beta"):
        handover_refuse(actor=actor(world.beta_admin, "admin"), association=world.beta,
                        handover_id=record.public_id)
        assert named(FIRST_NAME) == []
    (row,) = _export(world, "a_acme", case)["transmissions"]
    assert row["issue"] == "Refusée"


def test_a_case_never_handed_over_exports_an_empty_list(world: World, case: Case) -> None:
    assert _export(world, "a_acme", case)["transmissions"] == []
