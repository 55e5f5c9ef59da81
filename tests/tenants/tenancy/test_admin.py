"""The operators' admin lives on the platform site only."""

import pytest

from tenants.models import User
from tests.conftest import World, host_client, signed_in

pytestmark = pytest.mark.django_db


def test_operator_sees_associations_in_admin(world: World) -> None:
    operator = User.objects.create_superuser("ops@relier.example", password="x" * 12)
    response = signed_in(operator).get("/admin/tenants/association/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Solidarité" in body
    assert "Bêta Écoute" in body


def test_admin_is_not_served_on_association_hosts(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.get("/admin/").status_code == 404


def test_association_member_is_not_an_operator(world: World) -> None:
    client = signed_in(world.acme_members["admin"])
    response = client.get("/admin/tenants/association/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert host_client().get("/admin/").status_code == 302


def test_operators_see_what_waits_for_the_broker_and_cannot_change_it(world: World) -> None:
    from tenants.models import OutboxTask

    OutboxTask.objects.create(task_name="tracking.referral_notify_task", args=[7, "a_acme"],
                              schema_name="a_acme", attempts=2,
                              last_error="OperationalError: connection refused")
    operator = User.objects.create_superuser("ops@relier.example", password="x" * 12)
    client = signed_in(operator)
    waiting = client.get("/admin/tenants/outboxtask/?etat=attente")
    assert waiting.status_code == 200
    assert waiting.context["cl"].result_count == 1
    body = waiting.content.decode()
    assert "tracking.referral_notify_task" in body
    assert "OperationalError: connection refused" in body
    assert client.get("/admin/tenants/outboxtask/?etat=envoye").context["cl"].result_count == 0
    assert client.get("/admin/tenants/outboxtask/add/").status_code == 403
    # Members of an association never reach it.
    member = signed_in(world.acme_members["admin"])
    assert member.get("/admin/tenants/outboxtask/").status_code == 302
