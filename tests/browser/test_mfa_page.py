"""A new admin in Chromium: sent to set up an authenticator app at the first sign-in, sets it
up (secret shown, code typed, recovery codes shown), then at the next sign-in a wrong code is
refused and the right one lets them in. Committed data: a person of its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.browser.conftest import (
    TOTP_SECRETS,
    screenshot,
    second_factor,
    unlabelled_fields,
    url,
)
from tests.conftest import PASSWORD, World, totp_code

pytestmark = pytest.mark.browser

HOST = f"acme.{settings.BASE_DOMAIN}"
ADMIN = "admin-double-facteur@acme.example"


def test_an_admin_sets_up_a_second_factor_then_needs_it(
    world: World, live_url: str, page: Any, django_db_blocker: Any,
) -> None:
    with django_db_blocker.unblock():
        if not User.objects.filter(email=ADMIN).exists():
            user = User.objects.create_user(ADMIN, password=PASSWORD)
            membership_create(actor=None, association=world.acme, user=user, role=Role.ADMIN)

    page.goto(url(live_url, HOST, "/"))
    page.get_by_label("Adresse e-mail").fill(ADMIN)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/accounts/2fa/totp/activate/" in page.url, page.url
    assert page.get_by_text("protégez votre compte par une application d'authentification"
                            ).is_visible()
    assert unlabelled_fields(page) == []
    screenshot(page, "mfa-setup")
    # Any other page leads back here until it is done.
    page.goto(url(live_url, HOST, "/dossiers/"))
    assert "/accounts/2fa/totp/activate/" in page.url, page.url

    secret = page.get_by_label("Secret d'authentification").input_value()
    page.get_by_label("Code de l'authentificateur").fill(totp_code(secret))
    page.get_by_role("button", name="Activer", exact=True).click()
    page.wait_for_load_state()
    assert "/accounts/2fa/recovery-codes/" in page.url, page.url
    TOTP_SECRETS[ADMIN] = secret
    screenshot(page, "mfa-recovery-codes")
    page.goto(url(live_url, HOST, "/dossiers/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Dossiers"

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    page.goto(url(live_url, HOST, "/"))
    page.get_by_label("Adresse e-mail").fill(ADMIN)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    assert unlabelled_fields(page) == []
    right = totp_code(secret)
    page.get_by_label("Code").fill(f"{(int(right) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Connexion", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Code incorrect.").is_visible()
    screenshot(page, "mfa-wrong-code")
    page.goto(url(live_url, HOST, "/dossiers/"))
    assert "/accounts/2fa/authenticate/" in page.url, page.url  # still asked for the code

    second_factor(page, live_url, HOST, ADMIN)  # types the right code
    # The sign-in started from the home page: it ends there.
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Bienvenue dans l'espace de Acme Solidarité")
