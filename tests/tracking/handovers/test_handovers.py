"""Hand-over of a young person to another association of a network: sent with the
recorded consent, sealed for the receiver, accepted into a new case of its own (or
refused, withdrawn, expired: nothing left behind), audited on both sides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.handovers import crypto
from tenants.models import Handover, HandoverStatus
from tests.conftest import World, signed_in
from tests.tracking.factories import actor
from tests.tracking.handovers.conftest import FIRST_NAME, SUMMARY, THIS_YEAR, named, send
from tracking.handovers.services import handover_accept, handover_refuse
from tracking.handovers.tasks import handovers_expire_task
from tracking.models import AuditLog, Case, CaseEvent, HandoverRecord

pytestmark = pytest.mark.django_db
PAGE = "/parametres/transmissions/"


def _actions(schema: str) -> list[str]:
    with schema_context(schema):
        return list(AuditLog.objects.filter(action__startswith="handover.")
                    .order_by("at", "id").values_list("action", flat=True))


def test_an_admin_sends_and_the_receiver_accepts_into_a_new_case_of_its_own(
        world: World, network: object, case: Case) -> None:
    acme = signed_in(world.acme_members["admin"], world.acme)
    form = acme.get(f"/dossiers/{case.pk}/transmettre/").content.decode()
    assert f'value="{FIRST_NAME}"' in form  # prefilled from the case
    assert "Bêta Écoute" in form
    assert "Acme Solidarité</option>" not in form
    with schema_context("a_acme"):
        situations = [str(i.pk) for i in case.situation_types.all()]
        version = Case.objects.get(pk=case.pk).version
    response = acme.post(f"/dossiers/{case.pk}/transmettre/", {
        "receiver": world.beta.pk, "first_name": FIRST_NAME, "birth_year": THIS_YEAR - 14,
        "situation_types": situations, "summary": SUMMARY, "consent_given_by": "young_person",
        "consent_given_on": timezone.localdate().isoformat(), "consent_method": "in_person"})
    assert response.status_code == 302
    assert response["Location"] == f"/dossiers/{case.pk}/"

    handover = Handover.objects.get()
    assert (handover.sender, handover.receiver, handover.status) == (
        world.acme, world.beta, HandoverStatus.PENDING)
    assert handover.expires_at - handover.sent_at == timedelta(days=30)
    # Sealed with beta's key: no plain text in public, acme's key does not open it.
    assert FIRST_NAME not in handover.summary
    assert "collège" not in handover.summary
    with pytest.raises(crypto.InvalidToken):
        crypto.summary_open(world.acme, handover.summary)
    assert crypto.summary_open(world.beta, handover.summary)["first_name"] == FIRST_NAME

    with schema_context("a_acme"):
        event = CaseEvent.objects.filter(case_id=case.pk).latest("at")
        assert (event.kind, event.detail) == ("handover_sent", {"to": "Bêta Écoute"})
        record = HandoverRecord.objects.get()
        assert (record.direction, record.public_id, record.consent_given_by,
                record.consent_method) == ("sent", handover.pk, "young_person", "in_person")
    assert _actions("a_acme") == ["handover.send"]
    assert _actions("a_beta") == ["handover.incoming"]
    assert "Transmis à Bêta Écoute" in acme.get(f"/dossiers/{case.pk}/").content.decode()

    beta = signed_in(world.beta_admin, world.beta)
    page = beta.get(PAGE).content.decode()
    assert FIRST_NAME in page
    assert "la famille déménage à Lyon" in page
    assert "1 transmission reçue en attente" in page
    assert '<span class="badge">1<span class="visually-hidden">' in page  # the menu count
    assert case.code not in page

    response = beta.post(f"{PAGE}{handover.pk}/accepter/")
    assert response.status_code == 302
    with schema_context("a_beta"):
        (new,) = named(FIRST_NAME)
        assert response["Location"] == f"/dossiers/{new.pk}/"
        assert new.birth_year == THIS_YEAR - 14
        # Matched on beta's own list by network code; "other" too.
        assert sorted(new.situation_types.values_list("code", flat=True)) == [
            "cyber_violence", "other"]
        assert new.stage is not None  # beta's workflow applied
        events = {e.kind: e.detail for e in CaseEvent.objects.filter(case=new)}
        assert events["opened"] == {"via": "handover"}
        assert events["handover_received"] == {"from": "Acme Solidarité"}
        received = HandoverRecord.objects.get()
        assert (received.direction, received.case_id, received.summary) == (
            "received", new.pk, SUMMARY)
        everything = str(list(CaseEvent.objects.values_list("detail", flat=True))) \
            + str(list(AuditLog.objects.values_list("detail", flat=True)))
        assert case.code not in everything
    handover.refresh_from_db()
    assert (handover.status, handover.summary, handover.sender_case_id) == (
        HandoverStatus.ACCEPTED, "", None)
    assert handover.decided_by == world.beta_admin
    assert _actions("a_beta") == ["handover.incoming", "handover.read", "handover.accept"]
    assert _actions("a_acme") == ["handover.send", "handover.accepted"]
    # The sender's case is as it was (only its event and its record were added).
    with schema_context("a_acme"):
        kept = Case.objects.get(pk=case.pk)
        assert (kept.first_name, kept.version, kept.closed_on) == (FIRST_NAME, version, None)
    assert "Acceptée" in acme.get(PAGE).content.decode()
    new_page = beta.get(f"/dossiers/{new.pk}/").content.decode()
    assert "Reçu par transmission de Acme Solidarité" in new_page
    assert beta.get(PAGE).content.decode().count(SUMMARY.split(" ;")[0]) == 1  # accepted list


def test_a_refusal_leaves_nothing_behind(world: World, network: object, case: Case) -> None:
    record = send(world, case)
    with schema_context("a_beta"):
        cases_before = Case.objects.count()
        handover_refuse(actor=actor(world.beta_admin, "admin"), association=world.beta,
                        handover_id=record.public_id)
        assert Case.objects.count() == cases_before
        assert not HandoverRecord.objects.exists()
        assert named(FIRST_NAME) == []
    handover = Handover.objects.get()
    assert (handover.status, handover.summary, handover.sender_case_id) == (
        HandoverStatus.REFUSED, "", None)
    # What remains: who sent to whom, when and how it ended.
    assert (handover.sender, handover.receiver, handover.sent_by, handover.decided_by) == (
        world.acme, world.beta, world.acme_members["admin"], world.beta_admin)
    assert _actions("a_beta") == ["handover.incoming", "handover.refuse"]
    assert _actions("a_acme") == ["handover.send", "handover.refused"]
    assert FIRST_NAME not in signed_in(world.beta_admin, world.beta).get(PAGE).content.decode()
    # Decided: nobody accepts it afterwards.
    with schema_context("a_beta"), pytest.raises(Http404):
        handover_accept(actor=actor(world.beta_admin, "admin"), association=world.beta,
                        handover_id=record.public_id)


def test_the_sender_withdraws_before_acceptance(world: World, network: object,
                                                 case: Case) -> None:
    record = send(world, case)
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.post(f"{PAGE}{record.public_id}/retirer/").status_code == 302
    handover = Handover.objects.get()
    assert (handover.status, handover.summary) == (HandoverStatus.WITHDRAWN, "")
    assert _actions("a_acme") == ["handover.send", "handover.withdraw"]
    assert _actions("a_beta") == ["handover.incoming", "handover.withdrawn"]
    assert signed_in(world.beta_admin, world.beta).post(
        f"{PAGE}{record.public_id}/accepter/").status_code == 404
    # Withdrawn: the same case may be sent again.
    send(world, case)
    assert Handover.objects.filter(status=HandoverStatus.PENDING).count() == 1


def test_the_receiver_cannot_withdraw_nor_the_sender_accept(world: World, network: object,
                                                           case: Case) -> None:
    record = send(world, case)
    acme = signed_in(world.acme_members["admin"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    assert acme.post(f"{PAGE}{record.public_id}/accepter/").status_code == 404
    assert acme.post(f"{PAGE}{record.public_id}/refuser/").status_code == 404
    assert beta.post(f"{PAGE}{record.public_id}/retirer/").status_code == 404
    assert Handover.objects.get().status == HandoverStatus.PENDING


def test_a_hand_over_nobody_decides_expires_at_night(world: World, network: object,
                                                     case: Case) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["handovers-expire"]["task"] == \
        "tracking.handovers_expire_task"
    record = send(world, case)
    assert handovers_expire_task() == 0  # not yet
    Handover.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert handovers_expire_task() == 1
    handover = Handover.objects.get()
    assert (handover.status, handover.summary, handover.sender_case_id,
            handover.decided_by) == (HandoverStatus.EXPIRED, "", None, None)
    assert _actions("a_acme") == ["handover.send", "handover.expired"]
    assert _actions("a_beta") == ["handover.incoming", "handover.expired"]
    assert handovers_expire_task() == 0  # safe to run twice
    with schema_context("a_beta"):
        assert named(FIRST_NAME) == []
    assert record.public_id == handover.pk


def test_the_expiry_task_runs_in_public_only(world: World) -> None:
    with schema_context("a_acme"), pytest.raises(RuntimeError):
        handovers_expire_task()


def test_erasing_the_case_withdraws_its_waiting_hand_over_and_blanks_its_record(
        world: World, network: object, case: Case) -> None:
    from tracking.privacy.services import case_anonymise

    send(world, case)
    with schema_context("a_acme"):
        case_anonymise(actor=actor(world.acme_members["admin"], "admin"), case=case,
                       confirmation=case.code, confirmation_again=case.code)
        record = HandoverRecord.objects.get()
        assert (record.first_name, record.summary, record.situation_types,
                record.birth_year) == ("", "", [], None)
    handover = Handover.objects.get()
    assert (handover.status, handover.summary, handover.sender_case_id) == (
        HandoverStatus.WITHDRAWN, "", None)
