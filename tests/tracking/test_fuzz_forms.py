"""Hostile input on the main forms (hypothesis): huge strings, NUL bytes, odd unicode,
numbers out of every range, formula-like strings, wrong types (several values for one
field), missing fields. Whatever is posted, no page answers 500, and a refused form writes
nothing: a fingerprint of the rows a form could write is the same before and after.

Examples are few per form (the whole module runs in well under a minute) and derandomized,
so that CI is reproducible; `RELIER_FUZZ_RANDOM=1` explores new ones (and more of them)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.importing import services as import_services
from onboarding.models import Invitation, SignUp
from tenants.models import AuditEntry, User
from tests.conftest import World, clear_cache, host_client, signed_in
from tests.tracking.factories import actor, make_case
from tracking.models import (
    AuditLog,
    Case,
    CaseEvent,
    CustomField,
    ImportRun,
    Interaction,
    PicklistItem,
    Referral,
)

pytestmark = pytest.mark.django_db

RANDOM = os.environ.get("RELIER_FUZZ_RANDOM") == "1"
FUZZ = settings(
    max_examples=200 if RANDOM else 20, derandomize=not RANDOM, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
SCHEMA = "a_acme"

NASTY = [
    "", " ", "\x00", "a\x00b", "\x00" * 10, "\r\n", "\t", "\u0001\u001f\u007f",
    "=1+1", '=HYPERLINK("https://x.example","x")', "+33 6 00", "-2+3", "@SUM(A1:A2)",
    "\t=cmd|' /C calc'!A0", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc",
    "9" * 40, "-9" * 20, "-1", "0", "-0", "1e309", "NaN", "inf", "-inf", "1,5", "0x1F",
    "2147483648", "-2147483649", "9223372036854775808", "١٢٣", "𝟚𝟘𝟙𝟚", "٣.٥",
    "\u202eevil", "\ufeff", "\u200b", "ß" * 300, "é" * 5000, "x" * 100_000, "🙂" * 1000,
    "2024-02-30", "0000-00-00", "9999-12-31", "10000-01-01", "2024-13-01T25:61",
    "1900-01-01", "true", "on", "1", "null", "[]", "{}", "admin@acme.example",
    "a@b", "@", "x" * 250 + "@acme.example",
]
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.from_regex(r"\A-?[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}\Z"),
)
# None: the field is missing; a list: several values for one field (a wrong type).
FIELD = st.one_of(st.none(), VALUE, st.lists(VALUE, max_size=3))


def form_data(valid: dict[str, str], extra_names: tuple[str, ...] = ()) -> Any:
    """Either every field fuzzed, or a valid form with a few fields made hostile (which
    reaches the services behind the form)."""
    names = sorted(set(valid) | set(extra_names))
    everything = st.fixed_dictionaries(dict.fromkeys(names, FIELD))
    some = st.dictionaries(st.sampled_from(names), FIELD, max_size=3).map(
        lambda changes: {**valid, **changes})
    return st.one_of(everything, some).map(
        lambda data: {k: v for k, v in data.items() if v is not None})


def _digest(rows: Any) -> str:
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def fingerprint() -> tuple[Any, ...]:
    """What any of these forms could write, in the association's schema and in public."""
    with schema_context(SCHEMA):
        tenant = (
            Case.objects.count(), Case.objects.aggregate(v=Sum("version"))["v"],
            Interaction.objects.count(), Referral.objects.count(), AuditLog.objects.count(),
            CaseEvent.objects.count(),
            _digest(PicklistItem.objects.order_by("pk").values_list(
                "pk", "label", "network_code", "position", "is_archived")),
            _digest(CustomField.objects.order_by("pk").values_list(
                "pk", "label", "help_text", "required", "choices", "position",
                "is_archived")),
            _digest(ImportRun.objects.order_by("pk").values_list("pk", "status", "mapping",
                                                                 "value_mapping")),
        )
    public = (SignUp.objects.count(), Invitation.objects.count(), AuditEntry.objects.count(),
              User.objects.count())
    return tenant + public


def post_and_check(client: Client, path: str, data: dict[str, Any],
                   accepted: Callable[[Any], bool] = lambda r: r.status_code == 302) -> None:
    """Posts; a 500 raises here (the test client re-raises a view's exception). A refused
    form must leave every row as it was."""
    clear_cache()  # the rate limits are not what is tested here
    before = fingerprint()
    response = client.post(path, data)
    assert response.status_code < 500, response.status_code
    if not accepted(response):
        assert fingerprint() == before, (path, data, response.status_code)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """Accepted sign-ups hash a password: a fast hasher keeps the module quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(world: World) -> Client:
    return signed_in(world.acme_members["admin"], world.acme)


@pytest.fixture
def case_id(world: World) -> int:
    return int(make_case(world.acme, world.acme_members["admin"]).pk)


CASE = {"first_name": "Inès", "birth_year": "2012", "gender": "girl", "town": "Montreuil",
        "department": "93", "role": "targeted", "opened_on": "2025-10-01"}


@FUZZ
@given(data=form_data(CASE, ("situation_types", "programme", "detection_source",
                             "referring_partner", "assigned_staff", "cf_niveau")))
def test_case_create(admin_client: Client, data: dict[str, Any]) -> None:
    post_and_check(admin_client, "/dossiers/nouveau/", data)


@FUZZ
@given(data=form_data({**CASE, "version": "1"}, ("situation_types", "assigned_staff")))
def test_case_edit(admin_client: Client, case_id: int, data: dict[str, Any]) -> None:
    post_and_check(admin_client, f"/dossiers/{case_id}/modifier/", data)


INTERACTION = {"kind": "", "channel": "phone", "occurred_at": "2025-10-02T10:00",
               "duration_minutes": "30", "summary": "Appel de la mère."}


@FUZZ
@given(data=form_data(INTERACTION, ("clinical_note",)))
def test_interaction_add(admin_client: Client, case_id: int, data: dict[str, Any]) -> None:
    post_and_check(admin_client, f"/dossiers/{case_id}/echanges/", data)


REFERRAL = {"referrer_kind": "school", "referrer_name": "CPE", "referrer_contact": "01 23 45",
            "first_name": "Yanis", "birth_year": "2012", "town": "Créteil",
            "description": "Un élève est insulté chaque jour."}


@FUZZ
@given(data=form_data(REFERRAL, ("website",)))
def test_referral_form(world: World, data: dict[str, Any]) -> None:
    # Accepted: the thanks page (200) unless the honeypot was filled, which writes nothing.
    def accepted(response: Any) -> bool:
        return response.status_code == 200 and not data.get("website")

    post_and_check(host_client(world.acme), "/signaler", data, accepted)


SIGNUP = {"association_name": "Les Mains Tendues", "identifier": "W751234567",
          "slug": "mains-tendues", "contact_name": "Nadia Benali",
          "email": "direction@mains-tendues.example", "password": "un-mot-de-passe-solide-42",
          "accept_terms": "on", "accept_dpa": "on"}


@FUZZ
@given(data=form_data(SIGNUP, ("website",)))
def test_sign_up(world: World, data: dict[str, Any]) -> None:
    post_and_check(host_client(), "/inscription/", data)


@FUZZ
@given(data=form_data({"email": "recrue@acme.example", "role": "listener"}))
def test_team_invite(admin_client: Client, data: dict[str, Any]) -> None:
    post_and_check(admin_client, "/equipe/", data)


@FUZZ
@given(data=form_data({"action": "create", "kind": "programme", "label": "Nouveau",
                       "network_code": ""}, ("item",)))
def test_picklist_settings(admin_client: Client, data: dict[str, Any]) -> None:
    post_and_check(admin_client, "/parametres/listes/", data)


@FUZZ
@given(data=form_data({"action": "create", "target": "case", "label": "Classe",
                       "kind": "choice", "required": "1", "help_text": "",
                       "choices": "6e\n5e"}, ("field", "new_choices", "archived_choices")))
def test_custom_field_settings(admin_client: Client, data: dict[str, Any]) -> None:
    post_and_check(admin_client, "/parametres/champs/", data)


CSV = "Identifiant;Prénom;Ville\r\nP-1;Canari;Ville-Canari\r\nP-2;Léa;Montreuil\r\n".encode()


@pytest.fixture
def import_run_id(world: World) -> int:
    with schema_context(SCHEMA):
        run = import_services.import_upload(actor=actor(world.acme_members["admin"], "admin"),
                                            file_name="fuzz.csv", content=CSV)
        return int(run.pk)


MAPPING_KEYS = st.one_of(
    st.sampled_from(["col_0", "col_1", "col_2", "col_3", "col_99", "col_-1", "col_", "col_x",
                     "raw_0_1", "val_0_1", "raw_1_1", "val_1_1", "raw_x_y", "val_x_y",
                     "raw_0_", "val_0_", "action"]),
    st.text(max_size=6).map(lambda s: "col_" + s),
    st.text(max_size=6).map(lambda s: "raw_0_" + s),
)


@FUZZ
@given(data=st.dictionaries(MAPPING_KEYS, FIELD.filter(lambda v: v is not None), max_size=6))
def test_import_mapping(admin_client: Client, import_run_id: int, data: dict[str, Any]) -> None:
    post_and_check(admin_client, f"/parametres/import/{import_run_id}/colonnes/", data)


# --- A sweep: each field of each form, in turn, gets each of the worst values ---

WORST = ["a\x00b", "x" * 100_000, "9" * 40, ["a", "b"]]
FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "case_create": ("/dossiers/nouveau/", CASE),
    "case_edit": ("/dossiers/{case}/modifier/", {**CASE, "version": "1"}),
    "interaction": ("/dossiers/{case}/echanges/", INTERACTION),
    "team_invite": ("/equipe/", {"email": "recrue@acme.example", "role": "listener"}),
    "picklist_create": ("/parametres/listes/", {"action": "create", "kind": "programme",
                                                 "label": "Nouveau", "network_code": ""}),
    "picklist_rename": ("/parametres/listes/", {"action": "rename", "item": "{item}",
                                                 "label": "Renommé"}),
    "picklist_code": ("/parametres/listes/", {"action": "network_code", "item": "{item}",
                                               "network_code": "code"}),
    "field_create": ("/parametres/champs/", {"action": "create", "target": "case",
                                             "label": "Classe", "kind": "choice",
                                             "required": "1", "help_text": "",
                                             "choices": "6e\n5e"}),
    "import_mapping": ("/parametres/import/{run}/colonnes/", {"col_0": "external_id",
                                                              "col_1": "first_name",
                                                              "raw_0_1": "x", "val_0_1": "y",
                                                              "action": "dry_run"}),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_sweep_of_the_worst_values(world: World, admin_client: Client, case_id: int,
                                   import_run_id: int, form: str) -> None:
    with schema_context(SCHEMA):
        item_id = PicklistItem.objects.filter(kind="programme").values_list("pk", flat=True)[0]
    path, valid = FORMS[form]
    path = path.format(case=case_id, run=import_run_id)
    valid = {k: v.format(item=item_id) for k, v in valid.items()}
    for name in valid:
        for value in WORST:
            post_and_check(admin_client, path, {**valid, name: value})
        post_and_check(admin_client, path, {k: v for k, v in valid.items() if k != name})


@pytest.mark.parametrize("form", ["referral", "sign_up"])
def test_sweep_of_the_public_forms(world: World, form: str) -> None:
    """Accepted: the referral's thanks page (200), the sign-up's progress page (302)."""
    if form == "referral":
        client, path, valid, ok = host_client(world.acme), "/signaler", REFERRAL, 200
    else:
        client, path, valid, ok = host_client(), "/inscription/", SIGNUP, 302
    for name in valid:
        for value in WORST:
            post_and_check(client, path, {**valid, name: value},
                           lambda response: response.status_code == ok)
