"""Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a live
server on the test database. Skipped, saying so, where Chromium is not installed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.conftest import PASSWORD, totp_code

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the test still talks to the
# database synchronously between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def live_url(world: Any, django_db_blocker: Any) -> Iterator[str]:
    """A threaded WSGI server on 127.0.0.1 serving the whole product (all hosts)."""
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    thread.daemon = True
    with django_db_blocker.unblock():
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"{{host}}:{thread.port}"
        thread.terminate()
        # A request thread of the server may leave its connection behind: end it, or the
        # test database cannot be dropped.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


# The TOTP secret of each person who set one up in Chromium during this run, by e-mail: the
# next sign-in types the code an authenticator app would show.
TOTP_SECRETS: dict[str, str] = {}


@pytest.fixture(scope="package", autouse=True)
def _factors_set_up_here_are_removed(django_db_setup: None, django_db_blocker: Any,
                                     ) -> Iterator[None]:
    """Browser tests commit what they do; the second factors people set up here would then
    meet the later tests of this run, which sign the same people in without a code. They
    are removed when the browser tests end (and with them, those people's sessions)."""
    from allauth.mfa.models import Authenticator
    from django.db.models import Max

    with django_db_blocker.unblock():
        last = Authenticator.objects.aggregate(last=Max("pk"))["last"] or 0
    yield
    with django_db_blocker.unblock():
        Authenticator.objects.filter(pk__gt=last).delete()
    TOTP_SECRETS.clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests skipped: {CHROMIUM} is not installed "
                    "(apt-get install chromium; .ci/run does it in CI)")
    from playwright.sync_api import sync_playwright

    base = settings.BASE_DOMAIN
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync",
                f"--host-resolver-rules=MAP {base} 127.0.0.1, MAP *.{base} 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def url(live_url: str, host: str, path: str = "/") -> str:
    return "http://" + live_url.format(host=host) + path


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unlabelled_fields(page: Any) -> list[str]:
    """Visible form fields that no label, aria-label or aria-labelledby names."""
    return list(page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea')]
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby'))
        .map(el => el.name || el.id)"""))


def sign_in(page: Any, live_url: str, host: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real forms, from the host's home page; then the second factor
    (tenants/accounts/mfa.py): type the code of an authenticator set up earlier in this run, or set
    one up as its owner would — the page shows the secret an app would scan. Ends on the
    host's home page."""
    page.goto(url(live_url, host, "/"))
    assert "/accounts/login/" in page.url
    assert unlabelled_fields(page) == []
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    second_factor(page, live_url, host, email, password)


def _fresh_code(secret: str, refused_step: int | None = None) -> str:
    """The code of the current 30 s step; never one about to expire, nor the one just
    refused (allauth accepts each code once: the same person signing in twice in 30 s)."""
    if 30 - time.time() % 30 < 2 or int(time.time()) // 30 == refused_step:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp_code(secret)


def second_factor(page: Any, live_url: str, host: str, email: str,
                  password: str = PASSWORD) -> None:
    """Go through whatever the sign-in asks after the password: a TOTP code, the password
    again (before setting one up), setting one up, the recovery codes shown after it."""
    typed: int | None = None  # the 30 s step of the last code typed here
    for _step in range(6):
        path = urlsplit(page.url).path
        if path.startswith("/accounts/2fa/authenticate/"):
            assert email in TOTP_SECRETS, f"{email} has a TOTP set up outside Chromium"
            page.get_by_label("Code").fill(_fresh_code(TOTP_SECRETS[email], typed))
            typed = int(time.time()) // 30
            page.get_by_role("button", name="Connexion", exact=True).click()
        elif path.startswith("/accounts/reauthenticate/"):
            page.get_by_label("Mot de passe").fill(password)
            page.get_by_role("button", name="Confirmer", exact=True).click()
        elif path.startswith("/accounts/2fa/totp/activate/"):
            assert unlabelled_fields(page) == []
            secret = page.get_by_label("Secret d'authentification").input_value()
            page.get_by_label("Code de l'authentificateur").fill(_fresh_code(secret))
            page.get_by_role("button", name="Activer", exact=True).click()
            page.wait_for_load_state()
            if "/accounts/2fa/recovery-codes/" in page.url:
                TOTP_SECRETS[email] = secret
            continue
        elif path.startswith("/accounts/2fa/recovery-codes/"):
            page.goto(url(live_url, host, "/"))
        else:
            return
        page.wait_for_load_state()
    raise AssertionError(f"still in the sign-in steps: {page.url}")
