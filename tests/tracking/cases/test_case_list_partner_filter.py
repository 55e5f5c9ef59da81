"""The case list's partner filter lists the association's active partners, escaped, with the
chosen one selected (its options are built in Python: tracking.cases.views._partner_options)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import item
from tracking.models import Partner

pytestmark = pytest.mark.django_db


def test_partner_options_escaped_active_only_and_selected(world: World) -> None:
    with schema_context("a_acme"):
        kind = item("partner_type", "middle_school")
        school = Partner.objects.create(name="Collège <Jean> & Co", kind=kind)
        other = Partner.objects.create(name="Mairie de Bondy", kind=kind)
        Partner.objects.create(name="Ancien partenaire", kind=kind, is_archived=True)
    client = signed_in(world.acme_members["admin"], world.acme)
    body = client.get("/dossiers/").content.decode()
    assert f'<option value="{school.pk}">Collège &lt;Jean&gt; &amp; Co</option>' in body
    assert f'<option value="{other.pk}">Mairie de Bondy</option>' in body
    assert "Ancien partenaire" not in body
    chosen = client.get(f"/dossiers/?partner={other.pk}").content.decode()
    assert f'<option value="{other.pk}" selected>Mairie de Bondy</option>' in chosen
    assert f'<option value="{school.pk}">' in chosen
