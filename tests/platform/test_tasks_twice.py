"""Every task is safe to run twice (late acks, the outbox's rare double send): its effect
happens once. Each task's own function is called twice in-process, no worker. The periodic
jobs enqueue one task per association: here `delay` runs that task at once, in the schema
the job stands in when it sends it; a chord runs its tasks in order, each in its schema.

Tasks whose twice-run test lives next to its feature are not repeated here:
- association_contribute_task, networks_pool_task (network_publish):
  tests/tenants/networks/test_publication.py::test_publishing_twice_writes_the_same_figures
- outbox_flush_task (outbox_flush): tests/tenants/outbox/test_outbox.py::
  test_the_sweeper_sends_what_waited_once_the_broker_is_back_in_its_schema
- association_export_task (association_export_build):
  tests/tenants/offboarding/test_offboarding.py::test_export_holds_every_tracking_table_with_its_row_count
- association_closure_billing_task (subscription_closure_sync): tests/billing/
  test_closure.py::test_closing_ends_the_subscription_with_its_period_and_cancelling_undoes_it
- overdue_reminders_task (overdue_reminders_send):
  tests/tracking/workflows/test_reminders.py::test_reminded_once_per_breach
- retention_apply_task: tests/tracking/privacy/test_retention.py::
  test_a_case_without_contact_for_two_years_is_archived_and_recent_ones_are_not
- stripe_event_process_task (stripe_event_process): tests/billing/test_webhooks.py::
  test_the_same_event_delivered_twice_is_processed_once
- stripe_events_sweep_task (stripe_events_sweep): tests/billing/test_sweep.py::
  test_an_event_failed_past_its_retries_is_processed_by_the_sweep_once
- subscription_seats_sync_task (subscription_seats_sync):
  tests/billing/test_seats.py::test_seat_sync_follows_members_removed_and_added
- import_commit_task (import_commit): tests/onboarding/test_import.py::
  test_committing_twice_writes_once
- signup_provision_task (signup_provision):
  tests/onboarding/test_provisioning.py::test_provisioning_twice_changes_nothing"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from celery.canvas import Signature
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from onboarding.importing import services as importing
from onboarding.importing.tasks import import_commit_task, import_validate_task
from relier_platform.tenancy import current_schema
from tenants.models import (
    AuditEntry,
    ContributionRun,
    IndicatorContribution,
    Network,
    NetworkPublication,
    PublishedCell,
    PublishedStatistic,
)
from tenants.networks import tasks as tenant_tasks
from tenants.networks.services import network_join
from tests.conftest import World, host_client
from tests.tenants.conftest import PERIOD, Member, _cases, _member
from tests.tracking.cases.test_referral import FORM
from tests.tracking.factories import actor, make_case
from tracking.cases import tasks as tracking_tasks
from tracking.models import AuditLog, Case, ImportRun, OverdueReminder, Referral
from tracking.privacy import tasks as tasks_retention
from tracking.privacy.retention import months_before
from tracking.workflows import tasks as workflows_tasks

pytestmark = pytest.mark.django_db


# --- tracking/tasks.py ---------------------------------------------------------------------


def test_a_referral_notice_delivered_twice_is_mailed_once(world: World) -> None:
    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral = Referral.objects.get()
        assert referral.notified_at is None
        first = tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        notified_at = Referral.objects.get(pk=referral.pk).notified_at
        second = tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        assert Referral.objects.get(pk=referral.pk).notified_at == notified_at
    assert (first, second) == (2, 0)
    assert notified_at is not None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["admin@acme.example", "coordinator@acme.example"]


def test_a_referral_notice_that_failed_to_send_is_not_marked_and_sends_on_retry(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    host_client(world.acme).post("/signaler", FORM)

    def unreachable(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("the mail server does not answer")

    with schema_context("a_acme"):
        referral = Referral.objects.get()
        monkeypatch.setattr(tracking_tasks, "send_mail", unreachable)
        with pytest.raises(ConnectionError):
            tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        assert Referral.objects.get(pk=referral.pk).notified_at is None
        monkeypatch.undo()
        assert tracking_tasks.referral_notify_task.run(referral.pk, "a_acme") == 2
        assert tracking_tasks.referral_notify_task.run(referral.pk, "a_acme") == 0
    assert len(mail.outbox) == 1


def test_the_reminders_job_run_twice_reminds_once_per_overdue_case(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any,
) -> None:
    psychologist = world.acme_members["psychologist"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[psychologist])
    with schema_context("a_acme"):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=50))
    ran: list[tuple[str, str, int]] = []

    def at_once(schema: str) -> None:
        ran.append((schema, current_schema(),
                    workflows_tasks.overdue_reminders_task.run(schema)))

    monkeypatch.setattr(workflows_tasks.overdue_reminders_task, "delay", at_once)
    with django_capture_on_commit_callbacks(execute=True):
        assert workflows_tasks.overdue_reminders_all_task.run() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert workflows_tasks.overdue_reminders_all_task.run() == 2
    assert ran == [("a_acme", "a_acme", 1), ("a_beta", "a_beta", 0),
                   ("a_acme", "a_acme", 0), ("a_beta", "a_beta", 0)]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [psychologist.email]
    assert case.code in mail.outbox[0].subject
    with schema_context("a_acme"):
        assert OverdueReminder.objects.filter(case=case).count() == 1


# --- tracking/privacy/tasks.py -----------------------------------------------------------


def test_the_retention_job_run_twice_the_same_night_archives_once(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = timezone.now().replace(microsecond=0)
    with freeze_time(months_before(now, 25)):
        quiet = make_case(world.acme, world.acme_members["admin"])
    ran: list[tuple[str, str, dict[str, int]]] = []

    def at_once(schema: str) -> None:
        ran.append((schema, current_schema(), tasks_retention.retention_apply_task.run(schema)))

    monkeypatch.setattr(tasks_retention.retention_apply_task, "delay", at_once)
    assert tasks_retention.retention_all_task.run() == 2
    platform_entries = AuditEntry.objects.count()
    with schema_context("a_acme"):
        archived_at = Case.objects.get(pk=quiet.pk).archived_at
        entries = AuditLog.objects.count()
    assert tasks_retention.retention_all_task.run() == 2

    nothing = {"archived": 0, "anonymised": 0, "audit_purged": 0}
    # The first night archives the quiet case and purges its "case.create" entry, written
    # 25 months ago; the second finds nothing left to do.
    assert ran == [("a_acme", "a_acme", {"archived": 1, "anonymised": 0, "audit_purged": 1}),
                   ("a_beta", "a_beta", nothing),
                   ("a_acme", "a_acme", nothing), ("a_beta", "a_beta", nothing)]
    assert archived_at is not None
    assert AuditEntry.objects.count() == platform_entries
    with schema_context("a_acme"):
        assert Case.objects.get(pk=quiet.pk).archived_at == archived_at
        assert AuditLog.objects.count() == entries
        assert AuditLog.objects.filter(action="retention.archive").count() == 1


# --- tenants/tasks.py: the publication jobs ------------------------------------------------


def _run_here(signature: Signature, *results: Any) -> Any:
    """Run a task of the chord now, in the schema its message names."""
    schema = signature.options["headers"]["_schema_name"]
    with schema_context(schema):
        return signature.type.run(*results, *signature.args, **signature.kwargs)


class _ChordHere:
    """`celery.canvas.chord`, run in-process: the header in order, then the callback."""

    def __init__(self, header: list[Signature]) -> None:
        self.header = header

    def __call__(self, callback: Signature) -> Any:
        return _run_here(callback, [_run_here(s) for s in self.header])


@pytest.fixture
def sharing(world: World, monkeypatch: pytest.MonkeyPatch) -> tuple[Network, list[Member]]:
    """Three associations sharing with one network; chords run in-process."""
    network = Network.objects.create(name="Réseau deux fois", agreement_version="1")
    found = [_member("deuxun"), _member("deuxdeux"), _member("deuxtrois")]
    for member, n in zip(found, (8, 6, 5), strict=True):
        network_join(actor=member.admin, association=member.association, network=network,
                     agreement_version="1")
        _cases(member, n)
    monkeypatch.setattr(tenant_tasks, "chord", _ChordHere)
    return network, found


def _published(network: Network, members: list[Member]) -> list[Any]:
    return [
        list(IndicatorContribution.objects.filter(
            association__in=[m.association for m in members]).order_by(
            "association", "indicator", "period", "row", "column").values_list(
            "association", "indicator", "period", "row", "column", "value")),
        list(PublishedCell.objects.filter(network=network).order_by(
            "indicator", "period", "row", "column").values_list(
            "indicator", "period", "row", "column", "value", "reason")),
        list(PublishedStatistic.objects.filter(network=network).order_by(
            "indicator", "period", "key").values_list("indicator", "period", "key", "value",
                                                      "reason")),
        AuditEntry.objects.count(),
    ]


def _assert_published(figures: list[Any], network: Network, members: list[Member]) -> None:
    """Every member contributed, and the network shows their 8 + 6 + 5 girls of the 93."""
    assert {row[0] for row in figures[0]} == {m.association.pk for m in members}
    assert PublishedCell.objects.get(
        network=network, indicator="active_by_department", period=PERIOD, row="93",
        column="girl").value == 19


def test_the_nightly_publication_run_twice_publishes_the_same_figures_once(
    sharing: tuple[Network, list[Member]],
) -> None:
    network, members = sharing
    assert tenant_tasks.networks_publish_all_task.run() == 3
    first = _published(network, members)
    _assert_published(first, network, members)
    assert tenant_tasks.networks_publish_all_task.run() == 3
    assert _published(network, members) == first
    # Each run is logged (one contribution run per association, one publication per
    # network); the figures themselves are replaced, never added to.
    done = ContributionRun.Status.DONE
    for member in members:
        assert list(ContributionRun.objects.filter(association=member.association)
                    .values_list("status", flat=True)) == [done, done]
    assert NetworkPublication.objects.filter(network=network).count() == 2


def test_a_publish_now_delivered_twice_publishes_the_same_figures_once(
    sharing: tuple[Network, list[Member]],
) -> None:
    network, members = sharing
    ids = [m.association.pk for m in members]
    assert tenant_tasks.networks_recompute_task.run(ids, [network.pk]) == 3
    first = _published(network, members)
    _assert_published(first, network, members)
    assert tenant_tasks.networks_recompute_task.run(ids, [network.pk]) == 3
    assert _published(network, members) == first
    assert NetworkPublication.objects.filter(network=network).count() == 2


# --- onboarding/importing/tasks.py ------------------------------------------------------------

CSV = ("Prénom;Année de naissance;Genre;Ville;Département;Identifiant\r\n"
       "Hélène;2011;Fille;Épinay-sur-Seine;93;W-1\r\n"
       "Noël;2012;Garçon;Saint-Brévin;44;W-2\r\n").encode()


def test_an_import_dry_run_delivered_twice_writes_its_report_once_and_no_case(
    world: World,
) -> None:
    admin = world.acme_members["admin"]
    with schema_context("a_acme"):
        run = importing.import_upload(actor=actor(admin, "admin"), file_name="deux.csv",
                                      content=CSV)
        entries = AuditLog.objects.count()
        first = import_validate_task.run(run.pk, "a_acme")
        second = import_validate_task.run(run.pk, "a_acme")
        assert first == second == {"schema": "a_acme", "status": "validated", "errors": 0,
                                   "create": 2, "update": 0, "unchanged": 0}
        assert Case.objects.count() == 0
        assert AuditLog.objects.count() == entries

        # A dry run delivered late, after the import was committed, leaves it committed.
        committed = import_commit_task.run(run.pk, "a_acme", admin.pk)
        assert committed["status"] == "committed"
        late = import_validate_task.run(run.pk, "a_acme")
        assert late["status"] == "committed"
        assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.COMMITTED
        assert Case.objects.count() == 2
        assert AuditLog.objects.filter(action="import.commit").count() == 1


def test_a_dry_run_still_running_when_the_commit_starts_leaves_the_commit_s_status(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The duplicate dry run reads the rows while the admin's commit starts: its report is
    not stored over the commit's status (the lost update the row lock prevents)."""
    admin = world.acme_members["admin"]
    with schema_context("a_acme"):
        run = importing.import_upload(actor=actor(admin, "admin"), file_name="course.csv",
                                      content=CSV)
        real_store = importing._store_check

        def commit_starts_meanwhile(*args: Any) -> None:
            ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.COMMITTING)
            real_store(*args)

        monkeypatch.setattr(importing, "_store_check", commit_starts_meanwhile)
        late = import_validate_task.run(run.pk, "a_acme")
        assert late["status"] == "committing"
        stored = ImportRun.objects.get(pk=run.pk)
        assert (stored.status, stored.validated_at) == (ImportRun.Status.COMMITTING, None)
