"""Custom fields on cases and interactions: admins define them, forms ask them, services
check the answers, the case list filters on them, files export them, transitions may
require them; archiving a field or a choice keeps every answer; bad input changes nothing;
another association never sees them."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relier_platform.errors import ApplicationError
from tests.conftest import World, signed_in
from tests.tracking.factories import actor, item, log_interaction, make_case
from tracking.cases import selectors
from tracking.cases.services import CaseData, case_create, case_update
from tracking.fields import services as custom_fields
from tracking.models import (
    AuditLog,
    Case,
    CaseEvent,
    CustomField,
    Interaction,
    Transition,
)
from tracking.workflows.services import case_transition

pytestmark = pytest.mark.django_db

URL = "/parametres/champs/"


def _admin_actor(world: World) -> Any:
    return actor(world.acme_members["admin"], "admin")


def _field(world: World, label: str, kind: str, *, target: str = "case",
           choices: list[str] | None = None, required: bool = False,
           association: Any = None) -> CustomField:
    association = association or world.acme
    admin = world.acme_members["admin"] if association == world.acme else world.beta_admin
    with schema_context(association.schema_name):
        return custom_fields.field_create(
            actor=actor(admin, "admin"), target=target, label=label, kind=kind,
            required=required, choices=choices)


def _state() -> list[Any]:
    with schema_context("a_acme"):
        return [
            list(CustomField.objects.order_by("pk").values_list(
                "pk", "key", "label", "kind", "required", "choices", "position",
                "is_archived")),
            list(Case.objects.order_by("pk").values_list("pk", "version", "custom")),
            Interaction.objects.count(),
            AuditLog.objects.count(),
        ]


def _fields_of_every_kind(world: World) -> dict[str, CustomField]:
    return {
        "text": _field(world, "Établissement", "text"),
        "long_text": _field(world, "Contexte familial", "long_text"),
        "number": _field(world, "Nombre de frères et sœurs", "number"),
        "date": _field(world, "Date du premier incident", "date"),
        "choice": _field(world, "Niveau scolaire", "choice",
                         choices=["Primaire", "Collège", "Lycée"]),
        "multiple_choice": _field(world, "Lieux", "multiple_choice",
                                  choices=["Cour", "Réseaux sociaux", "Transports"]),
        "yes_no": _field(world, "Suivi médical", "yes_no"),
    }


# --- Who may define fields -------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_reach_the_fields_page(world: World, role: str) -> None:
    field = _field(world, "Niveau", "choice", choices=["A", "B"])
    before = _state()
    client = signed_in(world.acme_members[role], world.acme)
    assert client.get(URL).status_code == 404
    for data in ({"action": "create", "target": "case", "label": "X", "kind": "text"},
                 {"action": "archive", "field": field.pk},
                 {"action": "update", "field": field.pk, "label": "Y", "help_text": ""}):
        assert client.post(URL, data).status_code == 404
    with schema_context("a_acme"), pytest.raises(ApplicationError):
        custom_fields.field_create(actor=actor(world.acme_members[role], role),
                                   target="case", label="Z", kind="text")
    assert _state() == before


def test_another_association_never_sees_the_fields(world: World) -> None:
    _field(world, "Canari-Champ", "choice", choices=["Canari-Choix"])
    beta = signed_in(world.beta_admin, world.beta)
    for path in (URL, "/dossiers/nouveau/", "/dossiers/"):
        response = beta.get(path)
        assert response.status_code == 200, path
        assert b"Canari" not in response.content, path
    with schema_context(world.beta.schema_name):
        assert not CustomField.objects.exists()
    # a member of acme signed in on beta's host gets nothing either
    acme_admin_on_beta = signed_in(world.acme_members["admin"], world.beta)
    assert acme_admin_on_beta.get(URL).status_code == 403


# --- Defining fields ---------------------------------------------------------------------


def test_admin_adds_a_field_of_every_kind_through_the_page(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    for kind in ("text", "long_text", "number", "date", "choice", "multiple_choice",
                 "yes_no"):
        response = client.post(URL, {
            "action": "create", "target": "case", "label": f"Champ {kind}", "kind": kind,
            "help_text": "Une aide", "required": "", "choices": "Un\n\n Deux \n",
        })
        assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context("a_acme"):
        fields = list(CustomField.objects.order_by("position"))
    assert [f.kind for f in fields] == ["text", "long_text", "number", "date", "choice",
                                        "multiple_choice", "yes_no"]
    assert [f.position for f in fields] == [1, 2, 3, 4, 5, 6, 7]
    choice = fields[4]
    assert choice.key == "champ_choice"
    assert choice.choices == [{"code": "un", "label": "Un", "archived": False},
                              {"code": "deux", "label": "Deux", "archived": False}]
    assert fields[0].choices == []  # choices only for the choice kinds
    page = client.get(URL).content.decode()
    assert "Champ multiple_choice" in page
    assert "Choix multiple" in page
    form = client.get("/dossiers/nouveau/").content.decode()
    for f in fields:
        assert f'name="cf_{f.key}"' in form
    assert "Une aide" in form


@pytest.mark.parametrize(("data", "message"), [
    ({"label": "", "kind": "text"}, "Le libellé doit compter de 1 à 120 caractères."),
    ({"label": "x" * 121, "kind": "text"}, "Le libellé doit compter de 1 à 120 caractères."),
    ({"label": "Niveau", "kind": "color"}, "Ce type de champ n'existe pas."),
    ({"label": "Niveau", "kind": "choice", "choices": ""},
     "Un champ à choix doit proposer au moins un choix (un par ligne)."),
    ({"label": "Niveau", "kind": "choice", "choices": "Collège\ncollège"},
     "Le choix « collège » figure deux fois."),
    ({"label": "déjà là", "kind": "text"},
     "Un champ s'appelle déjà « Déjà là » : choisissez un autre libellé."),
    ({"label": "Niveau", "kind": "text", "target": "partner"},
     "Un champ s'ajoute aux dossiers ou aux échanges."),
    ({"label": "Niveau", "kind": "text", "help_text": "a" * 301},
     "L'aide ne peut pas dépasser 300 caractères."),
])
def test_bad_definitions_are_refused_and_change_nothing(
    world: World, data: dict[str, str], message: str
) -> None:
    _field(world, "Déjà là", "text")
    before = _state()
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(URL, {"action": "create", "target": "case", **data})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert 'role="alert"' in response.content.decode()
    assert _state() == before


def test_the_page_speaks_english_too(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(URL, {"action": "create", "target": "case", "label": "",
                                 "kind": "text"}, HTTP_ACCEPT_LANGUAGE="en")
    text = html.unescape(response.content.decode())
    assert "Custom fields" in text
    assert "The label must have 1 to 120 characters." in text


def test_admin_edits_a_field_renames_and_archives_choices_and_reorders(world: World) -> None:
    level = _field(world, "Niveau", "choice", choices=["Primaire", "Collège"])
    other = _field(world, "Autre", "text")
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post(URL, {
        "action": "update", "field": level.pk, "label": "Niveau scolaire",
        "help_text": "Au moment du signalement", "required": "1",
        "choice_primaire": "École primaire", "choice_college": "Collège",
        "archived_choices": ["college"], "new_choices": "Lycée",
    })
    assert response.status_code == 302
    with schema_context("a_acme"):
        level = CustomField.objects.get(pk=level.pk)
    assert (level.label, level.help_text, level.required, level.key) == (
        "Niveau scolaire", "Au moment du signalement", True, "niveau")
    assert level.choices == [
        {"code": "primaire", "label": "École primaire", "archived": False},
        {"code": "college", "label": "Collège", "archived": True},
        {"code": "lycee", "label": "Lycée", "archived": False},
    ]
    # archiving every choice is refused, nothing saved
    before = _state()
    response = client.post(URL, {"action": "update", "field": level.pk, "label": "Niveau",
                                 "help_text": "", "archived_choices": ["primaire", "lycee",
                                                                       "college"]})
    assert response.status_code == 400
    assert "au moins un choix" in response.content.decode()
    assert _state() == before
    assert client.post(URL, {"action": "move_up", "field": other.pk}).status_code == 302
    with schema_context("a_acme"):
        assert list(CustomField.objects.order_by("position").values_list("label", flat=True)) \
            == ["Autre", "Niveau scolaire"]


# --- Answers ----------------------------------------------------------------------------


def test_a_case_stores_an_answer_of_every_kind_and_shows_it(world: World) -> None:
    fields = _fields_of_every_kind(world)
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/dossiers/nouveau/", {
        "role": "targeted", "cf_" + fields["text"].key: "  Collège Jean Moulin ",
        "cf_" + fields["long_text"].key: "Parents séparés",
        "cf_" + fields["number"].key: "2",
        "cf_" + fields["date"].key: "2026-09-14",
        "cf_" + fields["choice"].key: "college",
        "cf_" + fields["multiple_choice"].key: ["transports", "cour"],
        "cf_" + fields["yes_no"].key: "no",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    with schema_context("a_acme"):
        case = Case.objects.latest("pk")
    assert case.custom == {
        fields["text"].key: "Collège Jean Moulin", fields["long_text"].key: "Parents séparés",
        fields["number"].key: 2, fields["date"].key: "2026-09-14",
        fields["choice"].key: "college", fields["multiple_choice"].key: ["cour", "transports"],
        fields["yes_no"].key: False,
    }
    page = client.get(f"/dossiers/{case.pk}/").content.decode()
    for shown in ("Collège Jean Moulin", "14/09/2026", "Cour, Transports",
                  "Nombre de frères et sœurs", "Suivi médical"):
        assert shown in page
    # the edit form is filled with the answers
    form = client.get(f"/dossiers/{case.pk}/modifier/").content.decode()
    assert 'value="Collège Jean Moulin"' in form
    assert '<option value="no" selected>' in form


@pytest.mark.parametrize(("kind", "answer", "message"), [
    ("number", "douze", "« F » attend un nombre."),
    ("number", "1.234", "« F » : deux chiffres après la virgule au plus."),
    ("number", "1e20", "« F » attend un nombre."),
    ("date", "14/09/2026", "« F » attend une date (AAAA-MM-JJ)."),
    ("choice", "inconnu", "« F » : ce choix n'existe pas."),
    ("multiple_choice", ["a", "zz"], "« F » : un des choix n'existe pas."),
    ("yes_no", "peut-être", "« F » attend oui ou non."),
    ("text", "x" * 201, "« F » ne peut pas dépasser 200 caractères."),
])
def test_wrong_answers_are_refused_in_french_and_no_case_is_written(
    world: World, kind: str, answer: Any, message: str
) -> None:
    field = _field(world, "F", kind, choices=["A", "B"])
    before = _state()
    with schema_context("a_acme"), pytest.raises(ApplicationError) as caught:
        case_create(actor=_admin_actor(world),
                    data=CaseData(custom={field.key: answer}))
    assert caught.value.message == message
    assert caught.value.field == "cf_f"
    assert _state() == before


def test_required_fields_are_enforced_by_the_form_and_the_service(world: World) -> None:
    field = _field(world, "Établissement", "text", required=True)
    before = _state()
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post("/dossiers/nouveau/", {"role": "targeted"})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in html.unescape(response.content.decode())
    with schema_context("a_acme"), pytest.raises(ApplicationError,
                                                 match="« Établissement » est obligatoire"):
        case_create(actor=_admin_actor(world), data=CaseData(custom={field.key: "  "}))
    assert _state() == before


def test_editing_records_which_answers_changed(world: World) -> None:
    field = _field(world, "Établissement", "text")
    case = make_case(world.acme, world.acme_members["admin"], custom={field.key: "A"})
    with schema_context("a_acme"):
        case = case_update(actor=_admin_actor(world), case=case,
                           data=CaseData(first_name=case.first_name,
                                         birth_year=case.birth_year, town=case.town,
                                         department=case.department,
                                         custom={field.key: "B"}),
                           expected_version=case.version)
        assert case.custom == {field.key: "B"}
        event = CaseEvent.objects.filter(case=case, kind="edited").latest("pk")
        assert "Établissement" in event.detail["fields"]


def test_archiving_a_field_keeps_every_answer(world: World) -> None:
    field = _field(world, "Niveau", "choice", choices=["Collège", "Lycée"])
    case = make_case(world.acme, world.acme_members["admin"], custom={field.key: "college"})
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.post(URL, {"action": "archive", "field": field.pk}).status_code == 302
    form = client.get(f"/dossiers/{case.pk}/modifier/").content.decode()
    assert f'name="cf_{field.key}"' not in form
    with schema_context("a_acme"):
        case = Case.objects.get(pk=case.pk)
        case = case_update(actor=_admin_actor(world), case=case,
                           data=CaseData(town="Autre ville", custom={}),
                           expected_version=case.version)
        assert case.custom == {field.key: "college"}
    page = client.get(f"/dossiers/{case.pk}/").content.decode()
    assert "Collège" in page
    assert "champ archivé" in page
    with schema_context("a_acme"):
        assert custom_fields.field_usage([field]) == {field.pk: 1}
    # the file still carries it
    csv_text = client.get("/dossiers/export.csv?status=all").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    column = rows[0].index("Niveau")
    assert [r[column] for r in rows[1:] if r[0] == case.code] == ["Collège"]


def test_an_archived_choice_stays_on_the_cases_that_hold_it(world: World) -> None:
    field = _field(world, "Niveau", "choice", choices=["Collège", "Lycée"])
    case = make_case(world.acme, world.acme_members["admin"], custom={field.key: "college"})
    with schema_context("a_acme"):
        custom_fields.field_update(actor=_admin_actor(world), field=field, label="Niveau",
                                   help_text="", required=False,
                                   archived_choices={"college"})
        case = Case.objects.get(pk=case.pk)
        case = case_update(actor=_admin_actor(world), case=case,
                           data=CaseData(custom={field.key: "college"}),
                           expected_version=case.version)
        assert case.custom[field.key] == "college"
        with pytest.raises(ApplicationError, match="ce choix n'existe pas"):
            case_create(actor=_admin_actor(world), data=CaseData(custom={field.key: "college"}))
    client = signed_in(world.acme_members["admin"], world.acme)
    held = client.get(f"/dossiers/{case.pk}/modifier/").content.decode()
    assert '<option value="college" selected>Collège</option>' in held
    fresh = client.get("/dossiers/nouveau/").content.decode()
    assert 'value="college"' not in fresh


def test_interactions_take_custom_answers_too(world: World) -> None:
    place = _field(world, "Lieu de l'entretien", "choice", target="interaction",
                   choices=["Local", "École"], required=True)
    case = make_case(world.acme, world.acme_members["admin"])
    before = _state()
    with pytest.raises(ApplicationError, match="« Lieu de l'entretien » est obligatoire"):
        log_interaction(world.acme, world.acme_members["coordinator"], "coordinator", case)
    assert _state() == before
    client = signed_in(world.acme_members["coordinator"], world.acme)
    response = client.post(f"/dossiers/{case.pk}/echanges/", {
        "kind": _kind_pk(), "channel": "phone",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "summary": "Point", "cf_" + place.key: "ecole",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context("a_acme"):
        assert Interaction.objects.latest("pk").custom == {place.key: "ecole"}
    page = client.get(f"/dossiers/{case.pk}/").content.decode()
    assert "Lieu de l&#x27;entretien" in page
    assert "École" in page


def _kind_pk() -> int:
    with schema_context("a_acme"):
        return int(item("interaction_kind", "interview").pk)


# --- Filters and files -----------------------------------------------------------------


def test_the_case_list_filters_on_every_kind(world: World) -> None:
    fields = _fields_of_every_kind(world)
    admin = world.acme_members["admin"]
    k = {kind: f.key for kind, f in fields.items()}
    first = make_case(world.acme, admin, custom={
        k["text"]: "Collège Jean Moulin", k["number"]: 2, k["date"]: "2026-09-14",
        k["choice"]: "college", k["multiple_choice"]: ["cour", "transports"],
        k["yes_no"]: True})
    second = make_case(world.acme, admin, custom={
        k["text"]: "Lycée Victor Hugo", k["number"]: 5.5, k["date"]: "2026-03-01",
        k["choice"]: "lycee", k["multiple_choice"]: ["reseaux_sociaux"], k["yes_no"]: False})
    third = make_case(world.acme, admin)

    def found(**params: str) -> set[str]:
        filters = selectors.CaseFilters(status="all", custom={
            f"cf_{k[name.split('__')[0]]}{'_' + name.split('__')[1] if '__' in name else ''}":
            value for name, value in params.items()})
        with schema_context("a_acme"):
            return set(selectors.case_list(actor=_admin_actor(world), filters=filters)
                       .values_list("code", flat=True))

    codes = {first.code, second.code, third.code}
    assert found(choice="college") == {first.code}
    assert found(multiple_choice="transports") == {first.code}
    assert found(multiple_choice="reseaux_sociaux") == {second.code}
    assert found(yes_no="no") == {second.code}
    assert found(yes_no="yes") == {first.code}
    assert found(text="moulin") == {first.code}
    assert found(number__min="3") == {second.code}
    assert found(number__max="5,5") == {first.code, second.code}
    assert found(date__min="2026-06-01") == {first.code}
    assert found(date__max="2026-06-01") == {second.code}
    assert found(number__min="pas un nombre") == codes  # ignored, like other filters
    # through the page, with the filter shown filled in
    client = signed_in(admin, world.acme)
    page = client.get(f"/dossiers/?status=all&cf_{k['choice']}=lycee").content.decode()
    assert second.code in page
    assert first.code not in page
    assert '<option value="lycee" selected>' in page


def test_the_export_carries_structured_answers_and_never_free_text(world: World) -> None:
    fields = _fields_of_every_kind(world)
    k = {kind: f.key for kind, f in fields.items()}
    case = make_case(world.acme, world.acme_members["admin"], custom={
        k["text"]: "Inès au collège Canari", k["long_text"]: "Canari",
        k["number"]: 2.5, k["date"]: "2026-09-14", k["choice"]: "college",
        k["multiple_choice"]: ["cour", "transports"], k["yes_no"]: True})
    client = signed_in(world.acme_members["coordinator"], world.acme)
    body = client.get("/dossiers/export.csv?status=all").content.decode("utf-8-sig")
    assert "Canari" not in body
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    header = rows[0]
    assert "Établissement" not in header
    assert "Contexte familial" not in header
    row = next(r for r in rows[1:] if r[0] == case.code)
    values = dict(zip(header, row, strict=True))
    assert values["Nombre de frères et sœurs"] == "2,50"
    assert values["Date du premier incident"] == "2026-09-14"
    assert values["Niveau scolaire"] == "Collège"
    assert values["Lieux"] == "Cour, Transports"
    assert values["Suivi médical"] == "Oui"
    xlsx = client.get("/dossiers/export.xlsx?status=all")
    assert xlsx.status_code == 200


# --- Workflows --------------------------------------------------------------------------


def test_a_transition_may_require_a_custom_field(world: World) -> None:
    field = _field(world, "Établissement", "text")
    with schema_context("a_acme"):
        transition = Transition.objects.get(version__status="published",
                                            from_stage__key="received",
                                            to_stage__key="first_contact")
        from tracking.models import stage_fields

        assert stage_fields()[f"cf_{field.key}"] == "Établissement"
        transition.required_fields = [*transition.required_fields, f"cf_{field.key}"]
        transition.save()
    case = make_case(world.acme, world.acme_members["admin"])
    coordinator = actor(world.acme_members["coordinator"], "coordinator")
    with schema_context("a_acme"):
        case = Case.objects.get(pk=case.pk)
        with pytest.raises(ApplicationError, match="Établissement"):
            case_transition(actor=coordinator, case=case, transition=transition,
                            expected_version=case.version)
        case = case_update(actor=coordinator, case=case,
                           data=CaseData(birth_year=case.birth_year,
                                         custom={field.key: "Collège"}),
                           expected_version=case.version)
        moved = case_transition(actor=coordinator, case=case, transition=transition,
                                expected_version=case.version)
        assert moved.stage is not None
        assert moved.stage.key == "first_contact"
        # an archived field is no longer asked, so no longer required
        custom_fields.field_archive(actor=_admin_actor(world), field=field, archived=True)
        assert f"cf_{field.key}" not in stage_fields()


# --- Properties -------------------------------------------------------------------------


ANSWERS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**13, 10**13),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.dates(min_value=date(1900, 1, 1)).map(date.isoformat),
    st.lists(st.sampled_from(["a", "b", "c", "zz", ""]), max_size=4),
    st.sampled_from(["oui", "non", "yes", "1,5", "a", "b", "2026-02-30", " "]),
)


KINDS = ("text", "long_text", "number", "date", "choice", "multiple_choice", "yes_no")


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.fixed_dictionaries(dict.fromkeys(KINDS, ANSWERS)))
def test_any_answer_is_either_refused_or_stored_in_a_stable_shape(
    world: World, answers: dict[str, Any]
) -> None:
    """Whatever comes in (a form, later an import), the stored value is clean: cleaning
    it again gives the same value, nothing empty is stored, and each shape is the one the
    filters and the export expect."""
    with schema_context("a_acme"):
        if not CustomField.objects.exists():
            for kind in answers:
                custom_fields.field_create(actor=_admin_actor(world), target="case",
                                           label=kind, kind=kind, choices=["a", "b", "c"])
        keys = dict(CustomField.objects.values_list("kind", "key"))
        raw = {keys[kind]: value for kind, value in answers.items()}
        for key, value in raw.items():
            refused: ApplicationError | None = None
            try:
                stored = custom_fields.clean_values("case", {key: value})
            except ApplicationError as error:
                refused = error
            if refused is not None:
                assert refused.field == f"cf_{key}"
                assert refused.message
                continue
            assert custom_fields.clean_values("case", stored) == stored
            assert all(v not in (None, "", []) for v in stored.values())
            kind = next(k for k, v in keys.items() if v == key)
            if key in stored:
                shape: Any = {"text": str, "long_text": str, "number": (int, float), "date": str,
                         "choice": str, "multiple_choice": list, "yes_no": bool}[kind]
                assert isinstance(stored[key], shape)


def test_the_workflow_editor_offers_custom_fields_by_their_labels(world: World) -> None:
    field = _field(world, "Établissement", "text")
    client = signed_in(world.acme_members["admin"], world.acme)
    client.post("/parametres/parcours/", {"action": "draft"})
    with schema_context("a_acme"):
        source = Transition.objects.filter(version__status="draft").first()
        assert source is not None  # the same stages, backwards: not a transition yet
        stages = (source.to_stage.pk, source.from_stage.pk)
    response = client.post("/parametres/parcours/", {
        "action": "transition_add", "source": stages[0], "target": stages[1],
        "label": "Vérifié", "roles": ["admin"], "required_fields": [f"cf_{field.key}"]},
        follow=True)
    assert "message-error" not in response.content.decode(), html.unescape(
        response.content.decode())[-3000:]
    page = html.unescape(client.get("/parametres/parcours/").content.decode())
    assert f'value="cf_{field.key}"' in page
    assert "requis : Établissement" in page
    assert f"requis : cf_{field.key}" not in page
