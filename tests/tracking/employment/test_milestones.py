"""The employment programme's milestones: recorded on a case in the programme only, in a
sensible order, audited, on the case page and its timeline; refused in French with nothing
saved; out of reach of volunteers, other associations and network coordinators; counted
in the figures; their notes encrypted, exported and erased with the person's data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.factories import actor, item, make_case
from tracking.cases.services import case_grant, consent_record
from tracking.employment.services import add_months, milestone_record
from tracking.figures.activity import activity_figures, period_of
from tracking.lists.services import picklist_item_archive, picklist_item_create
from tracking.models import AuditLog, Case, CaseEvent, EmploymentMilestone
from tracking.privacy.services import anonymise_locked, case_export
from tracking.school_year import school_year_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOTE = "Note-canari-emploi : entretien chez un garagiste"


def _case(world: World, *, programme: str | None = "back_to_work",
          staff: list[User] | None = None, first_name: str = "Yanis") -> Case:
    with schema_context("a_acme"):
        chosen = item("programme", programme) if programme else None
    return make_case(world.acme, world.acme_members["admin"], programme=chosen, staff=staff,
                     first_name=first_name, birth_year=TODAY.year - 20,
                     opened_on=TODAY - timedelta(days=400))


def _record(world: World, case: Case, code: str, day: date, note: str = "",
            role: str = "admin") -> EmploymentMilestone:
    with schema_context("a_acme"):
        return milestone_record(actor=actor(world.acme_members[role], role), case=case,
                                kind=item("employment_milestone", code), reached_on=day,
                                note=note)


def _kind_id(code: str) -> int:
    with schema_context("a_acme"):
        return item("employment_milestone", code).pk


def _count() -> int:
    with schema_context("a_acme"):
        return EmploymentMilestone.objects.count()


def test_the_new_list_has_its_network_codes(world: World) -> None:
    with schema_context("a_acme"):
        from tracking.models import PicklistItem

        items = list(PicklistItem.objects.filter(kind="employment_milestone")
                     .order_by("position").values_list("code", "network_code"))
    assert items == [("orientation", "orientation"), ("first_interview", "first_interview"),
                     ("training", "training"), ("job_or_internship", "job_or_internship"),
                     ("in_post_3_months", "in_post_3_months"),
                     ("in_post_6_months", "in_post_6_months")]


def test_a_milestone_recorded_on_the_page_is_listed_audited_and_in_the_timeline(
        world: World) -> None:
    case = _case(world)
    _record(world, case, "orientation", TODAY - timedelta(days=200))
    client = signed_in(world.acme_members["coordinator"], world.acme)
    day = TODAY - timedelta(days=100)
    response = client.post(f"/dossiers/{case.pk}/emploi/", {
        "kind": _kind_id("job_or_internship"), "reached_on": day.isoformat(), "note": NOTE})
    assert response.status_code == 302
    assert response["Location"] == f"/dossiers/{case.pk}/#emploi-title"
    page = client.get(f"/dossiers/{case.pk}/").content.decode()
    section = page[page.index('id="emploi"'):page.index("</section>", page.index('id="emploi"'))]
    assert section.index("Orientation par l&#x27;agence pour l&#x27;emploi") < section.index(
        "Emploi ou stage")
    assert NOTE in section
    assert f'action="/dossiers/{case.pk}/emploi/"' in section
    assert "Parcours vers l'emploi : Emploi ou stage" in page  # the timeline
    with schema_context("a_acme"):
        milestone = EmploymentMilestone.objects.get(kind__code="job_or_internship")
        assert (milestone.case_id, milestone.reached_on, milestone.note) == (case.pk, day, NOTE)
        assert milestone.recorded_by_id == world.acme_members["coordinator"].pk
        event = CaseEvent.objects.get(case=case, kind="employment_milestone",
                                      detail__milestone="Emploi ou stage")
        assert event.detail == {"milestone": "Emploi ou stage", "reached_on": day.isoformat()}
        entry = AuditLog.objects.get(action="employment.milestone",
                                     detail__milestone="job_or_internship")
        assert entry.actor_id == world.acme_members["coordinator"].pk
        assert entry.object_id == str(case.pk)
        assert NOTE not in str(entry.detail)
        assert NOTE not in str(event.detail)
        # Encrypted at rest: the column does not hold the text.
        with connection.cursor() as cursor:
            cursor.execute("SELECT note FROM tracking_employmentmilestone WHERE id = %s",
                           [milestone.pk])
            stored = cursor.fetchone()[0]
        assert stored
        assert "canari" not in str(stored)


def test_the_section_is_only_for_cases_in_the_programme(world: World) -> None:
    other = _case(world, programme="individual")
    client = signed_in(world.acme_members["admin"], world.acme)
    assert 'id="emploi"' not in client.get(f"/dossiers/{other.pk}/").content.decode()
    response = client.post(f"/dossiers/{other.pk}/emploi/", {
        "kind": _kind_id("orientation"), "reached_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert "ne suit pas le programme de retour à l&#x27;emploi" in response.content.decode()
    assert _count() == 0
    inside = _case(world)
    assert 'id="emploi"' in client.get(f"/dossiers/{inside.pk}/").content.decode()


def test_a_renamed_programme_item_or_one_mapped_to_the_network_code_counts(
        world: World) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context("a_acme"):
        own = picklist_item_create(actor=admin, kind="programme",
                                   label="Jeunes en recherche d'emploi",
                                   network_code="back_to_work")
    case = make_case(world.acme, world.acme_members["admin"], programme=own,
                     birth_year=TODAY.year - 20)
    _record(world, case, "orientation", TODAY)
    assert _count() == 1


@pytest.mark.parametrize(("case_name", "data", "message"), [
    ("future", {"kind": "orientation", "reached_on": "+1"},
     "La date de l&#x27;étape ne peut pas être dans le futur."),
    ("no_date", {"kind": "orientation", "reached_on": ""}, "Ce champ est obligatoire."),
    ("bad_date", {"kind": "orientation", "reached_on": "31/02/2025"},
     "Saisissez une date valide."),
    ("in_post_without_job", {"kind": "in_post_3_months", "reached_on": "0"},
     "ne peut être noté qu&#x27;après une étape « emploi ou stage »"),
    ("in_post_too_early", {"kind": "in_post_6_months", "reached_on": "-30"},
     "se note au plus tôt 6 mois après le début de l&#x27;emploi ou du stage"),
    ("twice_orientation", {"kind": "orientation", "reached_on": "-5"},
     "est déjà noté pour ce dossier"),
    ("same_training_same_day", {"kind": "training", "reached_on": "-150"},
     "est déjà noté à cette date pour ce dossier"),
    ("note_too_long", {"kind": "training", "reached_on": "0", "note": "x" * 1001},
     "1000 caractères"),
    ("control_characters", {"kind": "training", "reached_on": "0", "note": "a\x07b"},
     "caractères de contrôle"),
    ("not_a_milestone", {"kind": "programme:individual", "reached_on": "0"},
     "Sélectionnez un choix valide."),
    ("unknown_kind", {"kind": "999999", "reached_on": "0"}, "Sélectionnez un choix valide."),
])
def test_bad_milestones_are_refused_in_french_and_save_nothing(
        world: World, case_name: str, data: dict[str, Any], message: str) -> None:
    case = _case(world)
    job_day = TODAY - timedelta(days=160)
    _record(world, case, "orientation", TODAY - timedelta(days=200))
    _record(world, case, "training", TODAY - timedelta(days=150))
    if case_name == "in_post_too_early":
        _record(world, case, "job_or_internship", job_day)
    before = _count()
    events = CaseEvent.objects.count
    with schema_context("a_acme"):
        events_before = events()
    kind = data["kind"]
    if kind.startswith("programme:"):
        with schema_context("a_acme"):
            kind = item("programme", kind.split(":")[1]).pk
    elif not kind.isdigit():
        kind = _kind_id(kind)
    day = data["reached_on"]
    if day and day.lstrip("+-").isdigit():
        day = (TODAY + timedelta(days=int(day))).isoformat()
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(f"/dossiers/{case.pk}/emploi/",
                           {"kind": kind, "reached_on": day, "note": data.get("note", "")})
    assert response.status_code == 400, case_name
    body = response.content.decode()
    assert message in body, case_name
    assert "L'étape n'a pas été enregistrée" in body
    assert _count() == before
    with schema_context("a_acme"):
        assert events() == events_before


def test_archived_types_are_refused_and_leave_the_form(world: World) -> None:
    case = _case(world)
    with schema_context("a_acme"):
        training = item("employment_milestone", "training")
        picklist_item_archive(actor=actor(world.acme_members["admin"], "admin"), item=training)
        with pytest.raises(ApplicationError, match="pas disponible dans la liste"):
            milestone_record(actor=actor(world.acme_members["admin"], "admin"), case=case,
                             kind=training, reached_on=TODAY)
    page = signed_in(world.acme_members["admin"], world.acme).get(f"/dossiers/{case.pk}/")
    assert f'value="{training.pk}"' not in page.content.decode()
    assert _count() == 0


def test_still_in_post_follows_the_job_by_three_and_six_months(world: World) -> None:
    case = _case(world)
    start = TODAY - timedelta(days=250)
    _record(world, case, "job_or_internship", start)
    _record(world, case, "in_post_3_months", add_months(start, 3))
    _record(world, case, "in_post_6_months", add_months(start, 6))
    with pytest.raises(ApplicationError, match="déjà noté pour l'emploi ou le stage"):
        _record(world, case, "in_post_3_months", add_months(start, 4))
    # Trainings and jobs may come back; a new job opens its own "still in post".
    _record(world, case, "training", TODAY - timedelta(days=120))
    _record(world, case, "training", TODAY - timedelta(days=20))
    _record(world, case, "job_or_internship", TODAY - timedelta(days=95))
    _record(world, case, "in_post_3_months", TODAY)
    assert _count() == 7
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


@pytest.mark.parametrize(("role", "assigned", "may"), [
    ("admin", False, True), ("coordinator", False, True), ("psychologist", True, True),
    ("psychologist", False, False), ("listener", True, True), ("listener", False, False),
    ("volunteer", True, False), ("read_only", False, False),
])
def test_who_may_record_a_milestone(world: World, role: str, assigned: bool,
                                    may: bool) -> None:
    member = world.acme_members[role]
    case = _case(world, staff=[member] if assigned else [])
    client = signed_in(member, world.acme)
    response = client.post(f"/dossiers/{case.pk}/emploi/", {
        "kind": _kind_id("orientation"), "reached_on": TODAY.isoformat()})
    assert response.status_code == (302 if may else 404)
    assert _count() == (1 if may else 0)
    assert client.get(f"/dossiers/{case.pk}/emploi/").status_code == (200 if may else 404)


def test_a_reader_granted_the_case_sees_the_milestones_without_the_form(world: World) -> None:
    reader = world.acme_members["read_only"]
    case = _case(world)
    _record(world, case, "orientation", TODAY, note=NOTE)
    with schema_context("a_acme"):
        case_grant(actor=actor(world.acme_members["admin"], "admin"), case=case,
                   user_id=reader.pk, can_edit=False)
    page = signed_in(reader, world.acme).get(f"/dossiers/{case.pk}/").content.decode()
    assert 'id="emploi"' in page
    assert "Orientation par" in page
    assert f'action="/dossiers/{case.pk}/emploi/"' not in page


def test_volunteers_other_associations_and_coordinators_reach_nothing(world: World) -> None:
    case = _case(world, first_name="Canari-Emploi")
    _record(world, case, "orientation", TODAY, note=NOTE)
    coordinator = User.objects.create_user("coord-emploi@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau emploi"),
                            user=coordinator)
    kind = _kind_id("training")
    data = {"kind": kind, "reached_on": TODAY.isoformat(), "note": "intrus"}
    clients = {
        "volunteer": (signed_in(world.acme_members["volunteer"], world.acme), 404),
        "beta_admin_on_acme": (signed_in(world.beta_admin, world.acme), 403),
        "coordinator_on_acme": (signed_in(coordinator, world.acme), 403),
        "anonymous": (host_client(world.acme), 302),
    }
    for who, (client, status) in clients.items():
        responses = [client.get(f"/dossiers/{case.pk}/"),
                     client.get(f"/dossiers/{case.pk}/emploi/"),
                     client.post(f"/dossiers/{case.pk}/emploi/", data)]
        for response in responses:
            assert response.status_code == status, who
            assert NOTE.encode() not in response.content, who
            assert b"Canari-Emploi" not in response.content, who
    # On its own host, the other association has no such case.
    beta = signed_in(world.beta_admin, world.beta)
    assert beta.post(f"/dossiers/{case.pk}/emploi/", data).status_code == 404
    assert beta.get(f"/dossiers/{case.pk}/emploi/").status_code == 404
    assert _count() == 1
    with schema_context("a_beta"):
        assert EmploymentMilestone.objects.count() == 0
    # The platform site shows a coordinator nothing of it either.
    for path in ("/", "/reseaux/"):
        assert NOTE.encode() not in signed_in(coordinator).get(path).content


def test_the_figures_count_young_people_reaching_each_milestone(world: World) -> None:
    year = school_year_of(TODAY)
    period = period_of("school", year)
    cases = [_case(world, first_name=f"Jeune{i}") for i in range(3)]
    for case in cases:
        _record(world, case, "orientation", max(period.start, TODAY - timedelta(days=3)))
    _record(world, cases[0], "training", max(period.start, TODAY - timedelta(days=2)))
    _record(world, cases[0], "training", max(period.start, TODAY - timedelta(days=1)))
    _record(world, cases[1], "first_interview", period.start - timedelta(days=10))  # before
    with schema_context("a_acme"):
        figures = activity_figures(period_kind="school", year=year)
    rows = {row.label: row.count for row in figures.employment_milestones.rows}
    assert rows == {"Orientation par l'agence pour l'emploi": 3, "Formation": 1}
    client = signed_in(world.acme_members["admin"], world.acme)
    page = client.get("/chiffres/", {"period": "school", "year": str(year)}).content.decode()
    table = page[page.index("Parcours vers l&#x27;emploi : étapes franchies"):]
    table = table[:table.index("</table>")]
    assert "<th scope=\"row\">Formation</th>" in table
    assert ">1</td>" in table
    # The read-only role (a board member) sees these small counts hidden.
    hidden = signed_in(world.acme_members["read_only"], world.acme).get(
        "/chiffres/", {"period": "school", "year": str(year)}).content.decode()
    table = hidden[hidden.index("Parcours vers l&#x27;emploi : étapes franchies"):]
    table = table[:table.index("</table>")]
    assert "&lt; 11" in table
    assert ">3</td>" not in table
    csv = client.get("/chiffres/export.csv", {"period": "school", "year": str(year)})
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Parcours vers l'emploi : étapes franchies" in text
    assert "Orientation par l'agence pour l'emploi;3" in text
    for case in cases:
        assert case.first_name not in text


def test_the_gdpr_export_holds_them_and_erasure_removes_the_notes(world: World) -> None:
    case = _case(world)
    _record(world, case, "orientation", TODAY, note=NOTE)
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context("a_acme"):
        exported = case_export(actor=admin, case=case, association_name="Acme")
        assert exported["parcours_vers_l_emploi"][0]["note"] == NOTE
        assert exported["parcours_vers_l_emploi"][0]["etape"].startswith("Orientation")
        locked = Case.objects.select_for_update().get(pk=case.pk)
        counts = anonymise_locked(locked, actor_id=admin.id)
        assert counts["milestone_notes"] == 1
        milestone = EmploymentMilestone.objects.get(case=case)
        assert milestone.note == ""
        assert milestone.reached_on == TODAY  # kept as an anonymous statistic


def test_a_consent_refusing_network_statistics_is_left_out_of_the_contribution(
        world: World) -> None:
    from tenants.networks.contribution import contributions

    year = school_year_of(TODAY)
    start = period_of("school", year).start
    day = max(start, TODAY - timedelta(days=1))
    admin = actor(world.acme_members["admin"], "admin")
    sharing, refusing = _case(world), _case(world)
    with schema_context("a_acme"):
        own = picklist_item_create(actor=admin, kind="employment_milestone",
                                   label="Atelier CV")  # no network code
        Case.objects.filter(pk=sharing.pk).update(gender="girl")
        consent_record(actor=admin, case=refusing, given_by="young_person", given_on=TODAY,
                       follow_up=True, exchange_groups=False, network_statistics=False)
        milestone_record(actor=admin, case=sharing, kind=own, reached_on=day)
    for case in (sharing, refusing):
        _record(world, case, "orientation", day)
    with schema_context("a_acme"):
        found = {(c.row, c.column): c.value for c in contributions(year)
                 if c.indicator == "employment_milestones"}
    assert found == {("orientation", "girl"): 1, ("unmapped", "girl"): 1}


def test_the_api_shows_the_milestones_on_the_case_never_their_notes(world: World) -> None:
    from tests.tracking.api.conftest import key_client, make_key

    case = _case(world)
    day = TODAY - timedelta(days=10)
    _record(world, case, "orientation", day, note=NOTE)
    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    body = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["employment_milestones"] == [{
        "id": body["employment_milestones"][0]["id"],
        "milestone": {"id": _kind_id("orientation"),
                      "label": "Orientation par l'agence pour l'emploi"},
        "network_code": "orientation", "reached_on": day.isoformat()}]
    listed = client.get("/api/v1/cases/", {"status": "all"})
    assert listed.status_code == 200
    for response in (listed, client.get(f"/api/v1/cases/{case.pk}/")):
        assert NOTE.encode() not in response.content
    # Another association's key reaches nothing of it.
    _other, beta_raw = make_key(world.beta, "cases:read")
    assert key_client(world.beta, beta_raw).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert key_client(world.acme, beta_raw).get(f"/api/v1/cases/{case.pk}/").status_code in (
        401, 403)
