"""GET /api/v1/groups/, /groups/{id}/, /groups/{id}/sessions/ and POST
/groups/{id}/sessions/{sid}/attendance/: each role reads the groups its pages show, writes
attendance where the session page lets it, through the same service; bad input saves
nothing. GET /api/v1/figures/: the figures page's figures for the caller's role."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.factories import actor, make_case
from tracking.figures.activity import activity_figures
from tracking.figures.shown import HIDDEN
from tracking.groups.services import attendance_record, group_create, group_session_create
from tracking.models import Attendance, AuditLog, Case, ExchangeGroup, GroupSession
from tracking.school_year import school_year_label, school_year_of

pytestmark = pytest.mark.django_db
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def groups(world: World) -> dict[str, Any]:
    """Group "Passions" facilitated by the volunteer (a session: Inès present, an archived
    case absent), group "Métiers" facilitated by nobody; a group of the other association."""
    admin = world.acme_members["admin"]
    ines = make_case(world.acme, admin, first_name="Inès")
    archived = make_case(world.acme, admin, first_name="Archivé-canari")
    noe = make_case(world.acme, admin, first_name="Noé")
    with schema_context(world.acme.schema_name):
        boss = actor(admin, "admin")
        passions = group_create(actor=boss, theme="Passions", weekday=2, capacity=2,
                                facilitator_ids=[world.acme_members["volunteer"].pk])
        metiers = group_create(actor=boss, theme="Métiers", weekday=3)
        session = group_session_create(actor=boss, group=passions,
                                       held_on=timezone.localdate() - timedelta(days=7))
        attendance_record(actor=boss, session=session,
                          statuses={ines.pk: "present", archived.pk: "absent"})
        Case.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    with schema_context(world.beta.schema_name):
        beta = group_create(actor=actor(world.beta_admin, "admin"), theme="Canari-Bêta",
                            weekday=1)
    return {"passions": passions, "metiers": metiers, "session": session, "ines": ines,
            "noe": noe, "archived": archived, "beta": beta}


ROLE_SEES = {
    "admin": {"Passions", "Métiers"}, "coordinator": {"Passions", "Métiers"},
    "psychologist": {"Passions", "Métiers"}, "listener": {"Passions", "Métiers"},
    "volunteer": {"Passions"}, "read_only": set(),
}


@pytest.mark.parametrize("role", list(ROLE_SEES))
def test_each_role_reads_the_groups_its_pages_show(world: World, groups: dict[str, Any],
                                                    role: str) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    listed = client.get("/api/v1/groups/", **JSON)
    assert {g["theme"] for g in listed.json()["results"]} == ROLE_SEES[role]
    assert b"Canari" not in listed.content
    for theme, group in (("Passions", groups["passions"]), ("Métiers", groups["metiers"])):
        detail = client.get(f"/api/v1/groups/{group.pk}/", **JSON)
        sessions = client.get(f"/api/v1/groups/{group.pk}/sessions/", **JSON)
        if theme in ROLE_SEES[role]:
            assert detail.json()["theme"] == theme
            assert (detail.json()["kind"], detail.json()["audience"]) == (
                "exchange", "young_people")
            assert sessions.status_code == 200
        else:
            problem_of(detail, 404)
            problem_of(sessions, 404)
        assert b"Canari" not in detail.content + sessions.content


def test_sessions_show_first_names_and_leave_archived_cases_out(
    world: World, groups: dict[str, Any],
) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    response = client.get(f"/api/v1/groups/{groups['passions'].pk}/sessions/", **JSON)
    (session,) = response.json()["results"]
    assert session["attendance"] == [{"case": groups["ines"].pk, "code": groups["ines"].code,
                                      "first_name": "Inès", "status": "present"}]
    assert b"Archiv" not in response.content
    again = client.get(f"/api/v1/groups/{groups['passions'].pk}/sessions/",
                       HTTP_IF_NONE_MATCH=response["ETag"], **JSON)
    assert again.status_code == 304


def _attendance_path(groups: dict[str, Any], group: str = "passions") -> str:
    return (f"/api/v1/groups/{groups[group].pk}/sessions/{groups['session'].pk}/attendance/")


def _statuses(world: World, groups: dict[str, Any]) -> dict[int, str]:
    with schema_context(world.acme.schema_name):
        return dict(Attendance.objects.filter(session=groups["session"]).values_list(
            "case_id", "status"))


@pytest.mark.parametrize(("role", "status"), [
    ("volunteer", 200), ("coordinator", 200), ("admin", 200), ("listener", 403),
    ("psychologist", 403), ("read_only", 404),
])
def test_members_record_attendance_where_the_session_page_lets_them(
    world: World, groups: dict[str, Any], role: str, status: int,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    before = _statuses(world, groups)
    response = client.post(_attendance_path(groups),
                           {"attendance": [{"case": groups["ines"].pk, "status": "excused"}]},
                           content_type="application/json", **JSON)
    assert response.status_code == status, response.content[:300]
    after = _statuses(world, groups)
    if status == 200:
        assert after == before | {groups["ines"].pk: "excused"}
        assert response.json()["attendance"][0]["status"] == "excused"
    else:
        assert after == before


def test_a_key_records_attendance_as_the_admin_who_made_it(
    world: World, groups: dict[str, Any],
) -> None:
    admin = world.acme_members["admin"]
    key, raw = make_key(world.acme, "cases:write", actor=actor(admin, "admin"))
    response = key_client(world.acme, raw).post(
        _attendance_path(groups), {"attendance": [{"case": groups["noe"].pk,
                                                   "status": "present"}]},
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert _statuses(world, groups)[groups["noe"].pk] == "present"
    with schema_context(world.acme.schema_name):
        entry = AuditLog.objects.filter(action="group.attendance").latest("id")
        assert entry.actor_id == admin.pk
        call = AuditLog.objects.get(action="api.group_attendance")
        assert call.detail["key"] == key.prefix
        assert call.detail["as_user"] == admin.pk
    _read, read = make_key(world.acme, "cases:read", actor=actor(admin, "admin"))
    refused = key_client(world.acme, read).post(
        _attendance_path(groups), {"attendance": [{"case": groups["noe"].pk,
                                                   "status": "absent"}]},
        content_type="application/json")
    assert problem_of(refused, 403)["code"] == "scope_missing"
    assert _statuses(world, groups)[groups["noe"].pk] == "present"
    # Another association's key: nothing of acme there.
    _beta, beta = make_key(world.beta, "cases:write", actor=actor(world.beta_admin, "admin"))
    problem_of(key_client(world.acme, beta).post(_attendance_path(groups), {},
                                                 content_type="application/json"), 401)
    with schema_context(world.beta.schema_name):
        beta_before = list(Attendance.objects.values_list("pk", "status"))
    on_beta = key_client(world.beta, beta).post(_attendance_path(groups), {
        "attendance": [{"case": groups["noe"].pk, "status": "absent"}]},
        content_type="application/json")
    assert on_beta.status_code in (400, 404)  # ids are per schema: beta's own, if any
    assert b"Passions" not in on_beta.content
    with schema_context(world.beta.schema_name):
        assert list(Attendance.objects.values_list("pk", "status")) == beta_before
    # The session of one group is not reached through another.
    problem_of(key_client(world.acme, raw).post(_attendance_path(groups, "metiers"), {
        "attendance": [{"case": groups["noe"].pk, "status": "absent"}]},
        content_type="application/json"), 404)


def test_bad_attendance_is_refused_and_saves_nothing(world: World, groups: dict[str, Any],
                                                     english_catalogue: None) -> None:
    _key, raw = make_key(world.acme, "cases:write",
                         actor=actor(world.acme_members["admin"], "admin"))
    client = key_client(world.acme, raw)
    other = make_case(world.beta, world.beta_admin, first_name="Canari")
    before = _statuses(world, groups)
    ines, noe = groups["ines"].pk, groups["noe"].pk
    for body, field in [
        ({"attendance": [{"case": ines, "status": "peut-être"}]}, "attendance.0.status"),
        ({"attendance": []}, "attendance"),
        ({"attendance": [{"case": ines, "status": "present"},
                         {"case": ines, "status": "absent"}]}, "attendance"),
        ({"attendance": [{"case": 999999, "status": "present"}]}, "attendance"),
        ({"attendance": [{"case": other.pk, "status": "present"}]}, "attendance"),
        ({"attendance": [{"case": groups["archived"].pk, "status": "present"},
                         {"case": noe, "status": "present"}]}, "attendance"),
        # Capacity 2: Inès, Noé and a third young person present is one too many.
        ({"attendance": [{"case": noe, "status": "present"},
                         {"case": make_case(world.acme, world.acme_members["admin"]).pk,
                          "status": "present"}]}, "status"),
    ]:
        for language in ("fr", "en"):
            refused = problem_of(client.post(_attendance_path(groups), body,
                                             content_type="application/json",
                                             HTTP_ACCEPT_LANGUAGE=language), 400)
            assert refused["errors"][0]["field"].startswith(field.split(".")[0]), refused
        assert _statuses(world, groups) == before


def test_a_session_of_an_archived_case_is_not_recorded_through_the_api(
    world: World, groups: dict[str, Any],
) -> None:
    """The archived case is nobody's to open: not a participant shown, not visible."""
    _key, raw = make_key(world.acme, "cases:write",
                         actor=actor(world.acme_members["admin"], "admin"))
    problem_of(key_client(world.acme, raw).post(
        _attendance_path(groups), {"attendance": [{"case": groups["archived"].pk,
                                                   "status": "present"}]},
        content_type="application/json"), 400)
    assert _statuses(world, groups)[groups["archived"].pk] == "absent"
    with schema_context(world.acme.schema_name):
        assert GroupSession.objects.count() == 1
        assert ExchangeGroup.objects.count() == 2


# --- figures ---------------------------------------------------------------------------


@pytest.fixture
def figures_data(world: World) -> str:
    """Three young people opened this school year (a small count) in the 93."""
    for name in ("Inès", "Noé", "Lina"):
        make_case(world.acme, world.acme_members["admin"], first_name=name)
    make_case(world.beta, world.beta_admin, first_name="Canari")
    return school_year_label(school_year_of(timezone.localdate()))


@pytest.mark.parametrize(("role", "expected"), [
    ("admin", 3), ("coordinator", 3), ("psychologist", 3), ("read_only", HIDDEN),
    ("listener", None), ("volunteer", None),
])
def test_figures_are_those_of_the_page_for_the_role(
    world: World, figures_data: str, role: str, expected: Any,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    response = client.get("/api/v1/figures/", {"period": figures_data}, **JSON)
    if expected is None:
        problem_of(response, 404)
        return
    body = response.json()
    assert body["period"]["school_year"] == figures_data
    assert body["new_cases"] == expected
    assert body["small_counts_hidden"] is (expected == HIDDEN)
    department = next(b for b in body["case_breakdowns"] if b["key"] == "department")
    row = next(r for r in department["rows"] if r["label"] == "93")
    assert row["count"] == expected
    if expected == HIDDEN:
        assert row["share"] is None
        assert body["note"]
    for name in ("Inès", "Noé", "Lina", "Canari"):
        assert name.encode() not in response.content


def test_a_key_reads_the_exact_figures_with_figures_read_only(
    world: World, figures_data: str,
) -> None:
    _key, raw = make_key(world.acme, "figures:read")
    client = key_client(world.acme, raw)
    response = client.get("/api/v1/figures/")
    assert response.status_code == 200
    with schema_context(world.acme.schema_name):
        figures = activity_figures(period_kind="school",
                                   year=school_year_of(timezone.localdate()))
    assert response.json()["new_cases"] == figures.new_cases == 3
    assert response.json()["active_cases"] == figures.active_cases
    assert client.get("/api/v1/figures/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    _other, other = make_key(world.acme, "cases:read")
    assert problem_of(key_client(world.acme, other).get("/api/v1/figures/"), 403)[
        "code"] == "scope_missing"
    # The other association's figures count its own young people only.
    _beta, beta = make_key(world.beta, "figures:read")
    assert key_client(world.beta, beta).get("/api/v1/figures/").json()["new_cases"] == 1
    problem_of(key_client(world.acme, beta).get("/api/v1/figures/"), 401)


@pytest.mark.parametrize("period", ["2024", "2024-2026", "1980-1981", "abcd-efgh",
                                    f"{date.today().year + 2}-{date.today().year + 3}"])
def test_a_bad_period_is_refused_in_french_or_english(
    world: World, period: str, english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "figures:read")
    client = key_client(world.acme, raw)
    french = problem_of(client.get("/api/v1/figures/", {"period": period}), 400)
    english = problem_of(client.get("/api/v1/figures/", {"period": period},
                                    HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert french["errors"][0]["field"] == english["errors"][0]["field"] == "period"
    assert french["errors"][0]["message"] != english["errors"][0]["message"]


def test_the_api_figures_count_question_psy_and_employment_milestones(world: World) -> None:
    """The figures the page shows for Question Psy and the employment programme are in
    the API too (exact for a key, "< 11" for the read-only role), never a question's text
    nor a milestone's note, and only this association's."""
    from tests.tracking.employment.test_milestones import _case, _record
    from tests.tracking.questions.test_question_figures import _some_questions

    _some_questions(world)
    young = _case(world, first_name="Canari-Emploi")
    _record(world, young, "orientation", timezone.localdate(), note="Note-canari")
    _key, raw = make_key(world.acme, "figures:read")
    body = key_client(world.acme, raw).get("/api/v1/figures/").json()
    with schema_context(world.acme.schema_name):
        figures = activity_figures(period_kind="school",
                                   year=school_year_of(timezone.localdate()))
    assert body["questions"]["received"] == figures.questions.received >= 3
    assert body["questions"]["sessions_held"] == figures.questions.sessions_held
    assert {r["key"]: r["count"] for r in body["questions"]["by_asker"]["rows"]} == {
        r.key: r.count for r in figures.questions.by_asker.rows}
    milestones = {r["label"]: r["count"] for r in body["employment_milestones"]["rows"]}
    assert milestones["Orientation par l'agence pour l'emploi"] == 1
    hidden = signed_in(world.acme_members["read_only"], world.acme).get(
        "/api/v1/figures/", **JSON).json()
    assert hidden["questions"]["received"] == HIDDEN
    assert {r["count"] for r in hidden["employment_milestones"]["rows"]} <= {HIDDEN, 0}
    _beta, beta = make_key(world.beta, "figures:read")
    other = key_client(world.beta, beta).get("/api/v1/figures/").json()
    assert other["questions"]["received"] == 0
    assert {r["count"] for r in other["employment_milestones"]["rows"]} <= {0}
    for response_body in (body, hidden, other):
        text = str(response_body)
        assert "Question d'un parent" not in text
        assert "Note-canari" not in text
