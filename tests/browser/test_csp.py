"""The Content-Security-Policy in real Chromium: the main pages load with no violation
reported (neither a `securitypolicyviolation` event nor a console error), and the policy is
live — an inline script injected into a page is blocked and reported."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tenants.models import Network
from tests.browser.conftest import url
from tests.browser.test_console_page import COORDINATOR, console_network  # noqa: F401
from tests.browser.test_foundation_pages import sign_in
from tests.browser.test_tracking_pages import PSY_EMAIL, Seed, seed  # noqa: F401
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

HOST = f"acme.{settings.BASE_DOMAIN}"
# Runs before any script of the page (Playwright injects it; the CSP does not apply to it).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


@pytest.fixture
def watched(page: Any) -> Any:
    """The page, recording CSP violations from events and from the console."""
    page.context.add_init_script(LISTEN)
    page.csp_console = []
    page.on("console", lambda message: page.csp_console.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


def violations(page: Any) -> list[str]:
    return [*page.evaluate("window.__csp || []"), *page.csp_console]


def visit(page: Any, live_url: str, host: str, path: str) -> None:
    response = page.goto(url(live_url, host, path))
    assert response is not None, path
    assert response.status == 200, (path, response.status)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert violations(page) == [], path


def test_association_pages_report_no_violation(world: World, seed: Seed,  # noqa: F811
                                               live_url: str, watched: Any) -> None:
    visit(watched, live_url, HOST, "/accounts/login/")
    visit(watched, live_url, HOST, "/signaler")
    sign_in(watched, live_url, HOST, PSY_EMAIL)
    assert violations(watched) == []
    for path in ("/", "/dossiers/", f"/dossiers/{seed.psy_case_id}/", "/chiffres/",
                 f"/groupes/{seed.group_id}/"):
        visit(watched, live_url, HOST, path)
    # <details> opened: the forms inside render too.
    watched.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert violations(watched) == []


def test_admin_pages_report_no_violation(world: World, live_url: str, watched: Any) -> None:
    sign_in(watched, live_url, HOST, world.acme_members["admin"].email)
    for path in ("/equipe/", "/parametres/parcours/", "/parametres/listes/",
                 "/parametres/champs/", "/parametres/import/", "/parametres/abonnement/",
                 "/accounts/2fa/"):
        visit(watched, live_url, HOST, path)


def test_platform_pages_and_console_report_no_violation(
    console_network: Network, live_url: str, watched: Any,  # noqa: F811
) -> None:
    base = settings.BASE_DOMAIN
    visit(watched, live_url, base, "/")
    visit(watched, live_url, base, "/inscription/")
    watched.goto(url(live_url, base, f"/reseaux/{console_network.pk}/"))
    watched.get_by_label("Adresse e-mail").fill(COORDINATOR)
    watched.get_by_label("Mot de passe").fill(PASSWORD)
    watched.get_by_role("button", name="Se connecter").click()
    watched.wait_for_load_state()
    assert watched.get_by_role("heading", level=1).inner_text() == "Réseau Navigateur"
    assert violations(watched) == []
    visit(watched, live_url, base,
          f"/reseaux/{console_network.pk}/?indicateur=active_by_department")


def test_an_injected_inline_script_is_blocked_and_reported(
    world: World, live_url: str, watched: Any
) -> None:
    visit(watched, live_url, HOST, "/accounts/login/")
    ran = watched.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
        return window.__ran === true;
    }""")
    assert ran is False
    watched.wait_for_function("window.__csp.length > 0")
    assert any(v.startswith("script-src") for v in violations(watched))
