"""Events become deliveries (tracking/webhooks/services.py) in the transaction of the
change they report, one per active endpoint of that association subscribed to them, with
payloads of ids, codes and dates only; one attempt of a delivery, run here (the real
worker runs them in test_worker.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from tests.conftest import SentTask, World, host_client
from tests.tracking.factories import actor, item, make_case
from tests.tracking.webhooks.conftest import make_endpoint
from tests.tracking.webhooks.receiver import running
from tracking.cases.services import case_close
from tracking.models import AuditLog, Case, Transition, WebhookDelivery, WebhookEndpoint
from tracking.webhooks.services import (
    payload_clean,
    webhook_deliver,
    webhook_endpoint_disable,
    webhooks_emit,
)
from tracking.workflows.services import case_transition

pytestmark = pytest.mark.django_db

FORM = {
    "referrer_kind": "school", "referrer_name": "CPE Bernadette Canari",
    "referrer_contact": "canari@college.example", "first_name": "Yanis-Canari",
    "birth_year": "2012", "town": "Créteil-Canari",
    "description": "Un élève est insulté chaque jour sur un groupe de messagerie.",
}
URL = "https://127.0.0.1:9/hook"  # never called in these tests but the delivery ones


def _deliveries(schema: str) -> list[WebhookDelivery]:
    with schema_context(schema):
        return list(WebhookDelivery.objects.select_related("endpoint").order_by("pk"))


def test_a_referral_makes_one_delivery_per_subscribed_endpoint_with_no_name_or_text(
        world: World, tasks_sent: list[SentTask],
        django_capture_on_commit_callbacks: Any) -> None:
    admin = world.acme_members["admin"]
    subscribed, _secret = make_endpoint(world.acme, admin, URL, ["referral.received"])
    make_endpoint(world.acme, admin, URL, ["case.closed"])  # not subscribed
    stopped, _secret = make_endpoint(world.acme, admin, URL, ["referral.received"])
    with schema_context(world.acme.schema_name):
        webhook_endpoint_disable(actor=None, endpoint=stopped, reason="essai")
    beta_endpoint, _secret = make_endpoint(world.beta, world.beta_admin, URL)
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(world.acme).post("/signaler", FORM)
    assert response.status_code == 200

    (delivery,) = _deliveries(world.acme.schema_name)
    with schema_context(world.acme.schema_name):
        case = Case.objects.select_related("referral", "stage").get()
    assert delivery.endpoint_id == subscribed.pk
    assert (delivery.event_type, delivery.status, delivery.attempts) == (
        "referral.received", "pending", 0)
    assert delivery.payload == {
        "case_id": case.pk, "case_code": case.code, "stage": "received",
        "detection_source": "referral_form",
        "received_at": case.referral.received_at.isoformat(),
    }
    text = json.dumps(delivery.payload)
    for value in FORM.values():
        assert value not in text
    assert "Canari" not in text
    # Started through the outbox, in acme's schema; beta's endpoint got nothing.
    assert [(t.name, t.args, t.schema) for t in tasks_sent
            if t.name == "tracking.webhook_deliver_task"] == [
        ("tracking.webhook_deliver_task", (delivery.pk, "a_acme"), "a_acme")]
    assert _deliveries(world.beta.schema_name) == []
    assert beta_endpoint.pk  # it exists, subscribed to everything, and received nothing


def test_a_stage_change_and_a_closing_make_their_deliveries(world: World) -> None:
    admin = world.acme_members["admin"]
    make_endpoint(world.acme, admin, URL)
    case = make_case(world.acme, admin, first_name="Lina-Canari")
    coordinator = actor(world.acme_members["coordinator"], "coordinator")
    with schema_context(world.acme.schema_name):
        case = Case.objects.get(pk=case.pk)
        moved = case_transition(
            actor=coordinator, case=case, expected_version=case.version,
            comment="Appel à la mère de Lina-Canari",
            transition=Transition.objects.get(version__status="published",
                                              from_stage__key="received",
                                              to_stage__key="first_contact"))
        reason = item("closing_reason", "resolved")
        closed = case_close(actor=coordinator, case=moved, closed_on=moved.opened_on,
                            reason=reason, expected_version=moved.version)
    deliveries = _deliveries(world.acme.schema_name)
    assert moved.stage_entered_at is not None
    assert closed.stage_entered_at is not None
    assert [(d.event_type, d.payload) for d in deliveries] == [
        ("case.stage_changed", {"case_id": case.pk, "case_code": case.code,
                                "from_stage": "received", "to_stage": "first_contact",
                                "changed_at": moved.stage_entered_at.isoformat()}),
        ("case.stage_changed", {"case_id": case.pk, "case_code": case.code,
                                "from_stage": "first_contact", "to_stage": "closed",
                                "changed_at": closed.stage_entered_at.isoformat()}),
        ("case.closed", {"case_id": case.pk, "case_code": case.code, "stage": "closed",
                         "closed_on": closed.opened_on.isoformat(),
                         "closing_reason": "resolved"}),
    ]
    assert "Canari" not in json.dumps([d.payload for d in deliveries])


def test_a_change_rolled_back_leaves_no_delivery(world: World) -> None:
    make_endpoint(world.acme, world.acme_members["admin"], URL)
    case = make_case(world.acme, world.acme_members["admin"])
    with schema_context(world.acme.schema_name):
        def change() -> None:
            with transaction.atomic():
                webhooks_emit(event="case.closed", payload={
                    "case_id": case.pk, "case_code": case.code, "stage": None,
                    "closed_on": "2026-01-01", "closing_reason": None})
                assert WebhookDelivery.objects.count() == 1
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError, match="the change failed"):
            change()
        assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize("payload", [
    {"case_id": 1, "case_code": "2026-0001", "stage": "x", "closed_on": "2026-01-01"},
    {"case_id": 1, "case_code": "2026-0001", "stage": "x", "closed_on": "2026-01-01",
     "closing_reason": None, "first_name": "Yanis"},
    {"case_id": 1, "case_code": "Yanis Dupont", "stage": "x", "closed_on": "2026-01-01",
     "closing_reason": None},
    {"case_id": 1, "case_code": "2026-0001", "stage": {"note": "x"},
     "closed_on": "2026-01-01", "closing_reason": None},
])
def test_a_payload_with_other_keys_or_free_text_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"case\.closed"):
        payload_clean("case.closed", payload)


def test_a_delivery_is_signed_delivered_once_and_resets_the_failures(world: World) -> None:
    with running() as receiver, schema_context(world.acme.schema_name):
        endpoint, secret = make_endpoint(world.acme, world.acme_members["admin"],
                                         receiver.url)
        receiver.secret = secret
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=3)
        (delivery,) = webhooks_emit(event="case.closed", payload={
            "case_id": 7, "case_code": "2026-0007", "stage": "closed",
            "closed_on": "2026-03-01", "closing_reason": "resolved"})
        assert webhook_deliver(delivery_id=delivery.pk).status == "delivered"
        assert webhook_deliver(delivery_id=delivery.pk).status == "skipped"  # idempotent
        (call,) = receiver.calls
        delivery.refresh_from_db()
        endpoint.refresh_from_db()
    assert call.signed
    assert call.headers["Relier-Event"] == "case.closed"
    assert call.headers["Relier-Delivery"] == str(delivery.event_id)
    assert call.headers["Content-Type"] == "application/json"
    assert call.json == {"id": str(delivery.event_id), "type": "case.closed",
                         "created_at": delivery.created_at.isoformat(),
                         "data": delivery.payload}
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.last_error) == (
        "delivered", 1, 204, "")
    assert delivery.delivered_at is not None
    assert endpoint.consecutive_failures == 0


def test_failed_attempts_back_off_then_fail_and_disable_the_endpoint_with_a_notice(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    with (running(fail_first=-1) as receiver, schema_context(world.acme.schema_name),
          override_settings(RELIER_WEBHOOKS_MAX_ATTEMPTS=3, RELIER_WEBHOOKS_DISABLE_AFTER=2,
                            RELIER_WEBHOOKS_RETRY_SECONDS=30)):
        endpoint, secret = make_endpoint(world.acme, world.acme_members["admin"],
                                         receiver.url)
        receiver.secret = secret
        outcomes = []
        for code in ("2026-0001", "2026-0002"):
            (delivery,) = webhooks_emit(event="case.closed", payload={
                "case_id": 1, "case_code": code, "stage": None, "closed_on": "2026-03-01",
                "closing_reason": None})
            for _attempt in range(3):
                WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
                with django_capture_on_commit_callbacks(execute=True):
                    outcomes.append(webhook_deliver(delivery_id=delivery.pk))
        delivery.refresh_from_db()
        endpoint.refresh_from_db()
        entry = AuditLog.objects.get(action="webhook.endpoint_disabled")
    assert [(o.status, o.retry_in) for o in outcomes] == [
        ("retry", 30.0), ("retry", 60.0), ("failed", None)] * 2
    assert len(receiver.calls) == 6
    assert all(c.signed and c.answered == 503 for c in receiver.calls)
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.last_error) == (
        "failed", 3, 503, "HTTP 503")
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 2)
    assert endpoint.disabled_reason == "2 livraisons de suite ont échoué."
    assert (entry.actor_id, entry.detail) == (None, {"reason": endpoint.disabled_reason})
    (notice,) = mail.outbox
    assert notice.to == ["admin@acme.example"]
    assert receiver.url in notice.body
    assert "désactivé" in notice.subject


def test_an_early_duplicate_message_does_not_send_again_before_the_planned_retry(
        world: World) -> None:
    with running(fail_first=1) as receiver, schema_context(world.acme.schema_name):
        _endpoint, receiver.secret = make_endpoint(world.acme, world.acme_members["admin"],
                                                   receiver.url)
        with override_settings(RELIER_WEBHOOKS_RETRY_SECONDS=60):
            (delivery,) = webhooks_emit(event="case.closed", payload={
                "case_id": 1, "case_code": "2026-0001", "stage": None,
                "closed_on": "2026-03-01", "closing_reason": None})
            assert webhook_deliver(delivery_id=delivery.pk).status == "retry"
            assert webhook_deliver(delivery_id=delivery.pk).status == "skipped"
    assert len(receiver.calls) == 1


@override_settings(RELIER_WEBHOOKS_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "http://93.184.215.14/hook",
])
def test_at_delivery_time_a_private_address_is_refused_without_any_request(
        world: World, url: str) -> None:
    """An address that became private after it was checked (a name pointed elsewhere, a
    row written before the rule): the attempt fails and nothing is sent."""
    with running() as receiver, schema_context(world.acme.schema_name):
        endpoint = WebhookEndpoint.objects.create(url=url, events=["case.closed"],
                                                  secret="whsec_x")
        (delivery,) = webhooks_emit(event="case.closed", payload={
            "case_id": 1, "case_code": "2026-0001", "stage": None,
            "closed_on": "2026-03-01", "closing_reason": None})
        assert webhook_deliver(delivery_id=delivery.pk).status == "retry"
        delivery.refresh_from_db()
    assert delivery.endpoint_id == endpoint.pk
    assert delivery.last_status is None
    assert delivery.last_error in (
        "Cette adresse mène à un réseau privé ou local : seules les adresses publiques "
        "sont permises.", "L'adresse doit utiliser https:// (http n'est pas chiffré).")
    assert receiver.calls == []


def test_the_secret_is_encrypted_at_rest(world: World) -> None:
    endpoint, secret = make_endpoint(world.acme, world.acme_members["admin"], URL)
    assert secret.startswith("whsec_")
    assert len(secret) == 6 + 43
    with schema_context(world.acme.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM tracking_webhookendpoint e "
                       "WHERE id = %s", [endpoint.pk])
        (row,) = cursor.fetchone()
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    assert secret not in row
    assert secret[6:] not in row


def test_the_sweep_starts_again_only_deliveries_long_overdue_in_its_own_schema(
        world: World, tasks_sent: list[SentTask],
        django_capture_on_commit_callbacks: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tracking.webhooks.tasks import webhook_deliveries_sweep_task

    endpoint, _secret = make_endpoint(world.acme, world.acme_members["admin"], URL)
    beta_endpoint, _secret = make_endpoint(world.beta, world.beta_admin, URL)
    long_ago = timezone.now() - timedelta(minutes=30)
    with schema_context(world.beta.schema_name):
        WebhookDelivery.objects.create(endpoint=beta_endpoint, event_type="case.closed",
                                       payload={}, next_attempt_at=long_ago)
    with schema_context(world.acme.schema_name):
        lost = WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed",
                                              payload={}, next_attempt_at=long_ago)
        WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed",
                                       payload={}, next_attempt_at=timezone.now())
        WebhookDelivery.objects.create(endpoint=endpoint, event_type="case.closed",
                                       payload={}, next_attempt_at=long_ago,
                                       status="delivered")
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_sweep_task("a_acme") == 1
        with pytest.raises(RuntimeError, match="outside"):
            webhook_deliveries_sweep_task("a_beta")
    assert [(t.name, t.args, t.schema) for t in tasks_sent] == [
        ("tracking.webhook_deliver_task", (lost.pk, "a_acme"), "a_acme")]
