"""Hand-overs refused for bad input: a clear French message, and nothing saved — neither
the public record nor anything in the sender's file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from relier_platform.errors import ApplicationError
from tenants.models import Network
from tenants.networks.services import network_withdraw
from tests.conftest import World, signed_in
from tests.tracking.handovers.conftest import (
    FIRST_NAME,
    THIS_YEAR,
    send,
    snapshot,
    third_association,
)
from tracking.models import Case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("changes", "message"), [
    ({"consent_given_by": ""}, "consentement à la transmission n'est pas enregistré"),
    ({"consent_method": ""}, "consentement à la transmission n'est pas enregistré"),
    ({"consent_given_on": None}, "consentement à la transmission n'est pas enregistré"),
    ({"consent_given_by": "voisin"}, "consentement à la transmission n'est pas enregistré"),
    ({"consent_given_on": timezone.localdate() + timedelta(days=3)},
     "La date du consentement ne peut pas être dans le futur"),
    ({"summary": "   \n "}, "Le résumé est vide"),
    ({"summary": "x" * 3001}, "Le résumé est trop long"),
    ({"first_name": ""}, "Indiquez le prénom du jeune"),
    ({"birth_year": THIS_YEAR - 40}, "L'année de naissance doit être comprise"),
    ({"situation_type_ids": [987654]}, "parmi ceux du dossier"),
    ({"receiver_id": None}, "Choisissez l'association qui reçoit"),
    ({"receiver_id": 987654}, "Choisissez l'association qui reçoit"),
])
def test_bad_input_is_refused_and_nothing_is_saved(world: World, network: Network, case: Case,
                                                   changes: dict[str, Any],
                                                   message: str) -> None:
    before = snapshot("a_acme", "a_beta")
    with pytest.raises(ApplicationError, match=message):
        send(world, case, **changes)
    assert snapshot("a_acme", "a_beta") == before


def test_the_association_itself_is_refused(world: World, network: Network, case: Case) -> None:
    before = snapshot("a_acme")
    with pytest.raises(ApplicationError, match="à elle-même"):
        send(world, case, receiver=world.acme)
    assert snapshot("a_acme") == before


def test_an_association_outside_the_network_is_refused(world: World, network: Network,
                                                       case: Case) -> None:
    gamma = third_association(None)
    before = snapshot("a_acme", gamma.association.schema_name)
    with pytest.raises(ApplicationError, match="n'est pas membre d'un réseau"):
        send(world, case, receiver=gamma.association)
    assert snapshot("a_acme", gamma.association.schema_name) == before


def test_a_withdrawn_membership_closes_the_way(world: World, network: Network,
                                               case: Case) -> None:
    network_withdraw(actor=world.beta_admin, association=world.beta, network=network)
    before = snapshot("a_acme", "a_beta")
    with pytest.raises(ApplicationError, match="n'est pas membre d'un réseau"):
        send(world, case)
    assert snapshot("a_acme", "a_beta") == before


def test_a_case_pending_with_the_same_association_is_refused(world: World, network: Network,
                                                             case: Case) -> None:
    send(world, case)
    before = snapshot("a_acme", "a_beta")
    with pytest.raises(ApplicationError, match="déjà été transmis à cette association"):
        send(world, case, summary="Une autre version du résumé.")
    assert snapshot("a_acme", "a_beta") == before


def test_the_page_shows_the_message_and_keeps_what_was_typed(world: World, network: Network,
                                                             case: Case) -> None:
    before = snapshot("a_acme", "a_beta")
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(f"/dossiers/{case.pk}/transmettre/", {
        "receiver": world.beta.pk, "first_name": FIRST_NAME, "summary": "Texte gardé",
        "consent_given_by": "", "consent_given_on": "", "consent_method": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "n&#x27;est pas enregistré" in page or "n'est pas enregistré" in page
    assert "Texte gardé</textarea>" in page
    assert snapshot("a_acme", "a_beta") == before


def test_the_page_says_so_in_english(world: World, network: Network, case: Case,
                                     english_catalogue: None) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    client.cookies["django_language"] = "en"
    response = client.post(f"/dossiers/{case.pk}/transmettre/", {
        "receiver": world.beta.pk, "first_name": FIRST_NAME, "summary": " ",
        "consent_given_by": "parent", "consent_given_on": timezone.localdate().isoformat(),
        "consent_method": "phone"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The summary is empty" in page
    assert "Hand over" in page
