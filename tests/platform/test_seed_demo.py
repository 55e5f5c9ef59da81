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
        first = _network_csvs()
        call_command("seed_demo", stdout=StringIO())  # idempotent
        second = _network_csvs()
        _assert_the_demo_network_survives_a_solver(first, second)
        _assert_shared_margins_shown_alike(second)
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
    # One hand-over waiting for Les Liens Solidaires (made once, seeded twice above).
    from tenants.models import Handover

    (handover,) = Handover.objects.all()
    assert (handover.sender.slug, handover.receiver.slug, handover.status) == (
        "pas-a-pas", "liens", "pending")
    _assert_question_psy_is_seeded()


def _assert_question_psy_is_seeded() -> None:
    """Questions in the queue, past weekly sessions with published answers, the form open
    in the large association (its public page shows the answers)."""
    from django_tenants.utils import schema_context

    from tracking.models import Question, QuestionSession, QuestionSettings

    with schema_context("a_liens"):
        assert QuestionSettings.objects.get().form_open
        assert Question.objects.filter(status="new").count() >= 2
        published = QuestionSession.objects.filter(questions__status="published").distinct()
        assert published.count() >= 2
        assert not Question.objects.filter(status="published", public_text="").exists()


def _network_csvs() -> dict[str, list[list[str]]]:
    """The coordinator's CSV of every school year the demo network publishes."""
    from tenants.models import Network
    from tenants.networks import selectors as published

    network = Network.objects.get(name="Réseau Relier (démo)")
    publication = published.last_publication(network)
    threshold = published.threshold_of(network, publication)
    return {period: published.csv_rows(network, period, threshold, publication)
            for period in published.published_periods(network)}


def _assert_the_demo_network_survives_a_solver(first: dict[str, list[list[str]]],
                                               second: dict[str, list[list[str]]]) -> None:
    """Issue #16 on the demo: the LP attacker of the tests, on each school year alone and
    on the two publications of the two runs together (nothing changed between them: every
    cell is one unknown in both)."""
    from tenants.networks.disclosure import protection_width_floor
    from tests.tenants.networks.lp_attacker import Attack, Csv, _shared, width

    assert set(first) == set(second)
    floor = protection_width_floor(11)
    for period, rows in first.items():
        before, after = Csv.read(rows, 11), Csv.read(second[period], 11)
        for cell, shown in after.cells.items():
            if not shown.hidden and not before.cells[cell].hidden:
                assert shown.low == before.cells[cell].low, cell
        for csvs in ([after], [before, after]):
            attack = Attack()
            for csv in csvs:
                attack.add(csv, "same", dict.fromkeys(csv.cells, "same"))
            public = {c for c in before.cells if not before.cells[c].hidden}
            for cell in after.hidden():
                if len(csvs) == 2 and cell in public:
                    continue  # shown by the first run: public already
                i = attack.names[("same", _shared(cell))]
                assert width(attack, {i: 1.0}) >= floor, (period, cell)


def _assert_shared_margins_shown_alike(csvs: dict[str, list[list[str]]]) -> None:
    """A family's shared margin is one value: shown with that value in every table of the
    family, or hidden in all (shown in one, hiding it elsewhere protects nothing)."""
    from tests.tenants.networks.lp_attacker import FAMILIES, TOTAL, Csv

    for period, rows in csvs.items():
        csv = Csv.read(rows, 11)
        for family, members in FAMILIES.items():
            columns = {column for (indicator, row, column) in csv.cells
                       if indicator in members and row == TOTAL}
            for column in columns:
                cells = [csv.cells[(i, TOTAL, column)] for i in members
                         if (i, TOTAL, column) in csv.cells]
                shown = {None if cell.hidden else cell.low for cell in cells}
                assert len(shown) == 1, (period, family, column, shown)
