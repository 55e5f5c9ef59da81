"""Opening and editing cases: codes, validation in French, nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.factories import make_case
from tracking.models import AuditLog, Case, CaseEvent

pytestmark = pytest.mark.django_db


def _counts(world: World) -> tuple[int, int, int]:
    with schema_context(world.acme.schema_name):
        return Case.objects.count(), CaseEvent.objects.count(), AuditLog.objects.count()


def test_case_codes_follow_the_year(world: World) -> None:
    admin = world.acme_members["admin"]
    year = timezone.localdate().year
    first = make_case(world.acme, admin)
    second = make_case(world.acme, admin)
    assert (first.code, second.code) == (f"{year}-0001", f"{year}-0002")
    beta = make_case(world.beta, world.beta_admin)
    assert beta.code == f"{year}-0001"  # each association numbers its own cases


def test_first_name_is_encrypted_at_rest(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"], first_name="Prénom-Secret")
    with connection.cursor() as cursor:
        cursor.execute('SELECT first_name FROM "a_acme".tracking_case WHERE id = %s', [case.pk])
        stored = cursor.fetchone()[0]
    assert "Prénom-Secret" not in stored
    with schema_context("a_acme"):
        assert Case.objects.get(pk=case.pk).first_name == "Prénom-Secret"


def test_create_case_through_the_page(world: World) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/dossiers/nouveau/", {
        "first_name": "Lina", "birth_year": timezone.localdate().year - 12, "gender": "girl",
        "town": "Bobigny", "department": "93", "role": "targeted",
    })
    assert response.status_code == 302
    with schema_context("a_acme"):
        case = Case.objects.get()
        assert (case.first_name, case.town, case.department) == ("Lina", "Bobigny", "93")
        assert CaseEvent.objects.filter(case=case, kind="opened").count() == 1
        assert AuditLog.objects.filter(action="case.create", object_id=str(case.pk)).count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("birth_year", 1950, "L&#x27;année de naissance doit être comprise entre"),
    ("birth_year", 2100, "L&#x27;année de naissance doit être comprise entre"),
    ("opened_on", "2999-01-01", "ne peut pas être dans le futur"),
    ("first_name", "x" * 81, "au plus 80 caractères"),
])
def test_bad_input_is_refused_in_french_and_nothing_saved(
    world: World, field: str, value: object, message: str
) -> None:
    before = _counts(world)
    client = signed_in(world.acme_members["coordinator"], world.acme)
    data = {"role": "targeted", "town": "Bobigny", field: value}
    response = client.post("/dossiers/nouveau/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts(world) == before


def test_bad_input_in_english_when_chosen(world: World) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/dossiers/nouveau/", {"role": "targeted", "birth_year": 1950},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "birth year" in response.content.decode().lower()


def test_concurrent_edit_gets_a_conflict_and_loses_nothing(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"], town="Pantin")
    first = signed_in(world.acme_members["admin"], world.acme)
    second = signed_in(world.acme_members["coordinator"], world.acme)
    form = {"role": "targeted", "version": case.version}
    assert first.post(f"/dossiers/{case.pk}/modifier/", {**form, "town": "Aubervilliers"}
                      ).status_code == 302
    response = second.post(f"/dossiers/{case.pk}/modifier/", {**form, "town": "Saint-Denis"})
    assert response.status_code == 400
    assert "modifié par quelqu&#x27;un d&#x27;autre" in response.content.decode()
    with schema_context("a_acme"):
        assert Case.objects.get(pk=case.pk).town == "Aubervilliers"


def test_interaction_in_the_future_is_refused(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    client = signed_in(world.acme_members["admin"], world.acme)
    with schema_context("a_acme"):
        from tracking.models import Interaction, PicklistItem

        kind = PicklistItem.objects.get(kind="interaction_kind", code="call").pk
    future = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/dossiers/{case.pk}/echanges/", {
        "kind": kind, "channel": "phone", "occurred_at": future})
    assert response.status_code == 400
    assert "ne peut pas être dans le futur" in response.content.decode()
    with schema_context("a_acme"):
        assert not Interaction.objects.exists()


def test_close_before_opening_is_refused(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    client = signed_in(world.acme_members["admin"], world.acme)
    with schema_context("a_acme"):
        from tracking.models import PicklistItem

        reason = PicklistItem.objects.get(kind="closing_reason", code="resolved").pk
    before = case.opened_on - timedelta(days=1)
    response = client.post(f"/dossiers/{case.pk}/cloturer/", {
        "closed_on": before.isoformat(), "closing_reason": reason, "version": case.version},
        follow=True)
    assert "La date de fin ne peut pas précéder la date de début." in response.content.decode()
    with schema_context("a_acme"):
        assert Case.objects.get(pk=case.pk).closed_on is None


def test_reading_a_case_is_audited(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    client = signed_in(world.acme_members["coordinator"], world.acme)
    client.get(f"/dossiers/{case.pk}/", REMOTE_ADDR="203.0.113.7")
    with schema_context("a_acme"):
        entry = AuditLog.objects.filter(action="case.read").get()
    assert (entry.actor_id, entry.object_id, entry.ip_address) == (
        world.acme_members["coordinator"].pk, str(case.pk), "203.0.113.7")


def test_audit_log_is_append_only(world: World) -> None:
    from django.db import DatabaseError, transaction

    make_case(world.acme, world.acme_members["admin"])
    with schema_context("a_acme"):
        entry = AuditLog.objects.first()
        assert entry is not None
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=entry.pk).update(action="tampered")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=entry.pk).delete()
        assert AuditLog.objects.get(pk=entry.pk).action == "case.create"


def test_case_list_query_count_does_not_grow(world: World, django_assert_max_num_queries) -> None:
    admin = world.acme_members["admin"]
    for _ in range(3):
        make_case(world.acme, admin)
    client = signed_in(admin, world.acme)
    client.get("/dossiers/")
    with django_assert_max_num_queries(12) as few:
        assert client.get("/dossiers/").status_code == 200
    for _ in range(20):
        make_case(world.acme, admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/dossiers/").status_code == 200


def test_consent_grant_and_link_from_the_case_page(world: World) -> None:
    from guardian.shortcuts import get_perms

    from tracking.models import CaseLink, CaseUserObjectPermission, Consent

    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin)
    other = make_case(world.acme, admin)
    client = signed_in(admin, world.acme)
    client.post(f"/dossiers/{case.pk}/consentement/", {
        "given_by": "parent", "given_on": timezone.localdate().isoformat(),
        "follow_up": "on", "network_statistics": "on"})
    listener = world.acme_members["listener"]
    client.post(f"/dossiers/{case.pk}/acces/", {"user": listener.pk, "can_edit": "on"})
    client.post(f"/dossiers/{case.pk}/liens/", {"code": other.code, "note": "auteur"})
    with schema_context("a_acme"):
        consent = Consent.objects.get(case=case)
        assert (consent.given_by, consent.network_statistics, consent.exchange_groups) == (
            "parent", True, False)
        grants = CaseUserObjectPermission.objects.filter(content_object=case)
        assert {(g.user_id, g.permission.codename) for g in grants} == {
            (listener.pk, "view_case"), (listener.pk, "change_case")}
        assert set(get_perms(listener, case)) == {"view_case", "change_case"}
        assert CaseLink.objects.get(from_case=case).to_case_id == other.pk
    assert signed_in(listener, world.acme).get(f"/dossiers/{case.pk}/modifier/"
                                               ).status_code == 200


def test_listener_cannot_grant_access(world: World) -> None:
    from tracking.models import CaseUserObjectPermission

    listener = world.acme_members["listener"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[listener])
    response = signed_in(listener, world.acme).post(
        f"/dossiers/{case.pk}/acces/", {"user": listener.pk, "can_edit": "on"})
    assert response.status_code == 404
    with schema_context("a_acme"):
        assert not CaseUserObjectPermission.objects.exists()


def test_future_consent_is_refused(world: World) -> None:
    from tracking.models import Consent

    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin)
    signed_in(admin, world.acme).post(f"/dossiers/{case.pk}/consentement/", {
        "given_by": "parent", "given_on": "2999-01-01"})
    with schema_context("a_acme"):
        assert not Consent.objects.exists()


def test_editing_a_case_keeps_its_archived_list_items(world: World) -> None:
    from tracking.models import PicklistItem

    with schema_context("a_acme"):
        programme = PicklistItem.objects.get(kind="programme", code="back_to_work")
        situation = PicklistItem.objects.get(kind="situation_type", code="bullying")
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin, programme=programme, situation_types=[situation])
    with schema_context("a_acme"):
        PicklistItem.objects.filter(pk__in=[programme.pk, situation.pk]).update(
            is_archived=True)
    client = signed_in(admin, world.acme)
    form = client.get(f"/dossiers/{case.pk}/modifier/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    data["programme"] = programme.pk
    data["situation_types"] = [situation.pk]
    data["town"] = "Noisy-le-Sec"
    data["version"] = case.version
    data.pop("opened_on", None)
    response = client.post(f"/dossiers/{case.pk}/modifier/", data)
    assert response.status_code == 302
    with schema_context("a_acme"):
        saved = Case.objects.get(pk=case.pk)
        assert saved.programme_id == programme.pk
        assert list(saved.situation_types.values_list("pk", flat=True)) == [situation.pk]
        assert saved.town == "Noisy-le-Sec"
    # an archived item the case does not hold stays refused
    other = make_case(world.acme, admin)
    response = client.post(f"/dossiers/{other.pk}/modifier/", {
        "role": "targeted", "programme": programme.pk, "version": other.version})
    assert response.status_code == 400
