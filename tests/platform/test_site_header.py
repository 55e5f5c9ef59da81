"""The page header kept per distinct content (relier_platform.site_header): each person's and
association's own, the request's own CSRF token and path written in, and a token that works."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from relier_platform import site_header
from tenants.tenancy.services import association_host
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def _header(body: bytes) -> str:
    text = body.decode()
    return text[text.index('<header class="site-header"'):text.index("</header>")]


def test_each_person_and_association_gets_their_own_header(world: World) -> None:
    admin = signed_in(world.acme_members["admin"], world.acme)
    volunteer = signed_in(world.acme_members["volunteer"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    for _ in range(2):  # rendered, then kept
        mine = _header(admin.get("/groupes/").content)
        assert "admin@acme.example" in mine
        assert "Acme Solidarité" in mine
        assert 'href="/dossiers/"' in mine
        theirs = _header(volunteer.get("/groupes/").content)
        assert "volunteer@acme.example" in theirs
        assert "admin@acme.example" not in theirs
        assert 'href="/dossiers/"' not in theirs  # volunteers have no case list
        other = _header(beta.get("/groupes/").content)
        assert "admin@beta.example" in other
        assert "Bêta Écoute" in other
        assert "Acme" not in other
    assert {key[0] for key in site_header._KEPT} >= {"a_acme", "a_beta"}


def test_the_requests_own_token_and_path_are_written_in(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    first = _header(client.get("/dossiers/?q=<b>&status=all").content)
    second = _header(client.get("/dossiers/").content)
    assert '<input name="next" type="hidden" value="/dossiers/?q=%3Cb%3E&amp;status=all">' in first
    assert '<input name="next" type="hidden" value="/dossiers/">' in second
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', first)
    assert len(tokens) == 2
    assert len(set(tokens)) == 1
    assert tokens[0] not in second  # masked anew for each request
    assert "\x00" not in first + second


def test_the_headers_token_signs_out(world: World) -> None:
    user = world.acme_members["coordinator"]
    client = signed_in(user, world.acme)
    strict = Client(HTTP_HOST=association_host(world.acme.slug), enforce_csrf_checks=True)
    strict.cookies = client.cookies
    page = _header(strict.get("/groupes/").content)
    token = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', page)[-1]
    response = strict.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert strict.get("/groupes/").status_code == 302  # signed out
