"""The to-do list (/taches/): its sources, one-click done, who sees what, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.cases.test_referral import FORM
from tests.tracking.factories import actor, make_case
from tracking.models import AuditLog, Case, Referral, ReferralAcknowledgement, Task
from tracking.todo import selectors
from tracking.todo.services import TaskData, task_create

pytestmark = pytest.mark.django_db

SECRET_FIRST_NAME = "Zéphyrine"


def _give(world: World, *, to: str, title: str = "Rappeler le collège", days: int = 0,
          giver: str = "coordinator", case: Case | None = None) -> Task:
    with schema_context("a_acme"):
        return task_create(
            actor=actor(world.acme_members[giver], giver),
            data=TaskData(title=title, due_on=timezone.localdate() + timedelta(days=days),
                          assignee_id=world.acme_members[to].pk,
                          case_code=case.code if case else ""))


def _late(task: Task, days: int) -> None:
    with schema_context("a_acme"):
        Task.objects.filter(pk=task.pk).update(
            due_on=timezone.localdate() - timedelta(days=days))


# --- The list and its sources ------------------------------------------------------------

def test_the_list_gathers_tasks_follow_ups_and_referrals_by_due_date_overdue_first(
    world: World,
) -> None:
    coordinator = world.acme_members["coordinator"]
    late_case = make_case(world.acme, world.acme_members["admin"], staff=[coordinator],
                          first_name=SECRET_FIRST_NAME)
    make_case(world.acme, world.acme_members["admin"], staff=[coordinator])  # not due yet
    with schema_context("a_acme"):
        Case.objects.filter(pk=late_case.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=5))
    host_client(world.acme).post("/signaler", FORM)  # a referral, today
    next_week = _give(world, to="coordinator", title="Préparer la réunion", days=7,
                      giver="admin")
    overdue = _give(world, to="coordinator", title="Envoyer le compte rendu", giver="admin")
    _late(overdue, 3)
    with schema_context("a_acme"):
        items = selectors.todo_list(actor=actor(coordinator, "coordinator"))
    kinds = [(item.kind, item.overdue) for item in items]
    # the case entered its stage 5 days ago (limit 48 h): due 3 days ago, like the task
    assert kinds == [("follow_up", True), ("task", True), ("referral", False),
                     ("task", False)]
    assert [item.task.pk for item in items if item.task] == [overdue.pk, next_week.pk]
    assert all(SECRET_FIRST_NAME not in item.label for item in items)

    response = signed_in(coordinator, world.acme).get("/taches/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Envoyer le compte rendu") < body.index("Préparer la réunion")
    assert late_case.code in body
    assert SECRET_FIRST_NAME not in body
    assert 'data-testid="todo-count">3' in body  # two overdue and the referral of today


def test_done_in_one_click_then_undone_and_the_counter_follows(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    task = _give(world, to="listener")
    client = signed_in(world.acme_members["listener"], world.acme)
    assert 'data-testid="todo-count">1' in client.get("/taches/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/taches/{task.pk}/fait/", {"done": "1"},
                               headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<s>Rappeler le collège</s>" in fragment
    assert 'id="todo-link" hx-swap-oob="true"' in fragment
    assert "todo-count" not in fragment  # nothing left to do: no number
    with schema_context("a_acme"):
        done = Task.objects.get(pk=task.pk)
        assert done.done_by_id == world.acme_members["listener"].pk
        assert done.done_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/taches/{task.pk}/fait/", {"done": "0"})
    assert response.status_code == 302
    with schema_context("a_acme"):
        assert Task.objects.get(pk=task.pk).done_at is None
        assert list(AuditLog.objects.filter(object_type="task").values_list(
            "action", flat=True).order_by("pk")) == ["task.created", "task.done", "task.undone"]


def test_a_task_is_cancelled_by_its_giver_kept_with_who_and_when(world: World) -> None:
    task = _give(world, to="listener")
    listener = signed_in(world.acme_members["listener"], world.acme)
    assert listener.post(f"/taches/{task.pk}/annuler/").status_code == 302
    with schema_context("a_acme"):
        assert Task.objects.get(pk=task.pk).cancelled_at is None  # not the listener's to cancel
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert "Rappeler le collège" in coordinator.get("/taches/").content.decode()  # given list
    assert coordinator.post(f"/taches/{task.pk}/annuler/").status_code == 302
    with schema_context("a_acme"):
        kept = Task.objects.get(pk=task.pk)
        assert kept.cancelled_by_id == world.acme_members["coordinator"].pk
        assert kept.cancelled_at is not None
    assert "Rappeler le collège" not in listener.get("/taches/").content.decode()


def test_a_referral_is_acknowledged_once_and_leaves_every_handler_s_list(world: World) -> None:
    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral = Referral.objects.get()
    admin = signed_in(world.acme_members["admin"], world.acme)
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    assert "Accuser réception" in admin.get("/taches/").content.decode()
    # a listener does not handle referrals: nothing to see, nothing to do
    listener = signed_in(world.acme_members["listener"], world.acme)
    assert "Accuser réception" not in listener.get("/taches/").content.decode()
    url = f"/taches/signalements/{referral.pk}/accuser-reception/"
    assert listener.post(url).status_code == 404
    with schema_context("a_acme"):
        assert not ReferralAcknowledgement.objects.exists()
    assert coordinator.post(url).status_code == 302
    assert admin.post(url).status_code == 302  # twice: the first one stays
    with schema_context("a_acme"):
        ack = ReferralAcknowledgement.objects.get()
        assert ack.by_id == world.acme_members["coordinator"].pk
    assert "Accuser réception" not in admin.get("/taches/").content.decode()


# --- Who sees what -----------------------------------------------------------------------

def test_a_task_on_a_case_the_person_cannot_read_shows_no_case_detail(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"], first_name=SECRET_FIRST_NAME)
    _give(world, to="volunteer", title="Préparer le groupe de jeudi", case=case)
    _give(world, to="listener", title="Appeler la famille", case=case)
    for role in ("volunteer", "listener"):  # neither is assigned to the case
        body = signed_in(world.acme_members[role], world.acme).get("/taches/").content.decode()
        assert "Liée à un dossier que vous ne pouvez pas consulter." in body, role
        assert case.code not in body, role
        assert f"/dossiers/{case.pk}/" not in body, role
        assert SECRET_FIRST_NAME not in body, role
    body = signed_in(world.acme_members["coordinator"], world.acme).get(
        "/taches/").content.decode()
    assert case.code in body  # the giver reads every case


def test_a_volunteer_sees_only_their_own_tasks_and_no_follow_up(world: World) -> None:
    volunteer = world.acme_members["volunteer"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[volunteer])
    with schema_context("a_acme"):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=5))
    mine = _give(world, to="volunteer", title="Relire le support du groupe")
    other = _give(world, to="listener", title="Tâche de quelqu'un d'autre")
    client = signed_in(volunteer, world.acme)
    body = client.get("/taches/").content.decode()
    assert "Relire le support du groupe" in body
    assert "Tâche de quelqu'un d'autre" not in body
    assert case.code not in body  # assigned, but volunteers read no case
    assert client.post(f"/taches/{other.pk}/fait/", {"done": "1"}).status_code == 404
    assert client.post(f"/taches/{other.pk}/annuler/").status_code == 404
    with schema_context("a_acme"):
        assert Task.objects.get(pk=other.pk).done_at is None
        assert Task.objects.get(pk=other.pk).cancelled_at is None
    assert client.post(f"/taches/{mine.pk}/fait/", {"done": "1"}).status_code == 302


@pytest.fixture
def network_coordinator() -> User:
    user = User.objects.create_user("coord-taches@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau T"),
                            user=user)
    return user


def test_outsiders_neither_see_nor_complete_acme_s_tasks(
    world: World, network_coordinator: User,
) -> None:
    task = _give(world, to="listener", title="Tâche d'Acme")
    for outsider in (world.beta_admin, network_coordinator):
        client = signed_in(outsider, world.acme)
        for method, path in (("get", "/taches/"), ("post", f"/taches/{task.pk}/fait/"),
                             ("post", f"/taches/{task.pk}/annuler/"),
                             ("post", "/taches/recapitulatif/"), ("post", "/taches/")):
            response = getattr(client, method)(path, {"done": "1", "title": "x"})
            assert response.status_code in (403, 404), (outsider, path)
            assert b"Tache d'Acme" not in response.content
    # beta's own list, on beta's host, knows nothing of acme's task (ids included)
    beta = signed_in(world.beta_admin, world.beta)
    assert "Tâche d'Acme" not in beta.get("/taches/").content.decode()
    assert beta.post(f"/taches/{task.pk}/fait/", {"done": "1"}).status_code == 404
    # the network coordinator has no /taches/ on the platform site either
    assert signed_in(network_coordinator).get("/taches/").status_code == 404
    with schema_context("a_acme"):
        assert Task.objects.get(pk=task.pk).done_at is None


def test_the_counter_is_cached_per_association(world: World) -> None:
    """The same person, member of two associations, sees each one's count (the cache key
    carries the schema)."""
    from tenants.tenancy.services import membership_create

    listener = world.acme_members["listener"]
    membership_create(actor=None, association=world.beta, user=listener, role="listener")
    _give(world, to="listener")
    acme = signed_in(listener, world.acme)
    assert 'data-testid="todo-count">1' in acme.get("/taches/").content.decode()
    beta = signed_in(listener, world.beta)
    assert "todo-count" not in beta.get("/taches/").content.decode()


# --- Bad input: a clear message, nothing saved -------------------------------------------

@pytest.mark.parametrize(("post", "message"), [
    ({"title": "  ", "due_on": "today"}, "Donnez un intitulé à la tâche."),
    ({"due_on": "2026-02-30"}, "Indiquez une date d&#x27;échéance valide."),
    ({"due_on": "n'importe quoi"}, "Indiquez une date d&#x27;échéance valide."),
    ({"due_on": "yesterday"}, "La date d&#x27;échéance est déjà passée."),
    ({"due_on": "2099-01-01"}, "La date d&#x27;échéance est trop lointaine"),
    ({"assignee": "beta"}, "Cette personne ne fait pas partie de l&#x27;équipe"),
    ({"assignee": "outsider"}, "Cette personne ne fait pas partie de l&#x27;équipe"),
    ({"case_code": "2099-9999"}, "Aucun dossier que vous pouvez consulter ne porte ce numéro."),
    ({"title": "x" * 201}, "200"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    world: World, post: dict[str, str], message: str,
) -> None:
    today = timezone.localdate()
    days = {"today": today, "yesterday": today - timedelta(days=1)}
    people = {"beta": world.beta_admin, "outsider": world.outsider}
    data = {"title": "Rappeler le collège", "due_on": today.isoformat(),
            "assignee": str(world.acme_members["listener"].pk), "case_code": "", **post}
    if data["due_on"] in days:
        data["due_on"] = days[data["due_on"]].isoformat()
    if data["assignee"] in people:
        data["assignee"] = str(people[data["assignee"]].pk)
    response = signed_in(world.acme_members["coordinator"], world.acme).post("/taches/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with schema_context("a_acme"):
        assert not Task.objects.exists()
        assert not AuditLog.objects.filter(action="task.created").exists()


def test_the_service_refuses_someone_outside_the_team(world: World) -> None:
    from relier_platform.errors import ApplicationError

    with schema_context("a_acme"), pytest.raises(ApplicationError) as refused:
        task_create(actor=actor(world.acme_members["coordinator"], "coordinator"),
                    data=TaskData(title="Titre", due_on=timezone.localdate(),
                                  assignee_id=world.beta_admin.pk))
    assert refused.value.field == "assignee"
    with schema_context("a_acme"):
        assert not Task.objects.exists()


def test_a_case_code_the_giver_cannot_read_is_refused(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    listener = signed_in(world.acme_members["listener"], world.acme)
    response = listener.post("/taches/", {
        "title": "Appeler", "due_on": timezone.localdate().isoformat(),
        "assignee": str(world.acme_members["listener"].pk), "case_code": case.code})
    assert response.status_code == 400
    assert "Aucun dossier que vous pouvez consulter ne porte ce numéro." in (
        response.content.decode())
    with schema_context("a_acme"):
        assert not Task.objects.exists()


def test_the_form_offers_today_in_the_date_field_s_own_format(world: World) -> None:
    body = signed_in(world.acme_members["listener"], world.acme).get("/taches/").content.decode()
    assert f'type="date" name="due_on" value="{timezone.localdate().isoformat()}"' in body
