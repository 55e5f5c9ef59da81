"""seed_demo is refused when DEBUG is off."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tenants.models import Association


@pytest.mark.django_db
def test_seed_demo_refused_without_debug() -> None:
    before = Association.objects.count()
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert Association.objects.count() == before


@pytest.mark.django_db
def test_seed_demo_builds_three_associations_with_every_role(world: object) -> None:
    from tenants.models import Membership, NetworkCoordinator, Role

    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
        call_command("seed_demo", stdout=StringIO())  # idempotent
    slugs = set(Association.objects.exclude(schema_name="public").values_list("slug", flat=True))
    assert {"liens", "ecoute-reunion", "pas-a-pas"} <= slugs
    roles = set(Membership.objects.filter(association__slug="liens").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert NetworkCoordinator.objects.filter(user__email="reseau@relier.example").count() == 1
    assert "relier-demo-2026" in out.getvalue()
    from tenants.models import NetworkMembership, PublishedCell

    assert NetworkMembership.objects.filter(network__name="Réseau Relier (démo)",
                                            withdrawn_at__isnull=True).count() == 3
    assert PublishedCell.objects.filter(network__name="Réseau Relier (démo)",
                                        value__gt=0).exists()
