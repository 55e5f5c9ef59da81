"""The employment milestones indicator through a real publication: pooled by network code
and gender, small cells hidden with their reason, young people refusing network statistics
left out, and the coordinator's console shows the table without anything identifying."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, NetworkCoordinator, PublishedCell, User
from tenants.networks.disclosure import TOTAL
from tenants.networks.publication import network_publish
from tests.conftest import signed_in
from tests.tenants.conftest import (
    PERIOD,
    SECRET_NAME,
    SECRET_TOWN,
    YEAR,
    Member,
    _cell,
    _contribute,
)
from tests.tracking.factories import actor, item
from tracking.cases.services import consent_record
from tracking.employment.services import milestone_record
from tracking.models import Case

pytestmark = pytest.mark.django_db

NOTE = "note-secrete-emploi-xq"


def _milestones(member: Member, *, trainings: int, refusing: int = 0) -> None:
    """Every case of the member enters the programme and is oriented; `trainings` of them
    train too; the last `refusing` refuse network statistics."""
    today = timezone.localdate()
    # Publications count the months that are over: the last day of the previous month.
    day = today.replace(day=1) - timedelta(days=1)
    if day < date(YEAR, 9, 1):
        pytest.skip("no month of the school year is over yet")
    admin = actor(member.admin, "admin")
    with schema_context(member.association.schema_name):
        Case.objects.update(programme=item("programme", "back_to_work"))
        cases = list(Case.objects.order_by("pk"))
        for i, case in enumerate(cases):
            milestone_record(actor=admin, case=case, kind=item("employment_milestone",
                                                               "orientation"),
                             reached_on=day, note=NOTE)
            if i < trainings:
                milestone_record(actor=admin, case=case,
                                 kind=item("employment_milestone", "training"), reached_on=day)
        for case in cases[len(cases) - refusing:]:
            consent_record(actor=admin, case=case, given_by="young_person", given_on=today,
                           follow_up=True, exchange_groups=False, network_statistics=False)


def test_the_milestones_are_pooled_and_protected(members: list[Member],
                                                 network: Network) -> None:
    _milestones(members[0], trainings=8, refusing=1)
    _milestones(members[1], trainings=6)
    _milestones(members[2], trainings=3)
    for member in members:
        _contribute(member)
    network_publish(network)
    # 8 + 6 + 5 girls oriented and 8 + 6 + 3 trained, one refusing network statistics.
    assert _cell(network, "employment_milestones", "orientation", "girl") == (18, "")
    assert _cell(network, "employment_milestones", "training", "girl") == (16, "")
    assert _cell(network, "employment_milestones", "job_or_internship", "girl") == (0, "")
    published = PublishedCell.objects.filter(network=network, indicator="employment_milestones",
                                             period=PERIOD)
    assert not published.filter(value__gt=0, value__lt=11).exists()
    assert all(c.reason for c in published if c.value is None)
    assert {c.row for c in published} <= {
        "orientation", "first_interview", "training", "job_or_internship",
        "in_post_3_months", "in_post_6_months", "unmapped", "unknown", TOTAL}

    coordinator = User.objects.create_user("coord-emploi@reseau.example",
                                           password="x-Passw0rd-42")
    NetworkCoordinator.objects.create(user=coordinator, network=network)
    response = signed_in(coordinator).get(f"/reseaux/{network.pk}/", {
        "annee": PERIOD, "indicateur": "employment_milestones"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Parcours vers l&#x27;emploi : étapes franchies, par genre" in page
    assert "Orientation par l&#x27;agence pour l&#x27;emploi" in page
    for secret in (SECRET_NAME, SECRET_TOWN, NOTE, "pubun"):
        assert secret not in page
