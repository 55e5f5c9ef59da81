"""Retention (issue #8): quiet cases archived then anonymised at the right time, archived
cases hidden and read by admins only (each read audited), the settings page and its
isolation, the audit log purged only by the retention purge and only of old entries,
reading the audit log audited, and the nightly task in each association's own schema
with a real worker.

Times: cases are made in the past with freezegun; the runs get an explicit `now`. The
audit purge compares with PostgreSQL's clock, so audit entries are dated from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tenants.models import Association, AuditEntry, Network, User
from tenants.networks.contribution import contributions_for
from tenants.networks.services import network_coordinator_add
from tenants.networks.tasks import _in_schema
from tenants.tenancy.retention import platform_audit_purge
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World, signed_in
from tests.tracking.factories import actor, log_interaction, make_case
from tracking.cases.selectors import CaseFilters, case_list
from tracking.cases.services import consent_record
from tracking.figures.activity import activity_figures
from tracking.groups.selectors import group_participants
from tracking.interactions.directory import contact_create_for_case
from tracking.models import AuditLog, Case, Contact, Interaction, RetentionPolicy
from tracking.privacy.retention import (
    RetentionRun,
    anonymise_upcoming,
    archive_upcoming,
    audit_purge,
    case_restore,
    months_after,
    months_before,
    policy_get,
    policy_update,
    retention_apply,
)
from tracking.privacy.services import SHARED_TEXT_REMOVED
from tracking.privacy.tasks import retention_all_task, retention_apply_task
from tracking.school_year import school_year_of

django_db = pytest.mark.django_db
ACME = "a_acme"


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


def _old_case(world: World, months: int, *, now: datetime, **fields: Any) -> Case:
    """A case opened `months` months before `now`, untouched since."""
    with freeze_time(months_before(now, months)):
        return make_case(world.acme, world.acme_members["admin"], **fields)


def _db_now() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (moment,) = cursor.fetchone()
    return moment


def _refused(action: Any, match: str) -> None:
    """PostgreSQL refuses: the statement raises, and only it is rolled back."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        action()


# --- Dates ---------------------------------------------------------------------------

def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    moment = datetime(2026, 3, 31, 10, 0)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 10, 0)
    assert months_before(moment, 24) == datetime(2024, 3, 31, 10, 0)
    assert months_before(moment, 25) == datetime(2024, 2, 29, 10, 0)
    assert months_after(datetime(2025, 11, 15), 3) == datetime(2026, 2, 15)


# --- Archiving -------------------------------------------------------------------------

@django_db
def test_a_case_without_contact_for_two_years_is_archived_and_recent_ones_are_not(
        world: World) -> None:
    now = _now()
    quiet = _old_case(world, 25, now=now)
    almost = _old_case(world, 23, now=now)
    spoken_to = _old_case(world, 30, now=now)
    with freeze_time(months_before(now, 3)):
        log_interaction(world.acme, world.acme_members["admin"], "admin", spoken_to)
    with schema_context(ACME):
        run = retention_apply(now=now)
        assert run.archived == 1
        archived = dict(Case.objects.filter(pk__in=[quiet.pk, almost.pk, spoken_to.pk])
                        .values_list("pk", "archived_at"))
        assert archived == {quiet.pk: now, almost.pk: None, spoken_to.pk: None}
        entry = AuditLog.objects.get(action="retention.archive")
        assert (entry.actor_id, entry.object_type, entry.object_id) == (None, "case",
                                                                        str(quiet.pk))
        assert entry.detail["months"] == 24
        # Its last contact: its opening, 25 months ago (the day, or the moment).
        last = datetime.fromisoformat(entry.detail["last_contact"])
        assert timedelta(0) <= last - months_before(now, 25) < timedelta(days=1)
        # Idempotent: the same night again finds nothing to do and writes nothing.
        entries = AuditLog.objects.count()
        assert retention_apply(now=now) == RetentionRun(archived=0, anonymised=0,
                                                        audit_purged=0)
        assert AuditLog.objects.count() == entries


@django_db
@pytest.mark.parametrize("contact", ["interaction", "consent", "edit"])
def test_any_contact_starts_the_clock_over(world: World, contact: str) -> None:
    now = _now()
    case = _old_case(world, 30, now=now)
    admin = actor(world.acme_members["admin"], "admin")
    with freeze_time(months_before(now, 1)), schema_context(ACME):
        if contact == "interaction":
            log_interaction(world.acme, admin.user, "admin", case)
        elif contact == "consent":
            consent_record(actor=admin, case=case, given_by="parent",
                           given_on=timezone.localdate(), follow_up=True,
                           exchange_groups=False, network_statistics=True)
        else:
            from tracking.cases.services import CaseData, case_update

            case_update(actor=admin, case=case, expected_version=case.version,
                        data=CaseData(first_name="Inès", birth_year=case.birth_year,
                                      town="Bondy", department="93"))
    with schema_context(ACME):
        assert retention_apply(now=now).archived == 0
        assert Case.objects.get(pk=case.pk).archived_at is None


@django_db
def test_archived_cases_leave_lists_searches_and_exports(world: World) -> None:
    now = _now()
    psychologist = world.acme_members["psychologist"]
    case = _old_case(world, 25, now=now, staff=[psychologist], first_name="Canari-Archive")
    live = make_case(world.acme, world.acme_members["admin"], staff=[psychologist])
    with schema_context(ACME):
        retention_apply(now=now)
        for role, user in (("admin", world.acme_members["admin"]),
                           ("coordinator", world.acme_members["coordinator"]),
                           ("psychologist", psychologist)):
            listed = set(case_list(actor=actor(user, role), filters=CaseFilters(
                status="all", q=case.code)).values_list("pk", flat=True))
            assert listed == set(), role
            assert live.pk in case_list(actor=actor(user, role),
                                        filters=CaseFilters(status="all")).values_list(
                "pk", flat=True)
    for role in ("admin", "coordinator", "psychologist"):
        client = signed_in(world.acme_members[role], world.acme)
        searched = client.get("/dossiers/", {"status": "all", "q": case.code})
        assert searched.status_code == 200
        assert f'href="/dossiers/{case.pk}/"' not in searched.content.decode()  # q echoed
        listed_page = client.get("/dossiers/", {"status": "all"}).content.decode()
        assert f'href="/dossiers/{case.pk}/"' not in listed_page
        assert f'href="/dossiers/{live.pk}/"' in listed_page
        assert client.get(f"/dossiers/{case.pk}/").status_code == 404, role
        assert client.get(f"/dossiers/{case.pk}/modifier/").status_code == 404, role
    export = signed_in(world.acme_members["admin"], world.acme).get(
        "/dossiers/export.csv", {"status": "all"})
    assert export.status_code == 200
    assert case.code.encode() not in export.content
    assert live.code.encode() in export.content


@django_db
def test_an_archived_case_is_read_by_admins_only_and_every_read_is_audited(
        world: World) -> None:
    now = _now()
    psychologist = world.acme_members["psychologist"]
    case = _old_case(world, 25, now=now, staff=[psychologist], first_name="Canari-Archive")
    with schema_context(ACME):
        retention_apply(now=now)
    admin = signed_in(world.acme_members["admin"], world.acme)
    for _read in range(2):
        page = admin.get(f"/parametres/conservation/dossiers/{case.pk}/")
        assert page.status_code == 200
        assert b"Canari-Archive" in page.content
    with schema_context(ACME):
        reads = AuditLog.objects.filter(action="case.archived_read", object_id=str(case.pk))
        assert list(reads.values_list("actor_id", flat=True)) == [
            world.acme_members["admin"].pk] * 2
    for role in ("coordinator", "psychologist", "listener", "read_only"):
        client = signed_in(world.acme_members[role], world.acme)
        page = client.get(f"/parametres/conservation/dossiers/{case.pk}/")
        assert page.status_code == 404, role
        assert b"Canari" not in page.content
    with schema_context(ACME):
        assert reads.count() == 2


@django_db
def test_an_admin_restores_an_archived_case_and_its_clock_starts_over(world: World) -> None:
    now = _now()
    case = _old_case(world, 25, now=now)
    with schema_context(ACME):
        retention_apply(now=now)
    admin = signed_in(world.acme_members["admin"], world.acme)
    # Only an admin, and only with POST.
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert coordinator.post(
        f"/parametres/conservation/dossiers/{case.pk}/restaurer/").status_code == 404
    response = admin.post(f"/parametres/conservation/dossiers/{case.pk}/restaurer/")
    assert response.status_code == 302
    assert response["Location"] == f"/dossiers/{case.pk}/"
    assert admin.get(f"/dossiers/{case.pk}/").status_code == 200
    with schema_context(ACME):
        assert Case.objects.get(pk=case.pk).archived_at is None
        entry = AuditLog.objects.get(action="retention.restore")
        assert entry.actor_id == world.acme_members["admin"].pk
        assert entry.detail["archived_at"] == now.isoformat()
        assert retention_apply(now=timezone.now()).archived == 0


# --- Anonymisation -----------------------------------------------------------------------

@django_db
def test_an_archived_case_is_anonymised_after_the_further_period_figures_unchanged(
        world: World) -> None:
    now = _now()
    psychologist = world.acme_members["psychologist"]
    case = _old_case(world, 25, now=now, staff=[psychologist], first_name="Prénom-Canari",
                     gender="girl")
    with schema_context(ACME):  # as an import from another system would have left it
        Case.objects.filter(pk=case.pk).update(external_id="monday-42")
    sibling = make_case(world.acme, world.acme_members["admin"], first_name="Frère")
    with freeze_time(months_before(now, 25) + timedelta(days=1)):
        interaction = log_interaction(world.acme, psychologist, "psychologist", case,
                                      summary="Résumé-Canari", clinical_note="Note-Canari")
        shared = log_interaction(world.acme, psychologist, "psychologist", case,
                                 summary="Avec son frère")
        with schema_context(ACME):
            shared.cases.add(sibling)  # an exchange about both stays for the other
            contact = contact_create_for_case(
                actor=actor(psychologist, "psychologist"), case=case, kind="parent",
                first_name="Parent-Canari", last_name="Nom-Canari", relationship="mère",
                phone="0600000000")
    year = school_year_of(months_before(now, 25).date())
    with schema_context(ACME):
        retention_apply(now=now)
        figures = activity_figures(period_kind="school", year=year)
        network = set(contributions_for([year]))
        # Not before the further twelve months …
        assert retention_apply(now=months_after(now, 12) - timedelta(days=1)).anonymised == 0
        assert Case.objects.get(pk=case.pk).first_name == "Prénom-Canari"
        # … then anonymised, once.
        later = months_after(now, 12) + timedelta(days=1)
        assert retention_apply(now=later).anonymised == 1
        assert retention_apply(now=later).anonymised == 0
        kept = Case.objects.get(pk=case.pk)
        assert (kept.first_name, kept.external_id) == ("", None)
        assert (kept.archived_at, kept.anonymised_at) == (now, later)
        assert (kept.birth_year, kept.gender, kept.opened_on) == (
            case.birth_year, "girl", case.opened_on)
        note = Interaction.objects.get(pk=interaction.pk)
        assert (note.summary, note.clinical_note) == ("", "")
        # The exchange about both stays for the sibling, its text replaced by a visible
        # mention (it may name this young person): the same rule as an admin's erasure.
        kept_shared = Interaction.objects.get(pk=shared.pk)
        assert kept_shared.summary == SHARED_TEXT_REMOVED
        assert set(kept_shared.cases.values_list("pk", flat=True)) == {case.pk, sibling.pk}
        parent = Contact.objects.get(pk=contact.pk)
        assert (parent.first_name, parent.last_name, parent.phone) == ("", "", "")
        entry = AuditLog.objects.get(action="retention.anonymise")
        assert (entry.object_id, entry.detail["archived_at"]) == (str(case.pk),
                                                                  now.isoformat())
        # The association's figures and its network contribution stay as they were, but
        # for the breakdown by town: the town is erased (with birth year and gender it
        # could single the young person out), as in an admin's erasure.
        after = activity_figures(period_kind="school", year=year)
        assert {k: v for k, v in vars(after).items() if k != "by_town"} == {
            k: v for k, v in vars(figures).items() if k != "by_town"}
        assert set(contributions_for([year])) == network
        # An anonymised case cannot come back.
        from relier_platform.errors import ApplicationError

        with pytest.raises(ApplicationError, match="anonymisé"):
            case_restore(actor=actor(world.acme_members["admin"], "admin"), case=kept)
        assert Case.objects.get(pk=case.pk).archived_at == now


# --- Settings page ------------------------------------------------------------------------

@django_db
def test_admins_are_warned_of_cases_archived_or_anonymised_within_thirty_days(
        world: World) -> None:
    now = _now()
    with freeze_time(months_before(now, 24) + timedelta(days=10)):
        soon = make_case(world.acme, world.acme_members["admin"])
    with freeze_time(months_before(now, 24) + timedelta(days=40)):
        later = make_case(world.acme, world.acme_members["admin"])
    archived = _old_case(world, 36, now=now)
    with schema_context(ACME):
        retention_apply(now=months_before(now, 12) + timedelta(days=5))
        policy = policy_get()
        upcoming = archive_upcoming(now=now, policy=policy)
        assert [row.case.pk for row in upcoming] == [soon.pk]
        assert abs(upcoming[0].due - (now + timedelta(days=10))) < timedelta(days=1)
        assert [row.case.pk for row in anonymise_upcoming(now=now, policy=policy)] == [
            archived.pk]
    admin = signed_in(world.acme_members["admin"], world.acme)
    page = admin.get("/parametres/conservation/")
    assert page.status_code == 200
    text = page.content.decode()
    assert soon.code in text
    assert archived.code in text
    assert later.code not in text
    # Keeping the case: audited, and it leaves the warning list.
    assert admin.post(f"/parametres/conservation/dossiers/{soon.pk}/conserver/"
                      ).status_code == 302
    with schema_context(ACME):
        assert archive_upcoming(now=now, policy=policy) == []
        assert AuditLog.objects.filter(action="retention.keep", object_id=str(soon.pk),
                                       actor_id=world.acme_members["admin"].pk).exists()


@django_db
def test_admin_changes_the_periods_within_bounds_and_the_change_is_audited(
        world: World) -> None:
    admin = signed_in(world.acme_members["admin"], world.acme)
    url = "/parametres/conservation/"
    bad = admin.post(url, {"archive_after_months": "6", "anonymise_after_months": "12",
                           "audit_keep_months": "12"})
    assert bad.status_code == 400
    assert "doit intervenir après 12 à 60 mois sans contact." in bad.content.decode()
    for wrong in ({"audit_keep_months": "3"}, {"audit_keep_months": "13"},
                  {"anonymise_after_months": "0"}, {"archive_after_months": "douze"}):
        post = {"archive_after_months": "36", "anonymise_after_months": "6",
                "audit_keep_months": "6", **wrong}
        assert admin.post(url, post).status_code == 400, wrong
    with schema_context(ACME):
        assert (policy_get().archive_after_months, policy_get().audit_keep_months) == (24, 12)
        assert not AuditLog.objects.filter(action="retention.policy_update").exists()
    good = admin.post(url, {"archive_after_months": "36", "anonymise_after_months": "6",
                            "audit_keep_months": "6"})
    assert good.status_code == 302
    with schema_context(ACME):
        policy = policy_get()
        assert (policy.archive_after_months, policy.anonymise_after_months,
                policy.audit_keep_months) == (36, 6, 6)
        entry = AuditLog.objects.get(action="retention.policy_update")
        assert entry.actor_id == world.acme_members["admin"].pk
        assert entry.detail == {
            "before": {"archive_after_months": 24, "anonymise_after_months": 12,
                       "audit_keep_months": 12},
            "after": {"archive_after_months": 36, "anonymise_after_months": 6,
                      "audit_keep_months": 6}}
        # PostgreSQL holds the bounds too.
        with pytest.raises(IntegrityError), transaction.atomic():
            RetentionPolicy.objects.filter(pk=1).update(audit_keep_months=3)
    # Other members of the association: not found, nothing changed.
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert coordinator.get(url).status_code == 404
    assert coordinator.post(url, {"archive_after_months": "12", "anonymise_after_months": "1",
                                  "audit_keep_months": "6"}).status_code == 404
    with schema_context(ACME):
        assert policy_get().archive_after_months == 36


@pytest.fixture
def coordinator_of_a_network() -> User:
    user = User.objects.create_user("coord-retention@reseau.example", password=PASSWORD)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau R"),
                            user=user)
    return user


@django_db
def test_another_associations_admin_and_a_network_coordinator_reach_nothing(
        world: World, coordinator_of_a_network: User) -> None:
    now = _now()
    case = _old_case(world, 25, now=now, first_name="Canari-Archive")
    with schema_context(ACME):
        retention_apply(now=now)
    for user in (world.beta_admin, coordinator_of_a_network):
        client = signed_in(user, world.acme)
        for path in ("/parametres/conservation/",
                     f"/parametres/conservation/dossiers/{case.pk}/"):
            response = client.get(path)
            assert response.status_code == 403
            assert b"Canari" not in response.content
            assert case.code.encode() not in response.content
        for path in ("/parametres/conservation/",
                     f"/parametres/conservation/dossiers/{case.pk}/restaurer/"):
            assert client.post(path, {"archive_after_months": "12",
                                      "anonymise_after_months": "1",
                                      "audit_keep_months": "6"}).status_code == 403
    with schema_context(ACME):
        assert policy_get().archive_after_months == 24
        assert Case.objects.get(pk=case.pk).archived_at == now
    # Beta's own page shows beta's own settings and none of acme's cases.
    with schema_context(ACME):
        policy_update(actor=actor(world.acme_members["admin"], "admin"),
                      archive_after_months=48, anonymise_after_months=12,
                      audit_keep_months=12)
    own = signed_in(world.beta_admin, world.beta).get("/parametres/conservation/")
    assert own.status_code == 200
    assert 'value="24"' in own.content.decode()
    assert 'value="48"' not in own.content.decode()
    assert case.code.encode() not in own.content


@django_db
def test_archived_young_people_leave_the_group_rosters(world: World) -> None:
    from tracking.groups.services import (
        attendance_record,
        group_create,
        group_session_create,
    )

    now = _now()
    case = _old_case(world, 30, now=now, first_name="Canari-Groupe")
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context(ACME):
        with freeze_time(months_before(now, 29)):
            group = group_create(actor=admin, theme="Passions", weekday=2, capacity=10,
                                 facilitator_ids=[])
            session = group_session_create(actor=admin, group=group,
                                           held_on=timezone.localdate())
            attendance_record(actor=admin, session=session, statuses={case.pk: "present"})
        assert [c.pk for c in group_participants(group)] == [case.pk]
        retention_apply(now=now)
        assert group_participants(group) == []


# --- Audit log: append-only, purged only when old ----------------------------------------

@django_db
def test_a_recent_audit_entry_cannot_be_deleted_or_changed_even_by_the_purge(
        world: World) -> None:
    with schema_context(ACME):
        entry = AuditLog.objects.create(action="test.recent")
        _refused(lambda: AuditLog.objects.filter(pk=entry.pk).delete(), "append-only")

        def with_flag() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('relier.audit_purge', 'on', true)")
                cursor.execute("DELETE FROM tracking_auditlog WHERE id = %s", [entry.pk])

        _refused(with_flag, "too recent")
        _refused(lambda: AuditLog.objects.filter(pk=entry.pk).update(action="x"),
                 "append-only")

        def truncate() -> None:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE tracking_auditlog")

        _refused(truncate, "append-only")
        assert AuditLog.objects.get(pk=entry.pk).action == "test.recent"


@django_db
def test_the_purge_removes_only_entries_older_than_the_policy(world: World) -> None:
    with schema_context(ACME):
        db_now = _db_now()
        ages = {"13": 13, "9": 9, "1": 1}
        made = {label: AuditLog.objects.create(action=f"test.{label}",
                                               at=months_before(db_now, months))
                for label, months in ages.items()}
        recent = AuditLog.objects.create(action="test.now")
        # Old, but not through the purge: refused.
        _refused(lambda: AuditLog.objects.filter(pk=made["13"].pk).delete(), "append-only")
        # Nothing else there is older than a year: only the 13-month-old entry goes.
        policy = policy_get()
        assert audit_purge(policy=policy) == 1
        left = set(AuditLog.objects.filter(action__startswith="test.")
                   .values_list("action", flat=True))
        assert left == {"test.9", "test.1", "test.now"}
        record = AuditLog.objects.get(action="retention.audit_purge")
        assert (record.detail["deleted"], record.detail["months"]) == (1, 12)
        assert audit_purge(policy=policy) == 0  # idempotent
        # Six months kept: the 9-month-old entry goes too, never the recent ones.
        policy = policy_update(actor=actor(world.acme_members["admin"], "admin"),
                               archive_after_months=24, anonymise_after_months=12,
                               audit_keep_months=6)
        assert audit_purge(policy=policy) == 1
        assert set(AuditLog.objects.filter(action__startswith="test.")
                   .values_list("action", flat=True)) == {"test.1", "test.now"}
        assert AuditLog.objects.filter(pk=recent.pk).exists()
        # The flag is off again after the purge, in the same transaction.
        _refused(lambda: AuditLog.objects.filter(pk=made["1"].pk).delete(), "append-only")


@django_db
def test_the_trigger_keeps_six_months_whatever_the_policy_row_says(world: World) -> None:
    with schema_context(ACME):
        policy_get()
        three_months = AuditLog.objects.create(action="test.3",
                                               at=months_before(_db_now(), 3))
        with connection.cursor() as cursor:  # bypass the application and its CHECK
            cursor.execute("ALTER TABLE tracking_retentionpolicy "
                           "DROP CONSTRAINT retention_audit_keep_months_bounds")
            cursor.execute("UPDATE tracking_retentionpolicy SET audit_keep_months = 1")

        def purge_by_hand() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('relier.audit_purge', 'on', true)")
                cursor.execute("DELETE FROM tracking_auditlog WHERE id = %s",
                               [three_months.pk])

        _refused(purge_by_hand, "keeps 6 months")
        assert AuditLog.objects.filter(pk=three_months.pk).exists()


@django_db
def test_the_platform_audit_trail_is_purged_after_twelve_months(world: World) -> None:
    db_now = _db_now()
    old = AuditEntry.objects.create(action="test.old", at=months_before(db_now, 13))
    recent = AuditEntry.objects.create(action="test.recent", at=months_before(db_now, 11))
    assert platform_audit_purge() == 1
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=recent.pk).exists()
    record = AuditEntry.objects.get(action="retention.audit_purge")
    assert (record.detail["deleted"], record.detail["months"]) == (1, 12)
    assert platform_audit_purge() == 0


# --- Reading the audit log is audited -----------------------------------------------------

@django_db
def test_reading_the_audit_log_is_itself_audited_with_its_filters(world: World) -> None:
    admin = world.acme_members["admin"]
    client = signed_in(admin, world.acme)
    response = client.get("/journal/", {"action": "case.", "actor": str(admin.pk)})
    assert response.status_code == 200
    with schema_context(ACME):
        entry = AuditLog.objects.filter(action="audit.read").latest("id")
        assert entry.actor_id == admin.pk
        assert entry.detail == {"filters": {"action": "case.", "actor": admin.pk}, "page": 1}
    # Only admins read it; the others' attempts write nothing.
    assert signed_in(world.acme_members["coordinator"], world.acme).get(
        "/journal/").status_code == 404
    with schema_context(ACME):
        assert AuditLog.objects.filter(action="audit.read").count() == 1


# --- The nightly task, with a real worker ------------------------------------------------

@dataclass
class Committed:
    association: Association
    quiet: list[int]
    recent: int


SIZES = {"wret1": 2, "wret2": 1}  # quiet cases: a run in the wrong schema would show
TIMEOUT = 90


@pytest.fixture(scope="module")
def committed(world: World, django_db_blocker: Any) -> dict[str, Committed]:
    """Associations of this module only, committed (the worker sees committed data)."""
    now = _now()
    out = {}
    with django_db_blocker.unblock():
        for slug, quiet in SIZES.items():
            created = association_create(
                actor=None, slug=slug, name=f"Association {slug}",
                admin_email=f"admin@{slug}.example", admin_password=PASSWORD)
            with freeze_time(months_before(now, 25)):
                old = [make_case(created.association, created.admin).pk for _ in range(quiet)]
            fresh = make_case(created.association, created.admin).pk
            out[slug] = Committed(created.association, old, fresh)
    return out


@pytest.mark.worker
def test_the_nightly_task_runs_in_each_associations_own_schema(
        committed: dict[str, Committed], worker: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        results = {}
        for slug, each in committed.items():
            with schema_context(each.association.schema_name):
                results[slug] = retention_apply_task.delay(each.association.schema_name)
        done = {slug: result.get(timeout=TIMEOUT) for slug, result in results.items()}
        # Each archived its own quiet cases and purged its own old audit entries (the
        # "case.create" entries written 25 months ago): 2 and 1.
        assert done == {slug: {"archived": n, "anonymised": 0, "audit_purged": n}
                        for slug, n in SIZES.items()}
        for each in committed.values():
            with schema_context(each.association.schema_name):
                archived = set(Case.objects.filter(archived_at__isnull=False)
                               .values_list("pk", flat=True))
                assert archived == set(each.quiet)
                assert AuditLog.objects.filter(action="retention.archive").count() == len(
                    each.quiet)
        # A second night: nothing more.
        again = {}
        for slug, each in committed.items():
            with schema_context(each.association.schema_name):
                again[slug] = retention_apply_task.delay(
                    each.association.schema_name).get(timeout=TIMEOUT)
        assert again == {slug: {"archived": 0, "anonymised": 0, "audit_purged": 0}
                         for slug in SIZES}


@pytest.mark.worker
def test_the_task_refuses_a_schema_that_is_not_its_own_and_the_job_runs_in_public(
        committed: dict[str, Committed], worker: None, django_db_blocker: Any) -> None:
    first, second = committed["wret1"].association, committed["wret2"].association
    with django_db_blocker.unblock():
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        wrong: Any = _in_schema(retention_apply_task.si(first.schema_name),
                                second.schema_name)
        with pytest.raises(RuntimeError, match="outside"):
            wrong.apply_async().get(timeout=TIMEOUT)
        from tenants.accounts.selectors import association_list

        active = association_list().filter(is_active=True).count()  # the public row aside
        assert retention_all_task.delay().get(timeout=TIMEOUT) == active >= 2
