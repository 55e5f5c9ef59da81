"""Security headers (relier_platform/headers.py and settings.py) on the platform host and on
an association's host, signed in or not; and no template left with an inline script or
style, which the Content-Security-Policy would block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import World, host_client, signed_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def csp_of(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        directives[name] = values
    return directives


def assert_secure_headers(response: Any) -> None:
    csp = csp_of(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    base = settings.BASE_DOMAIN
    assert csp["form-action"] == [
        "'self'", f"{base}:*", f"*.{base}:*",
        "https://checkout.stripe.com", "https://billing.stripe.com",
    ]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()",
                    "usb=()"):
        assert feature in policy
    # Plain HTTP (tests, development): no HSTS.
    assert "Strict-Transport-Security" not in response


@pytest.mark.parametrize("path", ["/", "/inscription/", "/accounts/login/", "/nulle-part/"])
def test_platform_host_pages(world: World, path: str) -> None:
    response = host_client().get(path)
    assert response.status_code in (200, 404)
    assert_secure_headers(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/signaler", "/"])
def test_association_host_pages_anonymous(world: World, path: str) -> None:
    response = host_client(world.acme).get(path)
    assert response.status_code in (200, 302)
    assert_secure_headers(response)


@pytest.mark.parametrize("path", ["/", "/dossiers/", "/equipe/", "/chiffres/"])
def test_association_host_pages_signed_in(world: World, path: str) -> None:
    response = signed_in(world.acme_members["admin"], world.acme).get(path)
    assert response.status_code == 200
    assert_secure_headers(response)


def test_unknown_host_page(world: World) -> None:
    from django.test import Client

    response = Client(HTTP_HOST=f"nulle-part.{settings.BASE_DOMAIN}").get("/")
    assert response.status_code == 404
    assert_secure_headers(response)


def test_hsts_on_https_only(world: World, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = host_client(world.acme).get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in host_client(world.acme).get("/accounts/login/")


def test_hsts_follows_the_scheme_setting() -> None:
    """settings.py turns HSTS on exactly when the site is served over HTTPS."""
    expected = 31536000 if settings.SITE_SCHEME == "https" else 0
    assert expected == settings.SECURE_HSTS_SECONDS
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is True


def test_no_template_has_an_inline_script_or_style() -> None:
    offending = []
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (inline_script, re.compile(r"<style\b"), re.compile(r"\sstyle="),
                        re.compile(r"\son[a-z]+=\"")):
            if pattern.search(text):
                offending.append(f"{path.relative_to(TEMPLATES)}: {pattern.pattern}")
    assert offending == []
