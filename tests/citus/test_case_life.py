"""A case's whole life on the cluster, through the real services and pages: opened with a
custom field, exchanges, consent, impact, a per-case grant, moved along the workflow and
closed; listed and read through the web; counted in the figures' CSV; erased by an admin
or archived then anonymised by the retention run; and the association's audit log stays
append-only on the worker that holds it."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tests.citus.helpers import member, worker_of
from tests.conftest import signed_in
from tests.tracking.factories import actor, item, log_interaction, make_case
from tracking.cases.services import (
    CaseData,
    case_close,
    case_create,
    case_grant,
    consent_record,
    impact_record,
)
from tracking.fields import services as custom_fields
from tracking.models import (
    AuditLog,
    Case,
    CaseEvent,
    ImpactAssessment,
    Interaction,
    StageChange,
    Transition,
)
from tracking.permissions import case_editable_q, case_visible_q
from tracking.privacy.retention import months_before, retention_apply
from tracking.privacy.services import case_anonymise
from tracking.school_year import school_year_of
from tracking.workflows.services import case_transition

pytestmark = pytest.mark.citus

SCORES = {"peers": 2, "family": 3, "school_work": 2, "help": 4, "confidence": 1}


class Life:
    """One association for this module's tests, with its people."""

    def __init__(self) -> None:
        from tests.citus.conftest import new_association

        created = new_association("vie")
        self.association = created.association
        self.schema = created.association.schema_name
        self.admin = created.admin
        self.people = {role: member(self.association, role)
                       for role in ("coordinator", "psychologist", "listener", "volunteer")}

    def as_(self, role: str) -> Any:
        user = self.admin if role == "admin" else self.people[role]
        return actor(user, role)


@pytest.fixture(scope="module")
def life(cluster_db_module: None) -> Life:
    return Life()


def _transition(source: str, target: str) -> Transition:
    return Transition.objects.get(version__status="published", from_stage__key=source,
                                  to_stage__key=target)


def test_a_case_from_opening_to_closing_through_the_services(cluster_db: None,
                                                             life: Life) -> None:
    admin, coordinator = life.as_("admin"), life.as_("coordinator")
    psychologist, listener = life.as_("psychologist"), life.as_("listener")
    today = timezone.localdate()
    with schema_context(life.schema):
        field = custom_fields.field_create(actor=admin, target="case", label="Établissement",
                                           kind="text")
        case = case_create(actor=coordinator, data=CaseData(
            first_name="Maëlys", birth_year=today.year - 14, gender="girl", town="Pantin",
            department="93", detection_source=item("detection_source", "school"),
            situation_types=[item("situation_type", "bullying")],
            assigned_staff_ids=[psychologist.id], custom={field.key: "Collège Jean Jaurès"}))
        assert case.code == f"{today.year}-0001"
        assert case.stage is not None
        assert case.stage.key == "received"
        stored = Case.objects.get(pk=case.pk)
        assert (stored.first_name, stored.custom) == ("Maëlys", {field.key: "Collège Jean Jaurès"})
        # The coordinator sees every case anyway: only the psychologist is assigned.
        assert list(stored.assigned_staff.values_list("pk", flat=True)) == [psychologist.id]

    note = log_interaction(life.association, psychologist.user, "psychologist", case,
                           summary="Premier entretien", clinical_note="Anxiété scolaire")
    with schema_context(life.schema):
        assert Interaction.objects.get(pk=note.pk).clinical_note == "Anxiété scolaire"
        assert list(Interaction.objects.get(pk=note.pk).cases.all()) == [case]
        consent_record(actor=coordinator, case=case, given_by="parent", given_on=today,
                       follow_up=True, exchange_groups=False, network_statistics=True)
        impact_record(actor=psychologist, case=case, assessed_on=today, moment="intake",
                      scores=SCORES)
        assert ImpactAssessment.objects.get(case=case).confidence == 1

        # The listener follows no case: a grant on this one lets them read it, not edit it.
        assert not Case.objects.filter(case_visible_q(listener), pk=case.pk).exists()
        grants = case_grant(actor=admin, case=case, user_id=listener.id, can_edit=False)
        assert [g.permission.codename for g in grants] == ["view_case"]
        assert Case.objects.filter(case_visible_q(listener), pk=case.pk).exists()
        assert not Case.objects.filter(case_editable_q(listener), pk=case.pk).exists()
        assert listener.user.has_perm("tracking.view_case", case)

        case = case_transition(actor=coordinator, case=Case.objects.get(pk=case.pk),
                               transition=_transition("received", "first_contact"),
                               expected_version=Case.objects.get(pk=case.pk).version,
                               comment="Appel à la mère")
        case = case_transition(actor=coordinator, case=case,
                               transition=_transition("first_contact", "assessment"),
                               expected_version=case.version)
        reason = item("closing_reason", "resolved")
        closed = case_close(actor=coordinator, case=case, closed_on=today, reason=reason,
                            expected_version=case.version)

        final = Case.objects.select_related("stage").get(pk=case.pk)
        assert final.stage is not None
        assert (final.stage.key, final.closed_on, final.closing_reason_id) == (
            "closed", today, reason.pk)
        assert final.version == closed.version
        assert list(StageChange.objects.filter(case=case).order_by("pk").values_list(
            "from_stage__key", "to_stage__key", "comment")) == [
            (None, "received", ""), ("received", "first_contact", "Appel à la mère"),
            ("first_contact", "assessment", ""), ("assessment", "closed", reason.label)]
        assert list(CaseEvent.objects.filter(case=case).order_by("pk").values_list(
            "kind", flat=True)) == ["opened", "consent", "granted", "stage", "stage",
                                    "closed"]
        assert list(AuditLog.objects.filter(object_id=str(case.pk), object_type="case")
                    .order_by("pk").values_list("action", flat=True)) == [
            "case.create", "consent.record", "impact.record", "case.grant",
            "case.transition", "case.transition", "case.close"]


def test_the_case_list_and_the_case_page_through_the_web(cluster_db: None,
                                                         life: Life) -> None:
    case = make_case(life.association, life.admin, first_name="Sohane", town="Bondy",
                     staff=[life.people["psychologist"]])
    other = make_case(life.association, life.admin, first_name="Yanis", town="Noisy")
    with schema_context(life.schema):
        case_grant(actor=life.as_("admin"), case=case, user_id=life.people["listener"].pk,
                   can_edit=True)
    admin = signed_in(life.admin, life.association)
    listing = admin.get("/dossiers/", {"status": "all"})
    assert listing.status_code == 200
    assert {c.code for c in listing.context["page"]} >= {case.code, other.code}
    page = admin.get(f"/dossiers/{case.pk}/")
    assert page.status_code == 200
    assert "Sohane" in page.content.decode()
    # The overdue filter compares with the database's clock (now()), on the worker.
    with schema_context(life.schema):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=49))
    overdue = admin.get("/dossiers/", {"overdue": "1"})
    assert overdue.status_code == 200
    assert {c.code for c in overdue.context["page"]} == {case.code}

    # The listener reads (and may edit) the granted case only, the psychologist the case
    # they follow; the volunteer neither.
    listener = signed_in(life.people["listener"], life.association)
    assert listener.get(f"/dossiers/{case.pk}/").status_code == 200
    assert listener.get(f"/dossiers/{case.pk}/modifier/").status_code == 200
    assert listener.get(f"/dossiers/{other.pk}/").status_code == 404
    codes = {c.code for c in listener.get("/dossiers/").context["page"]}
    assert case.code in codes
    assert other.code not in codes
    psychologist = signed_in(life.people["psychologist"], life.association)
    assert "Sohane" in psychologist.get(f"/dossiers/{case.pk}/").content.decode()
    volunteer = signed_in(life.people["volunteer"], life.association, second_factor=False)
    assert volunteer.get(f"/dossiers/{case.pk}/").status_code == 404
    with schema_context(life.schema):
        reads = AuditLog.objects.filter(action="case.read", object_id=str(case.pk))
        assert set(reads.values_list("actor_id", flat=True)) == {
            life.admin.pk, life.people["listener"].pk, life.people["psychologist"].pk}


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_the_figures_and_cases_csv_exports(cluster_db: None, life: Life) -> None:
    with schema_context(life.schema):
        before = Case.objects.filter(opened_on__gte=datetime(
            school_year_of(timezone.localdate()), 9, 1).date()).count()
    made = [make_case(life.association, life.admin, first_name="Prénom-Export",
                      gender="boy") for _ in range(3)]
    client = signed_in(life.admin, life.association)
    year = school_year_of(timezone.localdate())
    response = client.get("/chiffres/export.csv", {"period": "school", "year": str(year)})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response.content)
    values = {row[0]: row[1] for row in rows if len(row) >= 2}
    assert values["Nouveaux dossiers ouverts sur la période"] == str(before + 3)
    assert "Prénom-Export" not in response.content.decode("utf-8-sig")
    cases = client.get("/dossiers/export.csv", {"status": "all"})
    assert cases.status_code == 200
    codes = [row[0] for row in _csv(cases.content)[1:]]
    assert {c.code for c in made} <= set(codes)
    assert b"Prenom-Export" not in cases.content
    with schema_context(life.schema):
        assert AuditLog.objects.filter(action="export.figures", actor_id=life.admin.pk,
                                       detail__year=year).count() == 1
        assert AuditLog.objects.filter(action="export.cases").latest("pk").detail["rows"] \
            == len(codes)


def test_an_admin_erases_a_case_on_its_worker(cluster_db: None, life: Life) -> None:
    admin = life.as_("admin")
    case = make_case(life.association, life.admin, first_name="Efface-Moi", town="Secretville")
    log_interaction(life.association, life.admin, "admin", case, summary="Parle de Efface-Moi")
    with schema_context(life.schema):
        case = case_transition(actor=admin, case=Case.objects.get(pk=case.pk),
                               transition=_transition("received", "first_contact"),
                               expected_version=Case.objects.get(pk=case.pk).version,
                               comment="Efface-Moi a rappelé")
        code = case.code
        erased = case_anonymise(actor=admin, case=case, confirmation=code,
                                confirmation_again=code)
        stored = Case.objects.get(pk=case.pk)
        assert (stored.first_name, stored.town, stored.code) == ("", "", f"ANON-{case.pk}")
        assert erased.code == stored.code
        # The stage history's comment is wiped: the one change its trigger allows.
        assert list(StageChange.objects.filter(case=case).values_list("comment", flat=True)
                    ) == ["", ""]
        assert Interaction.objects.filter(cases=case).get().summary == ""
        entry = AuditLog.objects.get(action="privacy.anonymise", object_id=str(case.pk))
        assert entry.detail["interactions"] == 1
        # Outside an erasure, the stage history stays append-only.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            StageChange.objects.filter(case=case).update(comment="réécrit")


def test_retention_archives_then_anonymises_and_purges_the_audit_log(
        cluster_db: None) -> None:
    """An association of its own: the retention run works on all its cases."""
    from tests.citus.conftest import new_association

    created = new_association("conserv")
    schema = created.association.schema_name
    now = timezone.now().replace(microsecond=0)
    with freeze_time(months_before(now, 40)):
        old = make_case(created.association, created.admin, first_name="Ancien-Dossier")
    live = make_case(created.association, created.admin, first_name="Recent")
    with schema_context(schema):
        old_entries = AuditLog.objects.filter(at__lt=now - timedelta(days=365)).count()
        assert old_entries >= 1  # written 40 months ago (the case's opening)
        run = retention_apply(now=now)
        assert (run.archived, run.anonymised) == (1, 0)
        assert run.audit_purged == old_entries
        assert Case.objects.get(pk=old.pk).archived_at == now
        assert Case.objects.get(pk=live.pk).archived_at is None
        assert not AuditLog.objects.filter(at__lt=now - timedelta(days=365)).exists()
        purge = AuditLog.objects.get(action="retention.audit_purge")
        assert purge.detail["deleted"] == old_entries

        # Twelve months after archiving, the case is anonymised; the other one is not
        # touched (it was opened today and is archived only 24 months later).
        later = now + timedelta(days=370)
        run = retention_apply(now=later)
        assert (run.archived, run.anonymised) == (0, 1)
        gone = Case.objects.get(pk=old.pk)
        assert (gone.first_name, gone.anonymised_at, gone.code) == ("", later,
                                                                    f"ANON-{old.pk}")
        assert Case.objects.get(pk=live.pk).first_name == "Recent"
        assert AuditLog.objects.filter(action="retention.anonymise",
                                       object_id=str(old.pk)).count() == 1
        # Idempotent: the same night again writes nothing.
        entries = AuditLog.objects.count()
        assert retention_apply(now=later) == type(run)(archived=0, anonymised=0,
                                                        audit_purged=0)
        assert AuditLog.objects.count() == entries


def test_the_audit_log_is_append_only_on_the_worker(cluster_db: None, life: Life) -> None:
    make_case(life.association, life.admin, first_name="Journal")
    with schema_context(life.schema):
        entry = AuditLog.objects.latest("pk")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=entry.pk).update(action="tampered")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=entry.pk).delete()
        assert AuditLog.objects.get(pk=entry.pk).action == entry.action

    # On the worker itself, the shard holding the rows carries the trigger: even a
    # session connected there directly cannot rewrite the log.
    with connection.cursor() as cursor:
        cursor.execute("SELECT shard_name FROM citus_shards WHERE table_name = %s::regclass",
                       [f"{life.schema}.tracking_auditlog"])
        (shard,) = cursor.fetchone()
    host, port = worker_of(life.association).rsplit(":", 1)
    params = connection.settings_dict
    with psycopg.connect(host=host, port=int(port), user=params["USER"],
                         dbname=params["NAME"], autocommit=True) as direct:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            direct.execute(f"UPDATE {shard} SET action = 'tampered' WHERE id = %s",
                           [entry.pk])
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            direct.execute(f"DELETE FROM {shard} WHERE id = %s", [entry.pk])
        row = direct.execute(f"SELECT action FROM {shard} WHERE id = %s",
                             [entry.pk]).fetchone()
    assert row == (entry.action,)
