"""Switching association from the menu: signed, single-use, short-lived, members only."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import signing
from freezegun import freeze_time

from tenants.accounts.handoff import HANDOFF_SALT
from tenants.models import HandoffToken, Role
from tenants.tenancy.services import membership_create
from tests.conftest import World, host_client, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(world: World) -> World:
    """acme's coordinator is also a member of beta."""
    membership_create(actor=None, association=world.beta,
                      user=world.acme_members["coordinator"], role=Role.LISTENER)
    return world


def _switch(world: World) -> str:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post(f"/changer/{world.beta.slug}/")
    assert response.status_code == 302
    return response["Location"]


def test_menu_lists_the_other_association(both: World) -> None:
    client = signed_in(both.acme_members["coordinator"], both.acme)
    body = client.get("/").content.decode()
    assert "Bêta Écoute" in body
    assert f"/changer/{both.beta.slug}/" in body


def test_switch_signs_in_on_the_other_host_without_password(both: World) -> None:
    url = urlsplit(_switch(both))
    assert url.hostname == f"beta.{settings.BASE_DOMAIN}"
    beta = host_client(both.beta)
    response = beta.get(f"{url.path}?{url.query}")
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = beta.get("/")
    assert page.status_code == 200
    assert "Bêta Écoute" in page.content.decode()


def test_pass_is_single_use(both: World) -> None:
    url = urlsplit(_switch(both))
    assert host_client(both.beta).get(f"{url.path}?{url.query}")["Location"] == "/"
    second = host_client(both.beta)
    response = second.get(f"{url.path}?{url.query}")
    assert response["Location"].startswith("/accounts/login/")
    assert second.get("/").status_code == 302


def test_pass_expires_after_a_minute(both: World) -> None:
    url = urlsplit(_switch(both))
    with freeze_time(timedelta_from_now(seconds=61)):
        response = host_client(both.beta).get(f"{url.path}?{url.query}")
    assert response["Location"].startswith("/accounts/login/")
    assert HandoffToken.objects.get().used_at is None


def test_pass_for_one_host_is_refused_on_another(both: World) -> None:
    url = urlsplit(_switch(both))
    response = host_client(both.acme).get(f"{url.path}?{url.query}")
    assert response["Location"].startswith("/accounts/login/")


def test_forged_pass_is_refused(both: World) -> None:
    forged = signing.dumps({"n": "guess"}, salt=HANDOFF_SALT + "x")
    response = host_client(both.beta).get(f"/passage/?t={forged}")
    assert response["Location"].startswith("/accounts/login/")


def test_cannot_ask_a_pass_for_an_association_one_is_not_in(world: World) -> None:
    client = signed_in(world.acme_members["listener"], world.acme)
    assert client.post(f"/changer/{world.beta.slug}/").status_code == 404
    assert not HandoffToken.objects.exists()


def test_deactivated_after_pass_was_issued_is_refused(both: World) -> None:
    from tenants.models import Membership
    from tenants.tenancy.services import membership_deactivate

    url = urlsplit(_switch(both))
    membership_deactivate(actor=None, membership=Membership.objects.get(
        user=both.acme_members["coordinator"], association=both.beta))
    response = host_client(both.beta).get(f"{url.path}?{url.query}")
    assert response["Location"].startswith("/accounts/login/")


def timedelta_from_now(*, seconds: int) -> datetime:
    from django.utils import timezone

    return timezone.now() + timedelta(seconds=seconds)
