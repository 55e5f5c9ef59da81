"""The workflow editor page in Chromium: the diagram of the version in force, labelled and
usable on a phone. (It only reads: the test database is shared with later tests.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_tracking_pages import HOST, check_page, go
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_workflow_editor_shows_the_diagram(world: World, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, world.acme_members["admin"].email)
    go(page, live_url, "/parametres/parcours/")
    assert page.get_by_role("heading", level=1).inner_text() == "Parcours des dossiers"
    diagram = page.locator("figure.diagram svg").first
    assert diagram.is_visible(), page.content()[:3000]
    for stage in ("Signalement reçu", "Premier contact", "Évaluation", "Accompagnement",
                  "Bilan", "Clôturé"):
        assert diagram.get_by_text(stage, exact=True).count() == 1
    # transition labels are drawn in full, inside the drawing
    label = diagram.get_by_text("Premier contact établi", exact=True)
    assert label.count() == 1
    box = label.bounding_box()
    assert box is not None
    assert box["x"] > 100
    check_page(page, "workflow-editor")


def test_picklists_page(world: World, live_url: str, page: Any) -> None:
    sign_in(page, live_url, HOST, world.acme_members["admin"].email)
    go(page, live_url, "/parametres/listes/")
    assert page.get_by_role("heading", level=1).inner_text() == "Listes de l'association"
    assert page.get_by_text("Harcèlement").count() >= 1
    check_page(page, "picklists")
