"""Every tracking URL of an association, tried by people who must get nothing: anonymous
visitors, a member of another association, a network coordinator."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.factories import make_case
from tracking import urls as tracking_urls

pytestmark = pytest.mark.django_db

# The public referral form shows nothing back; the public drop-in booking page shows free
# slot times only (tests/tracking/dropin: another association's host shows none of them).
OPEN_TO_ANYONE = {"referral", "dropin_public",
                  "question_public", "question_answers"}  # Question Psy: published only


def _patterns(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    paths = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths += _patterns(pattern.url_patterns, route)
        elif pattern.name not in OPEN_TO_ANYONE:
            paths.append(route)
    return paths


def _concrete(route: str, case_id: int) -> str:
    return "/" + (route.replace("<int:case_id>", str(case_id))
                  .replace("<int:partner_id>", "1").replace("<int:group_id>", "1")
                  .replace("<int:session_id>", "1").replace("<int:key_id>", "1")
                  .replace("<int:endpoint_id>", "1").replace("<int:booking_id>", "1")
                  .replace("<int:schedule_id>", "1").replace("<int:document_id>", "1")
                  .replace("<int:handover_id>", "1"))


ROUTES = _patterns(tracking_urls.urlpatterns)  # type: ignore[arg-type]


def test_every_route_is_covered() -> None:
    assert len(ROUTES) >= 20
    assert "dossiers/export.csv" in ROUTES


@pytest.fixture
def outsiders(world: World) -> dict[str, User]:
    coordinator = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network = Network.objects.create(name="Réseau test")
    network_coordinator_add(actor=None, network=network, user=coordinator)
    return {"beta_admin": world.beta_admin, "network_coordinator": coordinator}


@pytest.mark.parametrize("who", ["anonymous", "beta_admin", "network_coordinator"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_reach_nothing(
    world: World, outsiders: dict[str, User], who: str, method: str
) -> None:
    case = make_case(world.acme, world.acme_members["admin"], first_name="Canari-Acme",
                     town="Ville-Canari")
    client = (host_client(world.acme) if who == "anonymous"
              else signed_in(outsiders[who], world.acme))
    for route in ROUTES:
        response = getattr(client, method)(_concrete(route, case.pk))
        body = response.content
        assert b"Canari" not in body, route
        if who == "anonymous":
            assert response.status_code == 302, route
            assert response["Location"].startswith("/accounts/login/"), route
        else:
            assert response.status_code == 403, route


def test_network_coordinator_sees_no_association_data_on_the_platform_site(
    world: World, outsiders: dict[str, User]
) -> None:
    make_case(world.acme, world.acme_members["admin"], first_name="Canari-Acme")
    client = signed_in(outsiders["network_coordinator"])
    for path in ("/", "/dossiers/", "/chiffres/", "/dossiers/export.csv", "/admin/"):
        response = client.get(path)
        assert b"Canari" not in response.content
        assert response.status_code in (200, 302, 404), path
