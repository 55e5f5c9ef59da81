"""The public referral form (/signaler)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from tests.conftest import World, host_client
from tracking.models import Case, Referral

pytestmark = pytest.mark.django_db

FORM = {
    "referrer_kind": "school", "referrer_name": "CPE du collège", "referrer_contact": "01 23 45",
    "first_name": "Yanis", "birth_year": "2012", "town": "Créteil",
    "description": "Un élève est insulté chaque jour sur un groupe de messagerie.",
}


def test_referral_creates_a_case_and_shows_nothing_back(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = host_client(world.acme)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/signaler", FORM)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Merci" in body
    assert "Yanis" not in body
    with schema_context("a_acme"):
        case = Case.objects.get()
        assert case.detection_source is not None
        assert case.detection_source.code == "referral_form"
        assert Referral.objects.get(case=case).description.startswith("Un élève")
    assert len(callbacks) == 1  # the team is notified once the referral is committed


def test_notification_task_mails_admins_and_coordinators(world: World) -> None:
    from tracking.cases.tasks import referral_notify_task

    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral = Referral.objects.get()
        told = referral_notify_task.run(referral.pk, "a_acme")
    assert told == 2
    assert sorted(mail.outbox[-1].to) == ["admin@acme.example", "coordinator@acme.example"]
    assert "Yanis" not in mail.outbox[-1].body


def test_honeypot_is_silently_ignored(world: World) -> None:
    response = host_client(world.acme).post("/signaler", {**FORM, "website": "http://spam"})
    assert response.status_code == 200
    with schema_context("a_acme"):
        assert not Case.objects.exists()


def test_oversized_description_is_refused(world: World) -> None:
    response = host_client(world.acme).post("/signaler", {**FORM, "description": "x" * 3001})
    assert response.status_code == 400
    with schema_context("a_acme"):
        assert not Case.objects.exists()


def test_notification_task_refuses_another_schema(world: World) -> None:
    from tracking.cases.tasks import referral_notify_task

    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral_id = Referral.objects.get().pk
    outbox = len(mail.outbox)
    with schema_context("a_beta"), pytest.raises(RuntimeError, match="outside"):
        referral_notify_task.run(referral_id, "a_acme")
    assert len(mail.outbox) == outbox


def test_the_audit_entry_records_the_address_the_trusted_proxy_saw(
    world: World, settings: Any
) -> None:
    """Behind one reverse proxy, the client is the last X-Forwarded-For hop (the proxy's
    own); an earlier hop is whatever the client claimed and is not believed."""
    from tracking.models import AuditLog

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    response = host_client(world.acme).post(
        "/signaler", FORM, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert response.status_code == 200
    with schema_context("a_acme"):
        assert list(AuditLog.objects.filter(action="referral.received")
                    .values_list("ip_address", flat=True)) == ["198.51.100.7"]
