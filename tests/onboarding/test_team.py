"""Team management: roles, the last-admin guard, deactivation that cuts access and ends
sessions at once, reactivation within the seat limit, hand-over of open cases; and who
may reach the team pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context

from onboarding.models import Checklist
from onboarding.team import services as team
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import AuditEntry, Membership, Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.factories import make_case
from tracking.cases.reassign import cases_reassign
from tracking.models import AuditLog, Case
from tracking.permissions import Actor

pytestmark = pytest.mark.django_db


def membership(world: World, role: str) -> Membership:
    return Membership.objects.get(user=world.acme_members[role], association=world.acme)


def test_role_change_is_audited(world: World) -> None:
    admin = world.acme_members["admin"]
    changed = team.member_role_change(actor=admin, membership=membership(world, "listener"),
                                      role="coordinator")
    assert Membership.objects.get(pk=changed.pk).role == "coordinator"
    entry = AuditEntry.objects.filter(action="membership.role_changed").get()
    assert (entry.actor_id, entry.detail) == (admin.pk, {
        "user_id": world.acme_members["listener"].pk, "role": "coordinator",
        "previous": "listener"})


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(world: World) -> None:
    admin = world.acme_members["admin"]
    own = membership(world, "admin")
    for action in (lambda: team.member_role_change(actor=admin, membership=own,
                                                   role="coordinator"),
                   lambda: team.member_deactivate(actor=admin, membership=own)):
        with pytest.raises(ApplicationError) as caught:
            action()
        assert caught.value.code == ErrorCode.LAST_ADMIN
        assert caught.value.message == (
            "admin@acme.example est le dernier administrateur actif : nommez d'abord un "
            "autre administrateur.")
    own.refresh_from_db()
    assert (own.role, own.is_active) == ("admin", True)
    team.member_role_change(actor=admin, membership=membership(world, "coordinator"),
                            role="admin")
    team.member_role_change(actor=admin, membership=own, role="coordinator")
    assert Membership.objects.get(pk=own.pk).role == "coordinator"


def test_deactivation_cuts_access_and_ends_sessions_at_once(world: World) -> None:
    psychologist = world.acme_members["psychologist"]
    client = signed_in(psychologist, world.acme)
    assert client.get("/dossiers/").status_code == 200
    signed_in(psychologist, world.beta)  # a session on another host is not touched
    with schema_context(world.beta.schema_name):
        beta_sessions = Session.objects.count()
    team.member_deactivate(actor=world.acme_members["admin"],
                           membership=membership(world, "psychologist"))
    response = client.get("/dossiers/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dossiers/"
    with schema_context(world.acme.schema_name):
        assert not [s for s in Session.objects.all()
                    if s.get_decoded().get("_auth_user_id") == str(psychologist.pk)]
    with schema_context(world.beta.schema_name):
        assert Session.objects.count() == beta_sessions
    # Even a session that survived would be refused: the membership is checked each time.
    again = signed_in(psychologist, world.acme)
    assert again.get("/dossiers/").status_code == 403
    deactivated = membership(world, "psychologist")
    assert (deactivated.is_active, deactivated.deactivated_at is not None) == (False, True)
    team.member_reactivate(actor=world.acme_members["admin"], membership=deactivated)
    assert again.get("/dossiers/").status_code == 200


def test_reassign_moves_open_cases_only(world: World) -> None:
    admin = world.acme_members["admin"]
    leaving, colleague = world.acme_members["psychologist"], world.acme_members["listener"]
    open_one = make_case(world.acme, admin, staff=[leaving], town="Ville-A")
    shared = make_case(world.acme, admin, staff=[leaving, colleague], town="Ville-B")
    closed = make_case(world.acme, admin, staff=[leaving], town="Ville-C")
    with schema_context(world.acme.schema_name):
        Case.objects.filter(pk=closed.pk).update(closed_on="2025-01-01")
        moved = cases_reassign(actor=Actor(user=admin, role="admin"),
                               from_user_id=leaving.pk, to_user_id=colleague.pk)
        assert moved == [open_one.pk, shared.pk]
        staff = {c.pk: sorted(c.assigned_staff.values_list("pk", flat=True))
                 for c in Case.objects.filter(pk__in=[open_one.pk, shared.pk, closed.pk])}
        assert staff == {open_one.pk: [colleague.pk], shared.pk: [colleague.pk],
                         closed.pk: [leaving.pk]}
        assert Case.objects.get(pk=open_one.pk).version == 2
        assert AuditLog.objects.filter(action="case.reassign").count() == 2


def test_reassign_to_someone_outside_the_team_changes_nothing(world: World) -> None:
    admin = world.acme_members["admin"]
    leaving = world.acme_members["psychologist"]
    case = make_case(world.acme, admin, staff=[leaving])
    with schema_context(world.acme.schema_name):
        with pytest.raises(ApplicationError) as caught:
            cases_reassign(actor=Actor(user=admin, role="admin"), from_user_id=leaving.pk,
                           to_user_id=world.beta_admin.pk)
        assert caught.value.code == ErrorCode.STAFF_NOT_MEMBER
        assert list(Case.objects.get(pk=case.pk).assigned_staff.values_list(
            "pk", flat=True)) == [leaving.pk]


def test_team_page_actions_through_the_admin(world: World) -> None:
    admin = world.acme_members["admin"]
    leaving, colleague = world.acme_members["psychologist"], world.acme_members["listener"]
    case = make_case(world.acme, admin, staff=[leaving])
    client = signed_in(admin, world.acme)
    page = client.get("/equipe/")
    assert page.status_code == 200
    assert "psychologist@acme.example" in page.content.decode()
    target = membership(world, "psychologist")
    response = client.post("/equipe/action/", {"action": "reassign", "id": target.pk,
                                               "to_user": colleague.pk}, follow=True)
    assert "1 dossier(s) confié(s) à leur nouveau référent." in response.content.decode()
    with schema_context(world.acme.schema_name):
        assert list(Case.objects.get(pk=case.pk).assigned_staff.values_list(
            "pk", flat=True)) == [colleague.pk]
    client.post("/equipe/action/", {"action": "deactivate", "id": target.pk})
    assert Membership.objects.get(pk=target.pk).is_active is False
    # Someone of another association is not reachable from here (404, nothing changes).
    beta = Membership.objects.get(user=world.beta_admin, association=world.beta)
    client.post("/equipe/action/", {"action": "deactivate", "id": beta.pk})
    assert Membership.objects.get(pk=beta.pk).is_active is True


@pytest.fixture
def coordinator(world: World) -> User:
    user = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=user)
    return user


@pytest.mark.parametrize("path", ["/equipe/", "/parametres/abonnement/"])
def test_only_admins_of_this_association_reach_team_pages(
    world: World, coordinator: User, path: str
) -> None:
    assert host_client(world.acme).get(path).status_code == 302
    assert signed_in(world.beta_admin, world.acme).get(path).status_code == 403
    assert signed_in(coordinator, world.acme).get(path).status_code == 403
    for role in ("coordinator", "psychologist", "volunteer"):
        assert signed_in(world.acme_members[role], world.acme).get(path).status_code == 404
    assert signed_in(world.acme_members["admin"], world.acme).get(path).status_code == 200


def test_non_admins_cannot_act_on_the_team(world: World, coordinator: User) -> None:
    target = membership(world, "listener")
    for client in (signed_in(world.beta_admin, world.acme), signed_in(coordinator, world.acme),
                   signed_in(world.acme_members["coordinator"], world.acme)):
        response = client.post("/equipe/action/", {"action": "deactivate", "id": target.pk})
        assert response.status_code in (403, 404)
        response = client.post("/equipe/", {"email": "x@y.example", "role": "admin"})
        assert response.status_code in (403, 404)
    assert Membership.objects.get(pk=target.pk).is_active is True
    from onboarding.models import Invitation
    assert Invitation.objects.count() == 0


def test_checklist_ticks_from_real_state_and_can_be_dismissed(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.acme_members["admin"]
    client = signed_in(admin, world.acme)
    assert client.get("/").context["checklist"] is None  # no sign-up, no checklist
    Checklist.objects.create(association=world.acme)  # made at provisioning

    def steps() -> dict[str, bool]:
        response = client.get("/")
        checklist = response.context["checklist"]
        return {s.key: s.done for s in checklist.steps} if checklist is not None else {}

    # acme has a team already (world fixture): that step is done.
    assert steps() == {"workflow": False, "team": True, "picklists": False, "plan": False,
                       "import": False}
    client.post("/demarrage/", {"step": "workflow"})
    from billing.services import subscription_plan_choose

    subscription_plan_choose(actor=admin, association=world.acme, plan_code="reseau")
    # The first version's plan page leads to the subscription page.
    assert client.get("/abonnement/")["Location"] == "/parametres/abonnement/"
    assert steps() == {"workflow": True, "team": True, "picklists": False, "plan": True,
                       "import": False}
    assert signed_in(world.acme_members["psychologist"], world.acme).get("/").context[
        "checklist"] is None
    client.post("/demarrage/", {"action": "dismiss"})
    assert steps() == {}
    assert "Premiers pas" not in client.get("/").content.decode()
