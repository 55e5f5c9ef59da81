"""A young person's GDPR rights: the access export holds every kind of record about them
and nothing else; anonymisation removes every personal value from every tracking table —
history included — in one transaction, keeps other young people's data, and leaves the
published network figures exactly as they were."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.models import Network, PublishedCell, PublishedStatistic, User
from tenants.networks.publication import network_publish
from tenants.networks.services import network_coordinator_add
from tests.conftest import PASSWORD, World, host_client, signed_in
from tests.tenants.accounts.test_mfa_reauth import age_proofs
from tests.tenants.conftest import YEAR, Member, _contribute, members, network  # noqa: F401
from tests.tracking.factories import actor, item, log_interaction, make_case
from tracking.cases import services as case_services
from tracking.cases.referrals import ReferralData, referral_submit
from tracking.fields import services as custom_fields
from tracking.figures.activity import activity_figures
from tracking.groups import services as groups
from tracking.interactions import directory
from tracking.models import (
    AuditLog,
    Case,
    CaseContact,
    CaseEvent,
    CaseLink,
    Contact,
    ImportRun,
    Interaction,
    Referral,
    StageChange,
    Transition,
)
from tracking.privacy.services import case_anonymise
from tracking.workflows import services as workflows

pytestmark = pytest.mark.django_db

# Every personal value of the young person (A), unique enough to be searched anywhere.
A_FIRST = "Philibertine"
A_TOWN = "Zanzibourg-les-Bains"
A_EXTERNAL = "monday-77441"
A_CUSTOM = "surnom-xqz-A"
A_ICUSTOM = "lieu-xqz-A"
A_SUMMARY = "resume-confidentiel-A"
A_NOTE = "note-clinique-A"
A_SHARED_SUMMARY = "echange-commun-avec-Philibertine"
A_PARENT = ("Gontrandine", "Bazouges-Parent", "0611223344", "parent.a@exemple.test")
A_REFERRER = ("Hildebert-Signaleur", "signaleur.a@exemple.test")
A_DESCRIPTION = "description-du-signalement-A"
A_COMMENT = "commentaire-etape-A"
A_LINK_NOTE = "nature-du-lien-A"
A_RELATIONSHIP = "mere-de-A"
A_SECRETS = [A_FIRST, A_TOWN, A_EXTERNAL, A_CUSTOM, A_ICUSTOM, A_SUMMARY, A_NOTE,
             A_SHARED_SUMMARY, *A_PARENT, *A_REFERRER, A_DESCRIPTION, A_COMMENT, A_LINK_NOTE,
             A_RELATIONSHIP]
# The other young person (B, a sibling): theirs must survive A's erasure.
B_FIRST = "Clothaire"
B_SUMMARY = "resume-de-B-seul"
SHARED_PARENT = ("Ermengarde", "Parent-Commun", "0699887766")


@dataclass
class Built:
    a: Case
    b: Case
    a_code: str
    shared_contact: Contact
    own_contact: Contact
    a_interaction: Interaction
    shared_interaction: Interaction
    b_interaction: Interaction
    pending_import: ImportRun


def _build(world: World) -> Built:
    """One young person with one record of every kind, and a sibling sharing a parent."""
    admin = world.acme_members["admin"]
    psychologist = world.acme_members["psychologist"]
    with schema_context(world.acme.schema_name):
        as_admin = actor(admin, "admin")
        referral = referral_submit(ip_address="203.0.113.7", data=ReferralData(
            referrer_kind="school", referrer_name=A_REFERRER[0],
            referrer_contact=A_REFERRER[1], description=A_DESCRIPTION, first_name=A_FIRST,
            birth_year=timezone.localdate().year - 14, town=A_TOWN))
        a = Case.objects.get(pk=referral.case_id)
        field = custom_fields.field_create(actor=as_admin, target="case", label="Surnom",
                                           kind="text")
        ifield = custom_fields.field_create(actor=as_admin, target="interaction",
                                            label="Lieu", kind="text")
        a = case_services.case_update(actor=as_admin, case=a, expected_version=a.version,
                                      data=case_services.CaseData(
            first_name=A_FIRST, birth_year=a.birth_year, gender="girl", town=A_TOWN,
            department="93", detection_source=a.detection_source,
            assigned_staff_ids=[psychologist.pk], custom={field.key: A_CUSTOM}))
        Case.objects.filter(pk=a.pk).update(external_id=A_EXTERNAL)
        a.refresh_from_db()
    b = make_case(world.acme, admin, first_name=B_FIRST, town="Bobigny",
                  staff=[psychologist])
    with schema_context(world.acme.schema_name):
        case_services.consent_record(actor=as_admin, case=a, given_by="parent",
                                     given_on=timezone.localdate(), follow_up=True,
                                     exchange_groups=True, network_statistics=True)
        own = directory.contact_create_for_case(
            actor=as_admin, case=a, kind="parent", first_name=A_PARENT[0],
            last_name=A_PARENT[1], phone=A_PARENT[2], email=A_PARENT[3],
            relationship=A_RELATIONSHIP)
        shared = directory.contact_create_for_case(
            actor=as_admin, case=b, kind="parent", first_name=SHARED_PARENT[0],
            last_name=SHARED_PARENT[1], phone=SHARED_PARENT[2], relationship="père")
        directory.contact_link(actor=as_admin, case=a, contact=shared, relationship="père")
        group = groups.group_create(actor=as_admin, theme="Confiance", weekday=2)
        session = groups.group_session_create(actor=as_admin, group=group,
                                              held_on=timezone.localdate(), topic="Passions")
        groups.attendance_record(actor=as_admin, session=session, statuses={a.pk: "present"})
        case_services.impact_record(actor=as_admin, case=a, assessed_on=timezone.localdate(),
                                    moment="intake", scores={"peers": 2, "family": 3,
                                                             "school_work": 2, "help": 4,
                                                             "confidence": 1})
        transition = next(t for t in Transition.objects.filter(from_stage_id=a.stage_id)
                          .select_related("to_stage")
                          if t.to_stage.is_open and not t.required_fields
                          and "admin" in t.roles)
        a = workflows.case_transition(actor=as_admin, case=a, transition=transition,
                                      expected_version=a.version, comment=A_COMMENT)
        case_services.case_grant(actor=as_admin, case=a,
                                 user_id=world.acme_members["listener"].pk, can_edit=False)
        case_services.case_link(actor=as_admin, case=a, other=b, note=A_LINK_NOTE)
        case_services.case_link(actor=as_admin, case=b, other=a, note="")
        ImportRun.objects.create(
            created_by_id=admin.pk, file_name="suivi.csv", file_sha256="0" * 64,
            file_format="csv", status=ImportRun.Status.COMMITTED,
            columns=[{"index": 0, "header": "Prénom", "samples": [A_FIRST, B_FIRST],
                      "values": [], "more": False}],
            errors=[{"row": 3, "column": "Prénom", "value": A_FIRST, "message": "x"}])
        pending = ImportRun.objects.create(
            created_by_id=admin.pk, file_name="a-importer.csv", file_sha256="1" * 64,
            file_format="csv", content=f"Prénom;Commune\n{A_FIRST};{A_TOWN}\n".encode())
    a_interaction = log_interaction(
        world.acme, psychologist, "psychologist", a, summary=A_SUMMARY, clinical_note=A_NOTE,
        custom={ifield.key: A_ICUSTOM})
    with schema_context(world.acme.schema_name):
        shared_interaction = _interaction(psychologist, [a, b], A_SHARED_SUMMARY)
    b_interaction = log_interaction(world.acme, psychologist, "psychologist", b,
                                    summary=B_SUMMARY)
    return Built(a=a, b=b, a_code=a.code, shared_contact=shared, own_contact=own,
                 a_interaction=a_interaction, shared_interaction=shared_interaction,
                 b_interaction=b_interaction, pending_import=pending)


def _interaction(user: User, cases: list[Case], summary: str) -> Interaction:
    from tracking.interactions.services import InteractionData, interaction_create

    return interaction_create(actor=actor(user, "psychologist"), data=InteractionData(
        kind=item("interaction_kind", "interview"), channel="phone",
        occurred_at=timezone.now() - timedelta(hours=2), case_ids=[c.pk for c in cases],
        summary=summary))


def _reauthenticated(user: User, world: World) -> Client:
    """Signed in, then re-authenticated for real through allauth's page."""
    client = signed_in(user, world.acme)
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


# --- access export -------------------------------------------------------------------


def test_the_export_holds_every_kind_of_record_and_nothing_of_anyone_else(
        world: World) -> None:
    built = _build(world)
    make_case(world.beta, world.beta_admin, first_name="Bêta-Canari")
    client = _reauthenticated(world.acme_members["admin"], world)
    response = client.get(f"/dossiers/{built.a.pk}/rgpd/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store, private"
    body = response.content.decode()
    data = json.loads(body)
    case = data["dossier"]
    assert (case["numero"], case["prenom"], case["commune"], case["identifiant_externe"]) == (
        built.a_code, A_FIRST, A_TOWN, A_EXTERNAL)
    assert case["champs_personnalises"] == [{"champ": "Surnom", "valeur": A_CUSTOM}]
    assert [c["statistiques_du_reseau"] for c in data["consentements"]] == [True]
    assert sorted((c["prenom"], c["lien"]) for c in data["contacts"]) == sorted(
        [(A_PARENT[0], A_RELATIONSHIP), (SHARED_PARENT[0], "père")])
    exchanges = {e["resume"]: e for e in data["echanges"]}
    assert set(exchanges) == {A_SUMMARY, A_SHARED_SUMMARY}
    assert exchanges[A_SUMMARY]["note_clinique_existe"] is True
    assert exchanges[A_SUMMARY]["champs_personnalises"] == [{"champ": "Lieu",
                                                             "valeur": A_ICUSTOM}]
    assert exchanges[A_SHARED_SUMMARY]["concerne_aussi_d_autres_jeunes"] is True
    assert exchanges[A_SUMMARY]["concerne_aussi_d_autres_jeunes"] is False
    assert [(g["groupe"], g["presence"]) for g in data["groupes_d_echange"]] == [
        ("Confiance", "Présent")]
    assert [s["confiance"] for s in data["evaluations_d_impact"]] == [1]
    assert data["signalement"]["description"] == A_DESCRIPTION
    assert data["signalement"]["nom_de_la_personne_qui_signale"] == A_REFERRER[0]
    kinds = {e["type"] for e in data["historique"]["evenements"]}
    assert {"opened", "edited", "consent", "contact", "stage", "granted", "linked"} <= kinds
    assert [s["commentaire"] for s in data["historique"]["changements_d_etape"]
            if s["commentaire"]] == [A_COMMENT]
    assert len(data["acces_accordes"]) == 1
    assert sorted(link["nature_du_lien"] for link in data["dossiers_lies"]) == [
        "", A_LINK_NOTE]
    actions = {a["action"] for a in data["journal_d_audit"]}
    assert {"case.create", "consent.record", "contact.create", "interaction.create",
            "case.grant", "referral.received"} <= actions
    # The psychologist's note stays with her; B's own data and the other association's
    # are not there; nor is B's code (only the nature of the link).
    for absent in (A_NOTE, B_FIRST, B_SUMMARY, built.b.code, "Bêta-Canari"):
        assert absent not in body, absent
    with schema_context(world.acme.schema_name):
        entry = AuditLog.objects.get(action="privacy.export")
    assert (entry.object_type, entry.object_id, entry.detail) == (
        "case", str(built.a.pk), {"format": "json"})
    with schema_context(world.beta.schema_name):
        assert not AuditLog.objects.filter(action="privacy.export").exists()


def test_the_printable_page_is_french_and_audited(world: World) -> None:
    built = _build(world)
    client = _reauthenticated(world.acme_members["coordinator"], world)
    response = client.get(f"/dossiers/{built.a.pk}/rgpd/export/")
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (A_FIRST, A_TOWN, A_SUMMARY, A_PARENT[1], A_DESCRIPTION, A_COMMENT,
                     "Une note clinique du psychologue existe", "privacy-print.css",
                     'lang="fr"', "<h2 id=\"s-consents\">Consentements</h2>"):
        assert expected in page, expected
    assert A_NOTE not in page
    assert B_SUMMARY not in page
    with schema_context(world.acme.schema_name):
        assert AuditLog.objects.filter(action="privacy.export", detail__format="html",
                                       actor_id=world.acme_members["coordinator"].pk
                                       ).count() == 1


def test_the_case_page_links_to_the_privacy_page_for_admins_only(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"],
                     staff=[world.acme_members["psychologist"]])
    link = f"/dossiers/{case.pk}/rgpd/".encode()
    assert link in signed_in(world.acme_members["admin"], world.acme).get(
        f"/dossiers/{case.pk}/").content
    assert link not in signed_in(world.acme_members["psychologist"], world.acme).get(
        f"/dossiers/{case.pk}/").content


def test_exports_and_erasure_ask_to_sign_in_again_and_write_nothing_before(
        world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"], first_name=A_FIRST)
    client = signed_in(world.acme_members["admin"], world.acme)
    # A sign-in less than 5 minutes old counts as proof (tenants/accounts/security.py): age it.
    age_proofs(client, world.acme.schema_name)
    for path in ("rgpd/export.json", "rgpd/export/", "rgpd/anonymiser/"):
        response = client.get(f"/dossiers/{case.pk}/{path}")
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/reauthenticate/"), path
        assert A_FIRST.encode() not in response.content
    response = client.post(f"/dossiers/{case.pk}/rgpd/anonymiser/",
                           {"confirmation": case.code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action__startswith="privacy.").exists()
        assert Case.objects.get(pk=case.pk).first_name == A_FIRST


@pytest.mark.parametrize(("role", "export", "erase"), [
    ("admin", 200, 200), ("coordinator", 200, 404), ("psychologist", 404, 404),
    ("listener", 404, 404), ("volunteer", 404, 404), ("read_only", 404, 404),
])
def test_who_may_export_and_erase(world: World, role: str, export: int, erase: int) -> None:
    user = world.acme_members[role]
    case = make_case(world.acme, world.acme_members["admin"], first_name=A_FIRST,
                     staff=[user])
    with schema_context(world.acme.schema_name):
        case_services.case_grant(actor=actor(world.acme_members["admin"], "admin"),
                                 case=case, user_id=user.pk, can_edit=True)
    client = _reauthenticated(user, world)
    for path in ("rgpd/", "rgpd/export.json", "rgpd/export/"):
        response = client.get(f"/dossiers/{case.pk}/{path}")
        assert response.status_code == export, (role, path)
        if export != 200:
            assert A_FIRST.encode() not in response.content
    assert client.get(f"/dossiers/{case.pk}/rgpd/anonymiser/").status_code == erase
    response = client.post(f"/dossiers/{case.pk}/rgpd/anonymiser/", {"confirmation": "x"})
    assert response.status_code == (400 if erase == 200 else 404)


@pytest.fixture
def coordinator() -> User:
    user = User.objects.create_user("coord@reseau.example", password=PASSWORD)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=user)
    return user


@pytest.mark.parametrize("who", ["anonymous", "beta_admin", "network_coordinator"])
def test_outsiders_get_nothing(world: World, coordinator: User, who: str) -> None:
    case = make_case(world.acme, world.acme_members["admin"], first_name=A_FIRST)
    users = {"beta_admin": world.beta_admin, "network_coordinator": coordinator}
    client = host_client(world.acme) if who == "anonymous" else signed_in(users[who],
                                                                          world.acme)
    for path in ("rgpd/", "rgpd/export.json", "rgpd/export/", "rgpd/anonymiser/"):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/dossiers/{case.pk}/{path}",
                                               {"confirmation": case.code})
            assert response.status_code == (302 if who == "anonymous" else 403), path
            if who == "anonymous":
                assert response["Location"].startswith("/accounts/login/")
            assert A_FIRST.encode() not in response.content
    with schema_context(world.acme.schema_name):
        assert Case.objects.get(pk=case.pk).first_name == A_FIRST
        assert not AuditLog.objects.filter(action__startswith="privacy.").exists()


# --- erasure ---------------------------------------------------------------------------


def _erase_through_the_pages(client: Client, case: Case) -> Any:
    url = f"/dossiers/{case.pk}/rgpd/anonymiser/"
    first = client.post(url, {"confirmation": case.code})
    assert first.status_code == 200
    token = first.context["token"]
    return client.post(url, {"confirmation": case.code, "token": token, "irreversible": "1"})


def _tracking_columns() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'a_acme' AND table_name LIKE 'tracking%%'
                 AND data_type IN ('character varying', 'text', 'jsonb', 'json', 'bytea',
                                   'ARRAY')
               ORDER BY table_name, ordinal_position""")
        return list(cursor.fetchall())


def _found_anywhere(secrets: list[str]) -> list[str]:
    """Every text, JSON, array and binary column of every tracking table of the schema,
    raw; then every encrypted field decrypted (ciphertext never matches a plain search)."""
    hits = []
    patterns = [f"%{s}%" for s in secrets]
    columns = _tracking_columns()
    assert len(columns) > 40
    with connection.cursor() as cursor:
        for table, column, data_type in columns:
            value = (f"encode(\"{column}\", 'escape')" if data_type == "bytea"
                     else f"\"{column}\"::text")
            cursor.execute(f'SELECT count(*) FROM "a_acme"."{table}" '
                           f"WHERE {value} ILIKE ANY(%s)", [patterns])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    from django.apps import apps

    from tracking.models import EncryptedCharField, EncryptedTextField

    for model in apps.get_app_config("tracking").get_models():
        encrypted = [f.name for f in model._meta.fields
                     if isinstance(f, EncryptedCharField | EncryptedTextField)]
        rows = model._default_manager.values_list(*encrypted) if encrypted else []
        for values in rows:
            for name, value in zip(encrypted, values, strict=True):
                if any(s.lower() in str(value or "").lower() for s in secrets):
                    hits.append(f"{model.__name__}.{name}")
    return hits


def test_erasure_removes_every_personal_value_and_keeps_the_others(world: World) -> None:
    built = _build(world)
    client = _reauthenticated(world.acme_members["admin"], world)
    with schema_context(world.acme.schema_name):
        assert len(_found_anywhere(A_SECRETS)) > 10  # the scan sees them before
        audit_before = AuditLog.objects.count()
    response = _erase_through_the_pages(client, built.a)
    assert response.status_code == 302
    assert response["Location"] == f"/dossiers/{built.a.pk}/"
    with schema_context(world.acme.schema_name):
        assert _found_anywhere([*A_SECRETS, built.a_code]) == []
        a = Case.objects.get(pk=built.a.pk)  # kept: an anonymous statistical record
        assert (a.first_name, a.town, a.external_id, a.custom) == ("", "", None, {})
        assert a.code == f"ANON-{a.pk}"
        assert (a.gender, a.department, a.birth_year) == ("girl", "93", built.a.birth_year)
        assert a.detection_source is not None
        assert a.consents.count() == 1
        assert a.attendances.count() == 1
        assert a.assessments.count() == 1
        assert Interaction.objects.filter(cases=a).count() == 2
        assert Referral.objects.filter(case=a).exists()
        assert StageChange.objects.filter(case=a).count() >= 2
        # B's own data and the shared parent are untouched; the parent is no longer linked
        # to A (it would tell who A was).
        b = Case.objects.get(pk=built.b.pk)
        assert (b.first_name, b.code) == (B_FIRST, built.b.code)
        assert Interaction.objects.get(pk=built.b_interaction.pk).summary == B_SUMMARY
        shared = Contact.objects.get(pk=built.shared_contact.pk)
        assert (shared.first_name, shared.last_name, shared.phone) == SHARED_PARENT
        assert CaseContact.objects.filter(contact=shared, case=b).exists()
        assert not CaseContact.objects.filter(contact=shared, case=a).exists()
        shared_interaction = Interaction.objects.get(pk=built.shared_interaction.pk)
        assert set(shared_interaction.cases.values_list("pk", flat=True)) == {a.pk, b.pk}
        assert shared_interaction.summary.startswith("[texte retiré")
        assert not CaseLink.objects.filter(from_case=a).exists()
        assert not CaseLink.objects.filter(to_case=a).exists()
        pending = ImportRun.objects.get(pk=built.pending_import.pk)
        assert (bytes(pending.content), pending.status) == (b"", "failed")
        # Logged once, with counts only; every earlier audit entry is still there.
        entry = AuditLog.objects.get(action="privacy.anonymise")
        assert entry.actor_id == world.acme_members["admin"].pk
        assert entry.object_id == str(a.pk)
        assert entry.detail == {"contacts": 1, "shared_contacts_unlinked": 1,
                                "interactions": 2, "shared_interactions": 1,
                                "links_removed": 2, "import_runs": 2,
                                "documents_destroyed": 0, "milestone_notes": 0}
        assert AuditLog.objects.count() == audit_before + 1
        assert CaseEvent.objects.filter(case=a, kind="anonymised").count() == 1
    # The case page still opens, without a name.
    page = client.get(f"/dossiers/{built.a.pk}/")
    assert page.status_code == 200
    assert A_FIRST.encode() not in page.content
    assert "Données personnelles effacées (RGPD)" in page.content.decode()


def test_erasure_refuses_without_both_confirmations_and_changes_nothing(
        world: World) -> None:
    built = _build(world)
    other = make_case(world.acme, world.acme_members["admin"])
    client = _reauthenticated(world.acme_members["admin"], world)
    url = f"/dossiers/{built.a.pk}/rgpd/anonymiser/"

    def state() -> list[Any]:
        with schema_context(world.acme.schema_name):
            a = Case.objects.get(pk=built.a.pk)
            return [a.first_name, a.code, a.version, AuditLog.objects.filter(
                action="privacy.anonymise").count(), CaseContact.objects.count()]

    before = state()
    wrong_first = client.post(url, {"confirmation": "2020-9999"})
    assert wrong_first.status_code == 400
    assert "ne correspond pas" in wrong_first.content.decode()
    # The right code once only leads to the second confirmation: nothing is erased yet.
    first = client.post(url, {"confirmation": built.a_code, "irreversible": "1"})
    assert first.status_code == 200
    assert first.context["step"] == 2
    assert "Seconde confirmation" in first.content.decode()
    assert state() == before
    token = first.context["token"]
    other_token = client.post(f"/dossiers/{other.pk}/rgpd/anonymiser/",
                              {"confirmation": other.code}).context["token"]
    for data in (
        {"confirmation": built.a_code, "token": "forged", "irreversible": "1"},
        {"confirmation": built.a_code, "token": other_token, "irreversible": "1"},
        {"confirmation": built.a_code, "token": token},  # box not ticked
        {"confirmation": "2020-9999", "token": token, "irreversible": "1"},
    ):
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert "Rien n&#x27;a été effacé" in response.content.decode(), data
        assert state() == before
    with schema_context(world.acme.schema_name), pytest.raises(ApplicationError):
        case_anonymise(actor=actor(world.acme_members["admin"], "admin"), case=built.a,
                       confirmation=built.a_code, confirmation_again="")
    assert state() == before


def test_erasure_is_all_or_nothing(world: World) -> None:
    """The last step fails (the anonymous code is taken): every earlier step is undone."""
    built = _build(world)
    with schema_context(world.acme.schema_name):
        Case.objects.filter(pk=built.b.pk).update(code=f"ANON-{built.a.pk}")
        before = _found_anywhere(A_SECRETS)
        assert len(before) > 10
        with pytest.raises(IntegrityError):
            case_anonymise(actor=actor(world.acme_members["admin"], "admin"), case=built.a,
                           confirmation=built.a_code, confirmation_again=built.a_code)
        assert _found_anywhere(A_SECRETS) == before
        a = Case.objects.get(pk=built.a.pk)
        assert (a.first_name, a.code) == (A_FIRST, built.a_code)
        assert CaseLink.objects.filter(from_case=a).exists()
        assert CaseContact.objects.filter(case=a).count() == 2
        assert not CaseEvent.objects.filter(kind="anonymised").exists()
        assert not AuditLog.objects.filter(action="privacy.anonymise").exists()


def test_erasure_twice_is_refused(world: World) -> None:
    built = _build(world)
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context(world.acme.schema_name):
        a = case_anonymise(actor=admin, case=built.a, confirmation=built.a_code,
                           confirmation_again=built.a_code)
        with pytest.raises(ApplicationError, match="déjà anonymisé"):
            case_anonymise(actor=admin, case=a, confirmation=a.code, confirmation_again=a.code)
        with pytest.raises(ApplicationError):
            case_anonymise(actor=actor(world.acme_members["coordinator"], "coordinator"),
                           case=built.b, confirmation=built.b.code,
                           confirmation_again=built.b.code)


def test_stage_history_stays_append_only_outside_an_erasure(world: World) -> None:
    built = _build(world)
    with schema_context(world.acme.schema_name):
        change = StageChange.objects.filter(case=built.a).exclude(comment="").get()
        for sql, params in (
            ("UPDATE tracking_stagechange SET comment = '' WHERE id = %s", [change.pk]),
            ("DELETE FROM tracking_stagechange WHERE id = %s", [change.pk]),
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute(sql, params)
        # Even inside an erasure of this case only blanking the comment is allowed, and
        # only for the case being erased.
        for case_id, sql in (
            (built.a.pk, "UPDATE tracking_stagechange SET comment = '', at = now() "
                         "WHERE id = %s"),
            (built.b.pk, "UPDATE tracking_stagechange SET comment = '' WHERE id = %s"),
        ):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('relier.erasure_case', %s, true)",
                               [str(case_id)])
                with pytest.raises(DatabaseError), transaction.atomic():
                    cursor.execute(sql, [change.pk])
        assert StageChange.objects.get(pk=change.pk).comment == A_COMMENT


# --- published figures -------------------------------------------------------------------


def _snapshot(of: Network) -> list[Any]:
    return [list(PublishedCell.objects.filter(network=of).order_by(
        "indicator", "period", "row", "column").values_list(
        "indicator", "period", "row", "column", "value", "reason")),
        list(PublishedStatistic.objects.filter(network=of).order_by(
            "indicator", "period", "key").values_list("indicator", "period", "key", "value",
                                                      "reason"))]


def _own_figures() -> dict[str, Any]:
    figures = activity_figures(period_kind="school", year=YEAR)
    # The town is erased (with a birth year and a gender it could single someone out):
    # only the by-town breakdown of the association's own page may move.
    return {k: v for k, v in vars(figures).items() if k != "by_town"}


def test_published_figures_stay_exactly_as_they_were(
        members: list[Member], network: Network) -> None:  # noqa: F811
    first = members[0]
    with schema_context(first.association.schema_name):
        case = Case.objects.order_by("pk").first()
        assert case is not None
    log_interaction(first.association, first.admin, "admin", case, summary=A_SUMMARY)
    for member in members:
        _contribute(member)
    network_publish(network)
    published = _snapshot(network)
    assert any(v for *_, v, _r in published[0])
    with schema_context(first.association.schema_name):
        own = _own_figures()
        case_anonymise(actor=actor(first.admin, "admin"), case=case, confirmation=case.code,
                       confirmation_again=case.code)
        assert _own_figures() == own
    assert _snapshot(network) == published  # nothing public touched by the erasure
    for member in members:  # and recomputing every contribution gives the same figures
        _contribute(member)
    network_publish(network)
    assert _snapshot(network) == published
