"""Issue #22, the network points: a person in several of a network's associations cannot
subtract their own figures from the pooled ones; "publish now" is limited and audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import AuditEntry, Membership, Network, OutboxTask, Role, User
from tenants.networks.publication import network_publish
from tenants.networks.services import min_contributors_for, network_overlap
from tests.conftest import signed_in
from tests.tenants.conftest import PERIOD, Member, _cell, _contribute
from tests.tenants.networks.test_console import coordinator, published_network  # noqa: F401

pytestmark = pytest.mark.django_db


def test_one_person_in_two_of_three_associations_sees_no_figure_of_only_three(
        members: list[Member], network: Network) -> None:
    for member in members:
        _contribute(member)
    network_publish(network)
    assert _cell(network, "active_by_department", "93", "girl") == (19, "")
    # The admin of the first association also works in the second: subtracting what the
    # two show them from 19 would give the third association's count.
    Membership.objects.create(user=members[0].admin, association=members[1].association,
                              role=Role.COORDINATOR)
    assert network_overlap(network) == 2
    assert min_contributors_for(2) == 4
    publication = network_publish(network)
    assert publication.audit[PERIOD]["min_contributors"] == 4
    value, reason = _cell(network, "active_by_department", "93", "girl")
    assert value is None
    assert reason in {"few_contributors", "difference"}
    # An ended membership no longer counts.
    Membership.objects.filter(user=members[0].admin,
                              association=members[1].association).update(is_active=False)
    assert network_overlap(network) == 1
    assert min_contributors_for(1) == 3


def test_publish_now_is_limited_per_network_and_every_try_audited(
        published_network: Network, coordinator: User, members: list[Member]) -> None:  # noqa: F811
    client = signed_in(coordinator)
    url = f"/reseaux/{published_network.pk}/publier/"
    before = OutboxTask.objects.count()
    assert client.post(url).status_code == 302
    assert OutboxTask.objects.count() == before + 1
    # Again at once, from the console or from a member's settings page: refused, nothing
    # sent, the refusal audited.
    response = client.post(url, follow=True)
    assert "déjà été demandée" in response.content.decode()
    admin = signed_in(members[0].admin, members[0].association)
    admin.post("/parametres/reseaux/", {"network": published_network.pk, "action": "publish"})
    assert OutboxTask.objects.count() == before + 1
    assert AuditEntry.objects.filter(action="network.publish_requested").count() == 1
    assert AuditEntry.objects.filter(action="network.publish_refused").count() == 2
    # Six hours later it is allowed again.
    AuditEntry.objects.filter(action="network.publish_requested").update(
        at=timezone.now() - timedelta(hours=6, minutes=1))
    assert client.post(url).status_code == 302
    assert OutboxTask.objects.count() == before + 2


def test_the_network_csv_is_neutralised_against_formulas(
        published_network: Network, coordinator: User,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No text of the network CSV can run as a spreadsheet formula, whatever a label says
    (labels are the catalogue's today; a translation or a code tomorrow could start with
    "=")."""
    from tenants.networks import indicators as cat

    dimension = cat.DIMENSIONS["department"]
    monkeypatch.setitem(cat.DIMENSIONS, "department", cat.Dimension(
        dimension.key, dimension.title, dimension.codes,
        lambda code: f"=HYPERLINK(\"http://x.example/{code}\")"))
    response = signed_in(coordinator).get(
        f"/reseaux/{published_network.pk}/export.csv", {"annee": PERIOD})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    labels = [row[4] for row in rows[1:] if row[0] == "active_by_department" and row[3] == "93"]
    assert labels
    assert all(label.startswith("'=") for label in labels)
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
