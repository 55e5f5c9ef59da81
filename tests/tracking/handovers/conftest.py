"""Fixtures of the hand-over tests: acme and beta members of one network, a case of acme
with a situation type, and how to send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Association, Handover, Network, User
from tenants.networks.services import network_join
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World
from tests.tracking.factories import actor, item, make_case
from tracking.handovers.services import HandoverDraft, handover_send
from tracking.models import AuditLog, Case, CaseEvent, HandoverRecord

FIRST_NAME = "Zéphyrine-Canari"
SUMMARY = "Harcelée au collège depuis septembre ; la famille déménage à Lyon en janvier."
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def network(world: World) -> Network:
    network = Network.objects.create(name="Réseau des transmissions")
    for association, admin in ((world.acme, world.acme_members["admin"]),
                               (world.beta, world.beta_admin)):
        network_join(actor=admin, association=association, network=network,
                     agreement_version=network.agreement_version)
    return network


@pytest.fixture
def case(world: World) -> Case:
    with schema_context(world.acme.schema_name):
        situations = [item("situation_type", "cyber_violence"), item("situation_type", "other")]
    return make_case(world.acme, world.acme_members["admin"], first_name=FIRST_NAME,
                     birth_year=THIS_YEAR - 14, town="Ville-Canari",
                     situation_types=situations)


def draft(receiver: Association, case: Case, **changes: Any) -> HandoverDraft:
    with schema_context("a_acme"):
        situation_ids = [i.pk for i in case.situation_types.all()]
    values: dict[str, Any] = {
        "receiver_id": receiver.pk, "first_name": FIRST_NAME, "birth_year": THIS_YEAR - 14,
        "situation_type_ids": situation_ids, "summary": SUMMARY,
        "consent_given_by": "parent", "consent_method": "written",
        "consent_given_on": timezone.localdate() - timedelta(days=2),
    }
    values.update(changes)
    return HandoverDraft(**values)


def send(world: World, case: Case, receiver: Association | None = None,
         **changes: Any) -> HandoverRecord:
    with schema_context(world.acme.schema_name):
        return handover_send(actor=actor(world.acme_members["admin"], "admin"),
                             association=world.acme, case=case,
                             draft=draft(receiver or world.beta, case, **changes))


@dataclass
class Third:
    association: Association
    admin: User


def third_association(network: Network | None) -> Third:
    """A third association (gamma), member of `network` when given."""
    created = association_create(actor=None, slug="gamma", name="Gamma Solidaire",
                                 admin_email="admin@gamma.example", admin_password=PASSWORD)
    if network is not None:
        network_join(actor=created.admin, association=created.association, network=network,
                     agreement_version=network.agreement_version)
    return Third(created.association, created.admin)


def named(first_name: str) -> list[Case]:
    """The cases of the current schema with this first name (encrypted: read, then
    compared)."""
    return [c for c in Case.objects.order_by("pk") if c.first_name == first_name]


def snapshot(*schemas: str) -> list[Any]:
    """Everything a hand-over writes: the public rows, and per schema its cases, events,
    records and audit entries."""
    state: list[Any] = [list(Handover.objects.order_by("pk").values_list(
        "pk", "status", "summary", "sender_case_id", "decided_at"))]
    for schema in schemas:
        with schema_context(schema):
            state.append([Case.objects.count(), CaseEvent.objects.count(),
                          list(HandoverRecord.objects.values_list("pk", flat=True)),
                          AuditLog.objects.count()])
    return state
