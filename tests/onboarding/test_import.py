"""Importing cases: the Monday.com sample imports exactly, a file with errors imports
nothing and reports every error, a re-import updates instead of duplicating, encodings,
formula cells, limits, and nobody but the association's admins reaches an import."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context
from openpyxl import Workbook

from onboarding.importing import services
from onboarding.importing.parsing import MAX_ROWS
from onboarding.samples.make_monday_sample import SAMPLE, build
from relier_platform.errors import ApplicationError
from tenants.models import Role, User
from tenants.tenancy.services import membership_create
from tests.conftest import World
from tests.tracking.factories import actor, item
from tracking.fields import services as custom_fields
from tracking.models import (
    AuditLog,
    Case,
    CaseEvent,
    ImportRun,
    Partner,
    PicklistItem,
    StageChange,
)

pytestmark = pytest.mark.django_db
SCHEMA = "a_acme"
THIS_YEAR = date.today().year


def _admin(world: World) -> Any:
    return actor(world.acme_members["admin"], "admin")


def _upload(world: World, content: bytes, name: str) -> ImportRun:
    with schema_context(SCHEMA):
        return services.import_upload(actor=_admin(world), file_name=name, content=content)


def _refused(world: World, content: bytes, name: str) -> str:
    with pytest.raises(ApplicationError) as caught:
        _upload(world, content, name)
    with schema_context(SCHEMA):
        assert ImportRun.objects.count() == 0
    return caught.value.message


def _map(world: World, run: ImportRun, mapping: dict[str, str] | None = None,
         values: dict[str, dict[str, str]] | None = None) -> ImportRun:
    with schema_context(SCHEMA):
        return services.import_mapping_save(actor=_admin(world), run=run,
                                            mapping=mapping or run.mapping,
                                            value_mapping=values or {})


def _dry_run(run: ImportRun) -> ImportRun:
    with schema_context(SCHEMA):
        return services.import_validate(run_id=run.pk)


def _commit(world: World, run: ImportRun) -> ImportRun:
    with schema_context(SCHEMA):
        return services.import_commit(actor=_admin(world), run_id=run.pk)


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _key(obj: Any, name: str = "key") -> Any:
    """An attribute of an optional related object (None when there is none)."""
    return getattr(obj, name) if obj is not None else None


def _state() -> list[Any]:
    with schema_context(SCHEMA):
        return [Case.objects.count(), Partner.objects.count(), StageChange.objects.count(),
                CaseEvent.objects.count(), Case.situation_types.through.objects.count(),
                list(Case.objects.order_by("pk").values_list("pk", "version", "town"))]


# --- The Monday.com sample -----------------------------------------------------------------


@pytest.fixture
def team(world: World) -> dict[str, User]:
    people = {}
    for email, name in (("claire@acme.example", "Claire Martin"),
                        ("karim@acme.example", "Karim Benali")):
        user = User.objects.create_user(email, password="x" * 12, display_name=name)
        membership_create(actor=None, association=world.acme, user=user,
                          role=Role.PSYCHOLOGIST)
        people[name] = user
    return people


@pytest.fixture
def priority(world: World) -> Any:
    with schema_context(SCHEMA):
        return custom_fields.field_create(
            actor=_admin(world), target="case", label="Priorité", kind="choice",
            choices=["Urgent", "En attente", "RDV fixé"])


SUGGESTED = {
    "0": "stage",  # Groupe (Monday.com)
    "1": "first_name",  # Nom
    "2": "assigned_staff",  # Référent·e
    "4": "opened_on",  # Date de signalement
    "5": "birth_year", "6": "gender", "7": "town", "8": "department",
    "9": "detection_source",  # Source
    "10": "situation_types",  # Type de situation
    "11": "referring_partner",  # Établissement
    "12": "programme", "13": "closed_on", "14": "closing_reason",
    "16": "external_id",  # ID de l'élément
}
SAMPLE_VALUES = {"0": {"Nouveaux signalements": "received", "Suivis en cours": "support"}}


def _sample_run(world: World, content: bytes | None = None) -> ImportRun:
    run = _upload(world, content or SAMPLE.read_bytes(), "monday_suivi_jeunes.xlsx")
    return _map(world, run, {**run.mapping, "3": "cf_priorite"}, SAMPLE_VALUES)


def test_monday_sample_is_read_with_its_groups_and_suggested_mapping(
    world: World, team: dict[str, User], priority: Any
) -> None:
    run = _upload(world, SAMPLE.read_bytes(), "monday_suivi_jeunes.xlsx")
    assert (run.file_format, run.total_rows) == ("monday", 12)
    assert [c["header"] for c in run.columns][:4] == [
        "Groupe (Monday.com)", "Nom", "Référent·e", "Statut"]
    assert run.columns[0]["values"] == ["Nouveaux signalements", "Suivis en cours",
                                        "Clôturés"]
    assert run.mapping == SUGGESTED
    with schema_context(SCHEMA):
        unmatched = {u["header"]: [v["value"] for v in u["values"]]
                     for u in services.unmatched_values(run)}
    # "Clôturés" finds the stage "Clôturé", "Parents" the code of "Parents, famille";
    # the other groups are asked.
    assert unmatched == {"Groupe (Monday.com)": ["Nouveaux signalements", "Suivis en cours"]}
    with schema_context(SCHEMA):
        assert AuditLog.objects.filter(action="import.upload").count() == 1


def test_monday_sample_imports_every_item_with_its_values(
    world: World, team: dict[str, User], priority: Any
) -> None:
    run = _dry_run(_sample_run(world))
    assert run.errors == []
    assert (run.status, run.to_create, run.to_update, run.unchanged) == ("validated", 12, 0, 0)
    assert run.partners_to_create == ["Collège des Tilleuls", "École élémentaire du Parc",
                                      "Lycée des Lilas"]  # sorted without accents
    with schema_context(SCHEMA):
        assert Case.objects.count() == 0  # the dry run wrote nothing

    run = _commit(world, run)
    assert (run.status, run.to_create, run.to_update, run.unchanged) == ("committed", 12, 0, 0)
    assert run.content in (b"", memoryview(b"")) or bytes(run.content) == b""
    assert run.committed_by_id == world.acme_members["admin"].pk
    with schema_context(SCHEMA):
        cases = {c.external_id: c for c in Case.objects.select_related(
            "stage", "detection_source", "programme", "referring_partner", "closing_reason")}
        assert len(cases) == 12
        lina = cases["1811000101"]
        assert (lina.first_name, lina.birth_year, lina.gender, lina.town, lina.department) == (
            "Lina", 2012, "girl", "Montreuil", "93")
        assert (lina.opened_on, _key(lina.stage), _key(lina.detection_source, "code"),
                _key(lina.programme, "code"), _key(lina.referring_partner, "name")) == (
            date(2025, 11, 3), "received", "school", "individual", "Collège des Tilleuls")
        assert sorted(lina.situation_types.values_list("code", flat=True)) == [
            "bullying", "cyber_violence"]
        assert list(lina.assigned_staff.all()) == [team["Claire Martin"]]
        assert lina.custom == {"priorite": "urgent"}
        assert (lina.code, cases["1811000303"].code) == ("2025-0001", "2024-0001")
        noe = cases["1811000102"]
        assert (noe.department, _key(noe.detection_source, "code"), noe.programme, noe.custom,
                noe.gender, noe.opened_on) == ("94", "parents", None,
                                               {"priorite": "en_attente"}, "boy",
                                               date(2025, 11, 5))
        yanis = cases["1811000202"]
        assert sorted(u.display_name for u in yanis.assigned_staff.all()) == [
            "Claire Martin", "Karim Benali"]
        assert sorted(yanis.situation_types.values_list("code", flat=True)) == [
            "bullying", "intimidation"]
        assert (_key(yanis.stage), yanis.closed_on) == ("support", None)
        assert (cases["1811000203"].town, cases["1811000203"].department) == ("Paris", "75")
        lucas = cases["1811000302"]
        assert (_key(lucas.stage), lucas.closed_on, _key(lucas.closing_reason, "code")) == (
            "closed", date(2025, 4, 2), "no_news")
        assert sorted(_key(c.stage) for c in cases.values()) == [
            "closed"] * 3 + ["received"] * 3 + ["support"] * 6
        assert sorted(Partner.objects.values_list("name", "kind__code")) == [
            ("Collège des Tilleuls", "other"), ("Lycée des Lilas", "other"),
            ("École élémentaire du Parc", "other")]
        assert StageChange.objects.filter(from_stage=None).count() == 12
        assert CaseEvent.objects.filter(kind="opened", detail__via="import").count() == 12
        assert AuditLog.objects.filter(action="case.create").count() == 12
        report = AuditLog.objects.get(action="import.commit")
        assert report.detail == {"file": "monday_suivi_jeunes.xlsx", "sha256": run.file_sha256,
                                 "created": 12, "updated": 0, "unchanged": 0, "partners": 3}
        assert report.actor_id == world.acme_members["admin"].pk


def test_committing_twice_writes_once(world: World, team: dict[str, User],
                                      priority: Any) -> None:
    run = _commit(world, _dry_run(_sample_run(world)))
    again = _commit(world, run)
    assert again.status == "committed"
    with schema_context(SCHEMA):
        assert Case.objects.count() == 12
        assert AuditLog.objects.filter(action="import.commit").count() == 1


def test_reimport_updates_changed_values_and_duplicates_nothing(
    world: World, team: dict[str, User], priority: Any
) -> None:
    _commit(world, _dry_run(_sample_run(world)))
    before = _state()

    same = _dry_run(_sample_run(world))
    assert (same.to_create, same.to_update, same.unchanged, same.errors) == (0, 0, 12, [])
    with schema_context(SCHEMA):
        assert services.earlier_import(same) is not None

    workbook = build()
    sheet = workbook.active
    assert sheet is not None
    for row in sheet.iter_rows():
        if row[15].value == 1811000101:
            row[6].value = "Bagnolet"  # Ville
            row[9].value = "Harcèlement"  # Type de situation
        if row[15].value == 1811000301:  # Jade, closed
            row[13].value = "Orienté vers un autre acteur"
    buffer = io.BytesIO()
    workbook.save(buffer)
    run = _upload(world, buffer.getvalue(), "monday_suivi_jeunes.xlsx")
    # The group "Suivis en cours" now stands for the stage "Bilan": 6 cases move.
    values = {"0": {"Nouveaux signalements": "received", "Suivis en cours": "review"}}
    changed = _dry_run(_map(world, run, {**run.mapping, "3": "cf_priorite"}, values))
    assert changed.errors == []
    assert (changed.to_create, changed.to_update, changed.unchanged) == (0, 8, 4)
    _commit(world, changed)
    with schema_context(SCHEMA):
        assert Case.objects.count() == 12
        assert Partner.objects.count() == before[1]
        lina = Case.objects.get(external_id="1811000101")
        assert (lina.town, lina.version) == ("Bagnolet", 2)
        assert list(lina.situation_types.values_list("code", flat=True)) == ["bullying"]
        jade = Case.objects.select_related("closing_reason").get(external_id="1811000301")
        assert (_key(jade.closing_reason, "code"), jade.closed_on) == (
            "referred", date(2025, 6, 30))
        chloe = Case.objects.select_related("stage").get(external_id="1811000205")
        assert (_key(chloe.stage), chloe.version) == ("review", 2)
        assert list(StageChange.objects.filter(case=chloe).order_by("pk").values_list(
            "from_stage__key", "to_stage__key")) == [(None, "support"), ("support", "review")]
        edited = CaseEvent.objects.get(case=lina, kind="edited")
        assert edited.detail == {"fields": ["situation_types", "town"], "via": "import",
                                 "import": changed.pk}
        assert AuditLog.objects.filter(action="case.update").count() == 8


# --- Errors: reported row by row, nothing written ----------------------------------------


ERRORS_CSV = (
    "Identifiant;Prénom;Année de naissance;Genre;Ville;Département;Source;Ouvert le;"
    "Référent\n"
    "A-1;Léa;2012;Fille;Montreuil;93;Parents, famille;12/03/2025;\n"
    "A-2;Tom;1950;Garçon;Créteil;94;Établissement scolaire;2025-03-13;\n"
    "A-3;Zoé;2011;Chat;Paris;75;Voisin;31/02/2025;\n"
    "A-1;Léa bis;2012;Fille;Montreuil;93;;;\n"
    '"A-5";"=HYPERLINK(""http://example.invalid"",""clic"")";2010;;"@SUM(1)";Val;;01/01/2099;'
    "inconnu@ailleurs.example\n"
    "A-6;Ana;2013;F;Bobigny;93;Partenaire;;\n"
)


def test_a_file_with_errors_imports_nothing_and_reports_every_error(world: World) -> None:
    before = _state()
    run = _dry_run(_upload(world, _csv(ERRORS_CSV, "cp1252"), "erreurs.csv"))
    assert run.mapping == {"0": "external_id", "1": "first_name", "2": "birth_year",
                           "3": "gender", "4": "town", "5": "department",
                           "6": "detection_source", "7": "opened_on", "8": "assigned_staff"}
    low, high = THIS_YEAR - 26, THIS_YEAR - 2
    genders = "Fille, Garçon, Autre"
    sources = ("Établissement scolaire, Parents, famille, Partenaire, Campagne en ligne, "
               "Forum de prévention, Service public de l'emploi, Le jeune lui-même, "
               "Formulaire de signalement, Autre")
    assert run.errors == [
        {"row": 3, "column": "Année de naissance", "value": "1950",
         "message": f"L'année de naissance doit être comprise entre {low} et {high} "
                    "(jeunes de 3 à 25 ans)."},
        {"row": 4, "column": "Genre", "value": "Chat",
         "message": f"« Chat » n'est pas une valeur de « Genre ». Valeurs possibles : "
                    f"{genders}."},
        {"row": 4, "column": "Source", "value": "Voisin",
         "message": f"« Voisin » n'est pas une valeur de « Source de détection ». Valeurs "
                    f"possibles : {sources}."},
        {"row": 4, "column": "Ouvert le", "value": "31/02/2025",
         "message": "Date non reconnue : écrivez-la JJ/MM/AAAA (par exemple 15/09/2024)."},
        {"row": 5, "column": "Identifiant", "value": "A-1",
         "message": "L'identifiant « A-1 » figure déjà à la ligne 2 : chaque dossier "
                    "n'apparaît qu'une fois."},
        {"row": 6, "column": "Prénom", "value": '=HYPERLINK("http://example.invalid","clic")',
         "message": "Cette cellule commence par « = » : un tableur la lirait comme une "
                    "formule. Elle n'est pas importée : retirez ce signe ou corrigez la "
                    "valeur."},
        {"row": 6, "column": "Ville", "value": "@SUM(1)",
         "message": "Cette cellule commence par « @ » : un tableur la lirait comme une "
                    "formule. Elle n'est pas importée : retirez ce signe ou corrigez la "
                    "valeur."},
        {"row": 6, "column": "Département", "value": "Val",
         "message": "Département non reconnu : écrivez son numéro (93, 2A, 974…)."},
        {"row": 6, "column": "Référent", "value": "inconnu@ailleurs.example",
         "message": "« inconnu@ailleurs.example » ne fait pas partie de l'équipe : écrivez "
                    "l'adresse e-mail ou le nom affiché d'un membre."},
    ]
    assert (run.error_count, run.to_create) == (9, 2)

    committed = _commit(world, run)
    assert committed.status == "validated"
    assert "Lancez d'abord la vérification" in committed.failure
    assert _state() == before


def test_a_date_in_the_future_and_a_closed_stage_without_date_are_row_errors(
    world: World
) -> None:
    content = _csv("Prénom,Ouvert le,Étape,Clôturé le\n"
                   "Léa,01/01/2099,Accompagnement,\n"
                   "Tom,01/02/2025,Clôturé,\n"
                   "Zoé,01/02/2025,Évaluation,03/03/2025\n"
                   "Ana,05/02/2025,,01/02/2025\n")
    run = _dry_run(_upload(world, content, "dates.csv"))
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (2, "Ouvert le", "La date d'ouverture ne peut pas être dans le futur."),
        (3, "Clôturé le", "Un dossier à l'étape « Clôturé » doit avoir une date de clôture : "
                          "faites correspondre une colonne à « Clôturé le »."),
        (4, "Étape", "Un dossier clôturé (le 03/03/2025) ne peut pas être à l'étape ouverte "
                     "« Évaluation »."),
        (5, "Clôturé le", "La date de clôture précède la date d'ouverture (05/02/2025)."),
    ]


def test_data_changed_after_the_dry_run_refuses_the_whole_commit(world: World) -> None:
    content = _csv("Prénom;Source\nLéa;Parents, famille\nTom;Campagne en ligne\n")
    run = _dry_run(_upload(world, content, "sources.csv"))
    assert (run.errors, run.to_create) == ([], 2)
    with schema_context(SCHEMA):
        PicklistItem.objects.filter(kind="detection_source", code="online_campaign").update(
            is_archived=True)
    before = _state()
    run = _commit(world, run)
    assert run.status == "validated"
    assert run.failure.startswith("Rien n'a été importé")
    assert [(e["row"], e["value"]) for e in run.errors] == [(3, "Campagne en ligne")]
    assert _state() == before


def test_a_failure_while_writing_leaves_nothing_behind(world: World, monkeypatch: Any) -> None:
    content = _csv("Prénom;Ville;Type de situation\nLéa;Montreuil;Harcèlement\n"
                   "Tom;Créteil;Cyberviolence\n")
    run = _dry_run(_upload(world, content, "panne.csv"))
    before = _state()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditLog.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        _commit(world, run)
    assert _state() == before
    with schema_context(SCHEMA):
        assert ImportRun.objects.get(pk=run.pk).status == "validated"


# --- Encodings, formats, limits -----------------------------------------------------------


def test_windows_1252_csv_from_excel_keeps_its_accents(world: World) -> None:
    content = _csv("Prénom;Année de naissance;Genre;Ville;Département;Identifiant\n"
                   "Hélène;2011;Fille;Épinay-sur-Seine;93;W-1\n"
                   "Noël;2012;Garçon;Saint-Brévin;44;W-2\n", "cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    run = _commit(world, _dry_run(_upload(world, content, "export excel.csv")))
    assert (run.status, run.to_create) == ("committed", 2)
    with schema_context(SCHEMA):
        assert sorted(Case.objects.values_list("first_name", "town", "department",
                                               "external_id")) == [
            ("Hélène", "Épinay-sur-Seine", "93", "W-1"),
            ("Noël", "Saint-Brévin", "44", "W-2")]


def test_utf8_with_bom_and_commas(world: World) -> None:
    content = b"\xef\xbb\xbf" + _csv('prenom,ville,"type de situation"\n'
                                     'Inès,Montreuil,"Harcèlement, Cyberviolence"\n')
    run = _commit(world, _dry_run(_upload(world, content, "utf8.csv")))
    assert (run.status, run.to_create) == ("committed", 1)
    with schema_context(SCHEMA):
        case = Case.objects.get()
        assert (case.first_name, case.town) == ("Inès", "Montreuil")
        assert sorted(case.situation_types.values_list("code", flat=True)) == [
            "bullying", "cyber_violence"]


def test_xlsx_formula_cells_and_formula_like_text_are_refused(world: World) -> None:
    content = _xlsx([
        ["Prénom", "Ville", "Année de naissance"],
        ["=1+1", "Montreuil", 2012],
        ["Léa", "+cmd|' /C calc'!A0", 2012],
        ["Tom", "-2+3+cmd|' /C calc'!A0", "=YEAR(TODAY())-12"],
        ["\t=HYPERLINK(\"http://example.invalid\")", "Créteil", 2011],
        ["Ana", "Bobigny", 2011],
    ])
    run = _dry_run(_upload(world, content, "formules.xlsx"))
    assert [(e["row"], e["column"]) for e in run.errors] == [
        (2, "Prénom"), (3, "Ville"), (4, "Ville"), (4, "Année de naissance"), (5, "Prénom")]
    assert all("formule" in e["message"] for e in run.errors if e["column"] != "Année de naissance")
    assert run.to_create == 1


def test_exported_case_files_never_carry_live_formulas(world: World) -> None:
    """Exports (tracking/figures/exports.py) neutralise text that a spreadsheet would run, even
    when it was typed in a form rather than imported."""
    from openpyxl import load_workbook

    from tests.tracking.factories import make_case
    from tracking.figures.exports import cases_csv, cases_xlsx

    make_case(world.acme, world.acme_members["admin"], town='=HYPERLINK("http://x","y")')
    with schema_context(SCHEMA):
        text = cases_csv(Case.objects.all(), today=date.today()).content.decode("utf-8-sig")
        sheet = load_workbook(io.BytesIO(cases_xlsx(Case.objects.all(),
                                                    today=date.today()).content)).active
    assert ';"\'=HYPERLINK(""http://x"",""y"")";' in text
    assert sheet is not None
    assert sheet["F2"].value == "'=HYPERLINK(\"http://x\",\"y\")"
    assert sheet["F2"].data_type == "s"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("dossiers.xls", b"\xd0\xcf\x11\xe0" + b"x" * 100,
     "Les fichiers .xls (Excel 97-2003) ne sont pas lus"),
    ("dossiers.pdf", b"%PDF-1.4", "Format non pris en charge"),
    ("vide.csv", b"", "Le fichier est vide."),
    ("blancs.csv", b"\r\n;;\r\n", "Le fichier est vide."),
    ("casse.xlsx", b"PK\x03\x04 pas vraiment un zip", "n'est pas un classeur Excel .xlsx"),
    ("faux.xlsx", b"Prenom;Ville\r\nLea;Paris\r\n", "n'est pas un classeur Excel .xlsx"),
    ("binaire.csv", b"\x00\x01\x02\x81\x8d\x8f" * 50, "n'est pas un CSV lisible"),
    ("entetes.csv", b"Prenom;Ville\r\n", "aucune ligne de données"),
    ("une-colonne.csv", b"Prenom\r\nLea\r\n", "Aucune ligne d'en-têtes trouvée"),
    ("guillemets.csv", b'Prenom;Ville\r\n"Lea;Paris\r\n' + b"x" * 200_000,
     "Le fichier CSV est mal formé"),
])
def test_unreadable_files_are_refused_with_a_clear_message(
    world: World, name: str, content: bytes, message: str
) -> None:
    assert message in _refused(world, content, name)


def test_a_file_over_10_mb_is_refused(world: World) -> None:
    content = b"Prenom;Ville\r\n" + b"Lea;Paris\r\n" * 1_000_000
    assert _refused(world, content, "gros.csv") == (
        "Le fichier pèse 10,5 Mo : la limite est de 10 Mo. Découpez-le en plusieurs fichiers.")


def test_a_file_over_50000_rows_is_refused(world: World) -> None:
    content = b"Prenom;Ville\r\n" + b"L;P\r\n" * (MAX_ROWS + 1)
    assert len(content) < 1024 * 1024
    assert _refused(world, content, "long.csv") == (
        "Le fichier compte plus de 50 000 lignes : découpez-le en plusieurs fichiers.")


def test_mapping_the_same_target_twice_is_refused(world: World) -> None:
    run = _upload(world, _csv("Prénom;Nom\nLéa;L.\n"), "doublon.csv")
    with pytest.raises(ApplicationError) as caught:
        _map(world, run, {"0": "first_name", "1": "first_name"})
    assert caught.value.message == (
        "« Prénom » est choisi pour deux colonnes : « Prénom » et « Nom ». Choisissez "
        "« Ignorer » pour l'une d'elles.")


def test_custom_fields_are_targets_and_their_checks_apply(world: World) -> None:
    with schema_context(SCHEMA):
        custom_fields.field_create(actor=_admin(world), target="case", label="Classe",
                                   kind="choice", choices=["6e", "5e"], required=True)
        custom_fields.field_create(actor=_admin(world), target="case", label="Date du premier "
                                   "incident", kind="date")
        custom_fields.field_create(actor=_admin(world), target="case", label="Lieux",
                                   kind="multiple_choice", choices=["Cour", "Cantine"])
    content = _csv("Prénom;Classe;Date du premier incident;Lieux\n"
                   "Léa;6E;14/10/2025;cour, cantine\n"
                   "Tom;;;\n"
                   "Zoé;4e;;\n")
    run = _dry_run(_upload(world, content, "champs.csv"))
    assert run.mapping == {"0": "first_name", "1": "cf_classe",
                           "2": "cf_date_du_premier_incident", "3": "cf_lieux"}
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in run.errors] == [
        (3, "Classe", "", "« Classe » est obligatoire."),
        (4, "Classe", "4e", "« 4e » n'est pas une valeur de « Classe ». Valeurs possibles : "
                            "6e, 5e."),
    ]
    content = _csv("Prénom;Classe;Date du premier incident;Lieux\n"
                   "Léa;6E;14/10/2025;cour, cantine\n")
    _commit(world, _dry_run(_upload(world, content, "champs.csv")))
    with schema_context(SCHEMA):
        assert Case.objects.get().custom == {"classe": "6e",
                                             "date_du_premier_incident": "2025-10-14",
                                             "lieux": ["cour", "cantine"]}


def test_item_of_the_default_lists_matches_by_code_too(world: World) -> None:
    content = _csv("Prénom;Source;Programme\nLéa;SELF_REFERRAL;back-to-work\n")
    run = _commit(world, _dry_run(_upload(world, content, "codes.csv")))
    assert run.status == "committed"
    with schema_context(SCHEMA):
        case = Case.objects.get()
        assert (case.detection_source_id, case.programme_id) == (
            item("detection_source", "self_referral").pk, item("programme", "back_to_work").pk)
