"""Re-authentication before sensitive actions (tenants.accounts.security.sensitive_action): exports
and
changes of who may see what work right after signing in; later, the password (or a TOTP code)
is asked first, nothing is exported or changed before, and the action happens after."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import AuditEntry, Membership, Network, NetworkCoordinator, Role, User
from tenants.networks.publication import network_publish
from tenants.tenancy.services import membership_create
from tests.conftest import PASSWORD, World, host_client, signed_in, totp_code
from tests.tenants.conftest import PERIOD, Member, _contribute

pytestmark = pytest.mark.django_db

STALE = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
EXPORTS = ["/dossiers/export.csv", "/dossiers/export.xlsx", "/chiffres/export.csv",
           "/chiffres/export.xlsx"]


def age_proofs(client: Client, schema_name: str, seconds: int = STALE) -> None:
    """Move the session's sign-in `seconds` into the past (as if signed in long ago)."""
    with schema_context(schema_name):
        session = client.session
        records = session[AUTHENTICATION_METHODS_SESSION_KEY]
        for record in records:
            record["at"] -= seconds
        session[AUTHENTICATION_METHODS_SESSION_KEY] = records
        session.save()


def exports_logged(schema_name: str) -> int:
    from tracking.models import AuditLog

    with schema_context(schema_name):
        return AuditLog.objects.filter(action__startswith="export.").count()


def asked_to_reauthenticate(response: Any, next_path: str) -> str:
    assert response.status_code == 302
    location = str(response["Location"])
    parts = urlsplit(location)
    assert parts.path == "/accounts/reauthenticate/", location
    assert parts.query.startswith("next=")
    assert next_path.split("?", maxsplit=1)[0].replace("/", "%2F") in parts.query, location
    return location


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_right_after_signing_in_needs_nothing_more(world: World, path: str) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("path", EXPORTS)
def test_a_stale_sign_in_is_asked_to_reauthenticate_before_any_export(
    world: World, path: str,
) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    age_proofs(client, "a_acme")
    before = exports_logged("a_acme")
    asked_to_reauthenticate(client.get(path), path)
    assert exports_logged("a_acme") == before


def test_the_export_happens_once_the_password_is_given_again(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    before = exports_logged("a_acme")
    path = "/dossiers/export.csv?status=all"
    reauthenticate = asked_to_reauthenticate(client.get(path), path)
    page = client.get(reauthenticate)
    assert page.status_code == 200
    assert "Mot de passe" in page.content.decode()

    wrong = client.post(reauthenticate, {"password": "pas-le-bon-mot-de-passe"})
    assert wrong.status_code == 200
    assert exports_logged("a_acme") == before
    asked_to_reauthenticate(client.get(path), path)  # still stale

    done = client.post(reauthenticate, {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == path
    assert exports_logged("a_acme") == before
    download = client.get(done["Location"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert exports_logged("a_acme") == before + 1


def test_a_totp_code_also_reauthenticates(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    path = "/dossiers/export.xlsx"
    asked_to_reauthenticate(client.get(path), path)
    if 30 - time.time() % 30 < 2:
        time.sleep(2)
    done = client.post(f"/accounts/2fa/reauthenticate/?next={path}", {"code": totp_code()})
    assert done.status_code == 302
    assert done["Location"] == path
    assert client.get(path).status_code == 200


def test_switching_association_is_no_proof_of_identity(world: World) -> None:
    """The pass between hosts signs in without a password: the first export there asks."""
    coordinator = world.acme_members["coordinator"]
    membership_create(actor=None, association=world.beta, user=coordinator,
                      role=Role.COORDINATOR)
    switch = signed_in(coordinator, world.acme).post(f"/changer/{world.beta.slug}/")
    passage = urlsplit(switch["Location"])
    beta = host_client(world.beta)
    assert beta.get(f"{passage.path}?{passage.query}")["Location"] == "/"
    assert beta.get("/dossiers/").status_code == 200
    asked_to_reauthenticate(beta.get("/dossiers/export.csv"), "/dossiers/export.csv")


# --- Team: roles and access -------------------------------------------------------------------


def _newcomer(world: World, role: str = Role.LISTENER) -> Membership:
    user = User.objects.create_user(f"equipe-{role}@acme.example", password=PASSWORD)
    return membership_create(actor=None, association=world.acme, user=user, role=role)


def test_a_role_change_right_after_signing_in_needs_nothing_more(world: World) -> None:
    membership = _newcomer(world)
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post("/equipe/action/", {"action": "role", "id": membership.pk,
                                               "role": Role.COORDINATOR})
    assert response["Location"] == "/equipe/"
    assert Membership.objects.get(pk=membership.pk).role == Role.COORDINATOR


def test_a_stale_role_change_waits_for_the_password_then_happens(world: World) -> None:
    membership = _newcomer(world)
    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    response = client.post("/equipe/action/", {"action": "role", "id": membership.pk,
                                               "role": Role.ADMIN})
    reauthenticate = asked_to_reauthenticate(response, "/equipe/action/")
    assert Membership.objects.get(pk=membership.pk).role == Role.LISTENER
    assert not AuditEntry.objects.filter(action="membership.role_changed",
                                         detail__user_id=membership.user_id).exists()
    # Given the password, the suspended request is carried out (allauth replays it).
    done = client.post(reauthenticate, {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/equipe/"
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_a_stale_deactivation_waits_for_the_password(world: World) -> None:
    membership = _newcomer(world, Role.VOLUNTEER)
    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    response = client.post("/equipe/action/", {"action": "deactivate", "id": membership.pk})
    reauthenticate = asked_to_reauthenticate(response, "/equipe/action/")
    assert Membership.objects.get(pk=membership.pk).is_active
    wrong = client.post(reauthenticate, {"password": "pas-le-bon-mot-de-passe"})
    assert wrong.status_code == 200
    assert Membership.objects.get(pk=membership.pk).is_active
    client.post(reauthenticate, {"password": PASSWORD})
    assert not Membership.objects.get(pk=membership.pk).is_active


def test_a_stale_invitation_waits_for_the_password_then_is_sent(world: World) -> None:
    """An invitation gives access to the data, as a role change does."""
    from onboarding.models import Invitation

    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    form = {"email": "nouvelle-admin@acme.example", "role": Role.ADMIN}
    reauthenticate = asked_to_reauthenticate(client.post("/equipe/", form), "/equipe/")
    assert not Invitation.objects.filter(email=form["email"]).exists()
    done = client.post(reauthenticate, {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/equipe/"
    assert Invitation.objects.filter(email=form["email"]).values_list(
        "role", flat=True).get() == Role.ADMIN


def test_a_stale_invitation_resend_waits_for_the_password(world: World) -> None:
    from onboarding.models import Invitation
    from onboarding.team.invitations import invitation_create

    invitation = invitation_create(actor=world.acme_members["admin"], association=world.acme,
                                   email="relance@acme.example", role=Role.LISTENER)
    token = Invitation.objects.get(pk=invitation.pk).token_hash
    client = signed_in(world.acme_members["admin"], world.acme)
    age_proofs(client, "a_acme")
    response = client.post("/equipe/action/", {"action": "resend", "id": invitation.pk})
    asked_to_reauthenticate(response, "/equipe/action/")
    assert Invitation.objects.get(pk=invitation.pk).token_hash == token  # no new link


def test_an_invitation_right_after_signing_in_needs_nothing_more(world: World) -> None:
    from onboarding.models import Invitation

    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post("/equipe/", {"email": "benevole@acme.example",
                                        "role": Role.VOLUNTEER})
    assert response.status_code == 302
    assert response["Location"] == "/equipe/"
    assert Invitation.objects.filter(email="benevole@acme.example").count() == 1


def test_a_member_who_is_not_admin_is_refused_without_being_asked(world: World) -> None:
    membership = _newcomer(world)
    client = signed_in(world.acme_members["coordinator"], world.acme)
    age_proofs(client, "a_acme")
    response = client.post("/equipe/action/", {"action": "role", "id": membership.pk,
                                               "role": Role.ADMIN})
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).role == Role.LISTENER


# --- The network console's export (platform site) ---------------------------------------------


def test_the_network_export_asks_a_stale_coordinator_first(
    world: World, network: Network, members: list[Member],
) -> None:
    for association in members:
        _contribute(association)
    network_publish(network)
    coordinator = User.objects.create_user("coord-reauth@reseau.example", password=PASSWORD)
    NetworkCoordinator.objects.create(user=coordinator, network=network)
    client = signed_in(coordinator)
    path = f"/reseaux/{network.pk}/export.csv?annee={PERIOD}"
    assert client.get(path).status_code == 200
    age_proofs(client, "public")
    before = AuditEntry.objects.filter(action="network.export").count()
    reauthenticate = asked_to_reauthenticate(client.get(path), path)
    assert AuditEntry.objects.filter(action="network.export").count() == before
    done = client.post(reauthenticate, {"password": PASSWORD})
    assert client.get(done["Location"]).status_code == 200
    assert AuditEntry.objects.filter(action="network.export").count() == before + 1
