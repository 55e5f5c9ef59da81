"""The association's lists: admins rename, reorder, archive and add items; nothing is ever
deleted, archived items stay on the records that hold them, bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tests.conftest import World, host_client, signed_in
from tests.tracking.factories import actor, item, log_interaction, make_case
from tracking.lists import services as picklists
from tracking.models import (
    AuditLog,
    AwarenessSession,
    Case,
    Interaction,
    Partner,
    PicklistItem,
    PicklistKind,
)

pytestmark = pytest.mark.django_db

URL = "/parametres/listes/"


@pytest.fixture(autouse=True)
def _urls() -> Iterator[None]:
    """The page through a test urlconf, whether or not tracking.urls includes it yet."""
    with override_settings(ROOT_URLCONF="tests.tracking.lists.urls_for_picklists"):
        yield


def _state() -> list[tuple[Any, ...]]:
    """Every item and the audit log's length, in the acme schema."""
    with schema_context("a_acme"):
        items = list(PicklistItem.objects.order_by("pk").values_list(
            "pk", "kind", "code", "label", "network_code", "position", "is_archived"))
        return [*items, ("audit", AuditLog.objects.count())]


def _get(kind: str, code: str) -> PicklistItem:
    with schema_context("a_acme"):
        return item(kind, code)


def _codes(kind: str, *, include_archived: bool = False) -> list[str]:
    with schema_context("a_acme"):
        qs = PicklistItem.objects.filter(kind=kind)
        if not include_archived:
            qs = qs.filter(is_archived=False)
        return list(qs.order_by("position", "label").values_list("code", flat=True))


def _admin(world: World) -> Client:
    return signed_in(world.acme_members["admin"], world.acme)


def _text(response: Any) -> str:
    return str(response.content.decode())


# --- Who may come in -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_reach_the_lists(world: World, role: str) -> None:
    before = _state()
    client = signed_in(world.acme_members[role], world.acme)
    programme = _get("programme", "individual")
    assert client.get(URL).status_code == 404
    for data in (
        {"action": "rename", "item": programme.pk, "label": "Piraté"},
        {"action": "archive", "item": programme.pk},
        {"action": "move_down", "item": programme.pk},
        {"action": "network_code", "item": programme.pk, "network_code": "x"},
        {"action": "create", "kind": "programme", "label": "Piraté"},
    ):
        assert client.post(URL, data).status_code == 404
    assert _state() == before


@pytest.mark.parametrize("who", ["beta_admin", "outsider"])
def test_people_of_no_membership_here_are_turned_away(world: World, who: str) -> None:
    before = _state()
    client = signed_in(getattr(world, who), world.acme)
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"action": "create", "kind": "programme", "label": "Piraté"})
    assert response.status_code == 403
    assert _state() == before


def test_anonymous_visitor_is_sent_to_sign_in(world: World) -> None:
    response = host_client(world.acme).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_services_refuse_anyone_but_an_admin(world: World) -> None:
    coordinator = actor(world.acme_members["coordinator"], "coordinator")
    with schema_context("a_acme"):
        programme = item("programme", "individual")
        with pytest.raises(ApplicationError, match="Seuls les administrateurs"):
            picklists.picklist_item_rename(actor=coordinator, item=programme, label="Autre nom")
        with pytest.raises(ApplicationError, match="Seuls les administrateurs"):
            picklists.picklist_item_create(actor=coordinator, kind="programme", label="Neuf")
        assert item("programme", "individual").label == "Accompagnement individuel"


def test_unknown_action_or_item_is_not_found(world: World) -> None:
    client = _admin(world)
    before = _state()
    assert client.post(URL, {"action": "delete", "item": 1}).status_code == 404
    assert client.post(URL, {"action": "rename", "item": 999_999, "label": "X"}
                       ).status_code == 404
    assert client.post(URL, {"action": "archive", "item": "abc"}).status_code == 404
    assert _state() == before


# --- The page ----------------------------------------------------------------------------


def test_admin_sees_every_list_with_suggested_codes_and_usage(world: World) -> None:
    admin = world.acme_members["admin"]
    with schema_context("a_acme"):
        individual = item("programme", "individual")
        bullying = item("situation_type", "bullying")
    make_case(world.acme, admin, programme=individual, situation_types=[bullying])
    case = make_case(world.acme, admin, programme=individual)
    with schema_context("a_acme"):
        AwarenessSession.objects.create(held_on=timezone.localdate(), programme=individual)
    log_interaction(world.acme, admin, "admin", case)
    response = _admin(world).get(URL)
    assert response.status_code == 200
    page = _text(response)
    for kind in PicklistKind.values:
        assert f'id="liste-{kind}"' in page
    assert "Accompagnement individuel" in page
    assert '<option value="cyber_prevention">' in page  # a default network code, suggested
    usage = {(s.kind, i.code): i.usage for s in response.context["sections"] for i in s.items}
    assert usage[("programme", "individual")] == 3  # two cases and an awareness session
    assert usage[("situation_type", "bullying")] == 1
    assert usage[("interaction_kind", "interview")] == 1
    assert usage[("programme", "back_to_work")] == 0
    assert usage[("closing_reason", "resolved")] == 0


def test_usage_counts_every_field_that_holds_items() -> None:
    """A new field holding picklist items is counted on its own; this pins the list, so
    that adding one is a decision someone sees."""
    found = {(r.model._meta.label, r.column, r.kind) for r in picklists.picklist_references()}
    assert found == {
        ("tracking.Partner", "kind", "partner_type"),
        ("tracking.Case", "programme", "programme"),
        ("tracking.Case", "detection_source", "detection_source"),
        ("tracking.Case", "closing_reason", "closing_reason"),
        ("tracking.Case_situation_types", "picklistitem", "situation_type"),
        ("tracking.Interaction", "kind", "interaction_kind"),
        ("tracking.AwarenessSession", "programme", "programme"),
        ("tracking.EmploymentMilestone", "kind", "employment_milestone"),
    }


def test_the_page_takes_the_same_queries_however_many_items_and_records(
    world: World, django_assert_max_num_queries: Any,
) -> None:
    admin = world.acme_members["admin"]
    client = _admin(world)
    client.get(URL)  # warm the caches (host → association, translations)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    with schema_context("a_acme"):
        admin_actor = actor(admin, "admin")
        for kind in PicklistKind.values:
            for n in range(5):
                picklists.picklist_item_create(actor=admin_actor, kind=kind, label=f"Ajout {n}")
        bullying, individual = item("situation_type", "bullying"), item("programme", "individual")
        partner = Partner.objects.create(name="Collège Jean Moulin",
                                         kind=item("partner_type", "middle_school"))
    for _ in range(6):
        case = make_case(world.acme, admin, programme=individual, situation_types=[bullying],
                         referring_partner=partner)
        log_interaction(world.acme, admin, "admin", case)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    # each case: its programme, situation type and exchange; plus the partner's type
    assert sum(i.usage for s in response.context["sections"] for i in s.items) == 6 * 3 + 1
    assert len(many) == len(few)
    item_queries = [q["sql"] for q in many.captured_queries
                    if '"tracking_picklistitem"' in q["sql"]]
    assert len(item_queries) == 1  # every item and its usage, in one query
    with django_assert_max_num_queries(12):
        client.get(URL)


# --- Rename, network code, order ---------------------------------------------------------


def test_admin_renames_an_item_and_its_code_stays(world: World) -> None:
    programme = _get("programme", "individual")
    case = make_case(world.acme, world.acme_members["admin"], programme=programme)
    response = _admin(world).post(URL, {"action": "rename", "item": programme.pk,
                                        "label": "  Suivi   individuel "})
    assert response.status_code == 302
    assert response["Location"] == "/parametres/listes/#liste-programme"
    with schema_context("a_acme"):
        renamed = PicklistItem.objects.get(pk=programme.pk)
        assert (renamed.code, renamed.label) == ("individual", "Suivi individuel")
        assert Case.objects.get(pk=case.pk).programme_id == programme.pk
        entry = AuditLog.objects.get(action="picklist.rename")
        assert (entry.actor_id, entry.object_id, entry.detail["before"], entry.detail["after"]
                ) == (world.acme_members["admin"].pk, str(programme.pk),
                      "Accompagnement individuel", "Suivi individuel")


@pytest.mark.parametrize(("label", "message"), [
    ("", "Le libellé doit compter de 1 à 120 caractères."),
    ("   ", "Le libellé doit compter de 1 à 120 caractères."),
    ("x" * 121, "Le libellé doit compter de 1 à 120 caractères."),
    ("retour à l'EMPLOI",
     "Un élément de cette liste s&#x27;appelle déjà « Retour à l&#x27;emploi »"),
])
def test_bad_label_is_refused_in_french_and_nothing_changes(
    world: World, label: str, message: str,
) -> None:
    programme = _get("programme", "individual")
    before = _state()
    response = _admin(world).post(URL, {"action": "rename", "item": programme.pk,
                                        "label": label})
    assert response.status_code == 400
    assert message in _text(response)
    assert _state() == before


def test_admin_sets_a_network_code_and_a_bad_one_is_refused(world: World) -> None:
    client = _admin(world)
    source = _get("detection_source", "school")
    assert client.post(URL, {"action": "network_code", "item": source.pk,
                             "network_code": " school_staff "}).status_code == 302
    assert _get("detection_source", "school").network_code == "school_staff"
    before = _state()
    for bad in ("École", "school-staff", "with space", "UPPER", "x" * 61):
        response = client.post(URL, {"action": "network_code", "item": source.pk,
                                     "network_code": bad})
        assert response.status_code == 400
        assert "Le code réseau ne peut contenir que des lettres minuscules" in _text(response)
    assert _state() == before
    assert client.post(URL, {"action": "network_code", "item": source.pk,
                             "network_code": ""}).status_code == 302
    assert _get("detection_source", "school").network_code == ""


def test_admin_reorders_a_list(world: World) -> None:
    client = _admin(world)
    first, second, third = _codes("programme")[:3]
    assert client.post(URL, {"action": "move_down", "item": _get("programme", first).pk}
                       ).status_code == 302
    assert _codes("programme")[:3] == [second, first, third]
    assert client.post(URL, {"action": "move_up", "item": _get("programme", third).pk}
                       ).status_code == 302
    assert _codes("programme")[:3] == [second, third, first]
    with schema_context("a_acme"):
        assert AuditLog.objects.filter(action="picklist.move").count() == 2
    with schema_context("a_acme"):  # the order is what the forms offer
        from tracking.lists import selectors

        assert list(selectors.picklist("programme").values_list("code", flat=True))[:3] == [
            second, third, first]


def test_moving_past_the_end_is_refused_and_nothing_changes(world: World) -> None:
    client = _admin(world)
    codes = _codes("closing_reason")
    before = _state()
    response = client.post(URL, {"action": "move_up", "item": _get("closing_reason",
                                                                   codes[0]).pk})
    assert response.status_code == 400
    assert "Cet élément est déjà en tête de liste." in _text(response)
    response = client.post(URL, {"action": "move_down", "item": _get("closing_reason",
                                                                     codes[-1]).pk})
    assert "Cet élément est déjà en fin de liste." in _text(response)
    assert _state() == before


def test_a_move_skips_archived_items_and_mends_equal_positions(world: World) -> None:
    admin_actor = actor(world.acme_members["admin"], "admin")
    with schema_context("a_acme"):
        PicklistItem.objects.filter(kind="programme").update(position=0)  # older data
        ordered = list(PicklistItem.objects.filter(kind="programme")
                       .order_by("position", "label", "pk"))
        picklists.picklist_item_archive(actor=admin_actor, item=ordered[1])
        picklists.picklist_item_move(actor=admin_actor, item=ordered[2], direction="up")
        after = list(PicklistItem.objects.filter(kind="programme")
                     .order_by("position", "label", "pk").values_list("pk", flat=True))
        positions = list(PicklistItem.objects.filter(kind="programme")
                         .order_by("position").values_list("position", flat=True))
    assert after == [ordered[2].pk, ordered[1].pk, ordered[0].pk, ordered[3].pk]
    assert positions == [0, 1, 2, 3]


# --- Archive -----------------------------------------------------------------------------


def test_archived_item_leaves_the_forms_and_stays_on_existing_cases(world: World) -> None:
    admin = world.acme_members["admin"]
    programme = _get("programme", "individual")
    case = make_case(world.acme, admin, programme=programme)
    client = _admin(world)
    form_page = client.get("/dossiers/nouveau/")
    with schema_context("a_acme"):
        assert programme in form_page.context["form"].fields["programme"].queryset
    response = client.post(URL, {"action": "archive", "item": programme.pk}, follow=True)
    assert "« Accompagnement individuel » archivé" in _text(response)
    form_page = client.get("/dossiers/nouveau/")
    with schema_context("a_acme"):
        offered = list(form_page.context["form"].fields["programme"].queryset)
        assert programme not in offered
        assert offered  # the other programmes are still offered
        assert Case.objects.get(pk=case.pk).programme_id == programme.pk
        assert AuditLog.objects.filter(action="picklist.archive",
                                       object_id=str(programme.pk)).count() == 1
    assert "Accompagnement individuel" in _text(client.get(f"/dossiers/{case.pk}/"))
    # and back
    assert client.post(URL, {"action": "unarchive", "item": programme.pk}).status_code == 302
    assert "individual" in _codes("programme")


def test_archived_items_are_listed_after_the_active_ones_and_cannot_move(world: World) -> None:
    client = _admin(world)
    programme = _get("programme", "individual")
    client.post(URL, {"action": "archive", "item": programme.pk})
    sections = {s.kind: s for s in client.get(URL).context["sections"]}
    rows = sections["programme"].rows
    assert rows[-1] == (_get("programme", "individual"), False, False)
    assert [r[0].is_archived for r in rows] == [False, False, False, True]
    before = _state()
    response = client.post(URL, {"action": "move_up", "item": programme.pk})
    assert "Un élément archivé ne se déplace pas" in _text(response)
    assert _state() == before


def test_the_referral_form_source_and_a_last_item_stay_active(world: World) -> None:
    client = _admin(world)
    before = _state()
    response = client.post(URL, {"action": "archive",
                                 "item": _get("detection_source", "referral_form").pk})
    assert response.status_code == 400
    assert "sert au formulaire public de signalement" in _text(response)
    assert _state() == before
    *others, last = _codes("interaction_kind")
    for code in others:
        client.post(URL, {"action": "archive", "item": _get("interaction_kind", code).pk})
    before = _state()
    response = client.post(URL, {"action": "archive", "item": _get("interaction_kind",
                                                                   last).pk})
    assert response.status_code == 400
    assert "est le dernier élément actif de la liste" in _text(response)
    assert _state() == before


def test_an_archived_interaction_kind_stays_on_the_interactions_that_have_it(
    world: World,
) -> None:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin)
    logged = log_interaction(world.acme, admin, "admin", case,
                             occurred_at=timezone.now() - timedelta(days=1))
    interview = _get("interaction_kind", "interview")
    assert _admin(world).post(URL, {"action": "archive", "item": interview.pk}
                              ).status_code == 302
    with schema_context("a_acme"):
        assert Interaction.objects.get(pk=logged.pk).kind_id == interview.pk
        assert PicklistItem.objects.filter(pk=interview.pk).exists()  # never deleted


# --- Add -----------------------------------------------------------------------------------


def test_admin_adds_an_item_at_the_end_of_its_list(world: World) -> None:
    client = _admin(world)
    response = client.post(URL, {"action": "create", "kind": "programme",
                                 "label": "Ateliers d'estime de soi",
                                 "network_code": "self_esteem"})
    assert response.status_code == 302
    assert response["Location"] == "/parametres/listes/#liste-programme"
    with schema_context("a_acme"):
        added = PicklistItem.objects.get(kind="programme", code="ateliers_destime_de_soi")
        assert (added.label, added.network_code, added.is_archived) == (
            "Ateliers d'estime de soi", "self_esteem", False)
        assert AuditLog.objects.filter(action="picklist.create",
                                       object_id=str(added.pk)).count() == 1
    assert _codes("programme")[-1] == "ateliers_destime_de_soi"
    form = client.get("/dossiers/nouveau/").context["form"]
    with schema_context("a_acme"):
        assert added in list(form.fields["programme"].queryset)


@pytest.mark.parametrize(("label", "network_code", "message"), [
    ("Collège", "", "Un élément de cette liste s&#x27;appelle déjà « Collège »"),
    ("  collège ", "", "Un élément de cette liste s&#x27;appelle déjà « Collège »"),
    ("College", "", "donne le code « college »"),  # no accent: another label, same code
    ("!!!", "", "Le libellé doit contenir au moins une lettre ou un chiffre."),
    ("", "", "Le libellé doit compter de 1 à 120 caractères."),
    ("Maison des jeunes", "Maison-Jeunes", "Le code réseau ne peut contenir que"),
])
def test_bad_new_item_is_refused_in_french_and_nothing_is_created(
    world: World, label: str, network_code: str, message: str,
) -> None:
    client = _admin(world)
    with schema_context("a_acme"):  # "college" is taken by a renamed item
        picklists.picklist_item_create(actor=actor(world.acme_members["admin"], "admin"),
                                       kind="partner_type", label="College (ancien)")
        PicklistItem.objects.filter(kind="partner_type", code="college_ancien").update(
            code="college")
    before = _state()
    response = client.post(URL, {"action": "create", "kind": "partner_type", "label": label,
                                 "network_code": network_code})
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    assert f'value="{label}"' in page or not label  # what was typed is kept
    assert _state() == before


def test_a_new_item_named_like_an_archived_one_points_to_it(world: World) -> None:
    client = _admin(world)
    client.post(URL, {"action": "archive", "item": _get("closing_reason", "moved").pk})
    before = _state()
    response = client.post(URL, {"action": "create", "kind": "closing_reason",
                                 "label": "déménagement"})
    assert response.status_code == 400
    assert "Un élément archivé de cette liste s&#x27;appelle déjà « Déménagement »" in _text(
        response)
    assert _state() == before


def test_an_unknown_list_is_refused(world: World) -> None:
    before = _state()
    response = _admin(world).post(URL, {"action": "create", "kind": "gender", "label": "X"})
    assert response.status_code == 400
    assert "Cette liste n&#x27;existe pas." in _text(response)
    assert _state() == before


def test_the_same_label_may_live_in_two_lists(world: World) -> None:
    """Codes are unique per list only: "Autre" exists in several lists already."""
    client = _admin(world)
    for kind in ("programme", "interaction_kind"):
        assert client.post(URL, {"action": "create", "kind": kind, "label": "Visite"}
                           ).status_code == 302
    with schema_context("a_acme"):
        assert PicklistItem.objects.filter(code="visite").count() == 2


def test_lists_belong_to_one_association(world: World) -> None:
    client = _admin(world)
    client.post(URL, {"action": "create", "kind": "programme", "label": "Seulement chez Acme"})
    with schema_context(world.beta.schema_name):
        assert not PicklistItem.objects.filter(code="seulement_chez_acme").exists()
        beta_item = PicklistItem.objects.get(kind="programme", code="individual")
    # an id from another schema names, at best, another item here: the row is looked up in
    # acme's schema only, so beta's item is never touched
    client.post(URL, {"action": "rename", "item": beta_item.pk, "label": "Renommé par Acme"})
    with schema_context(world.beta.schema_name):
        assert PicklistItem.objects.get(pk=beta_item.pk).label == "Accompagnement individuel"


