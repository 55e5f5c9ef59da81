"""Writes of outgoing webhooks (tenant schema): endpoints (created with a secret shown
once, disabled, enabled again, pinged), the deliveries an event makes (`webhooks_emit`,
called inside the transaction of the change it reports), and one attempt of a delivery
(`webhook_deliver`, run by tracking.webhook_deliver_task). Each admin action, and each
endpoint disabled after repeated failures, is in the association's audit log.

What leaves: ids, the case's code, stage keys, codes of the association's lists and dates
— never a name, a contact detail, a free text, a note or anything clinical. The payload of
each event has a fixed set of keys and its values are numbers or short codes with no space
(`payload_clean`), so a name cannot slip in later by mistake."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.models import Role
from tenants.outbox.services import enqueue
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import (
    Case,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracking.permissions import Actor
from tracking.webhooks import selectors, signing, targets, transport

DELIVER_TASK = "tracking.webhook_deliver_task"
PING = "ping"
MAX_ENDPOINTS = 20
# The keys each event's payload has; nothing else may be sent.
PAYLOAD_KEYS: dict[str, frozenset[str]] = {
    WebhookEvent.REFERRAL_RECEIVED: frozenset(
        {"case_id", "case_code", "stage", "detection_source", "received_at"}),
    WebhookEvent.CASE_STAGE_CHANGED: frozenset(
        {"case_id", "case_code", "from_stage", "to_stage", "changed_at"}),
    WebhookEvent.CASE_CLOSED: frozenset(
        {"case_id", "case_code", "stage", "closed_on", "closing_reason"}),
    PING: frozenset({"endpoint_id"}),
}
# A code, an id or an ISO date: no space, so no name or sentence.
_CODE = re.compile(r"[A-Za-z0-9_.:+\-]{1,64}")


def _settings_int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def payload_clean(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload, if it has exactly the keys of its event and only ids, codes and
    dates; otherwise a programming error (ValueError): nothing is sent."""
    keys = PAYLOAD_KEYS.get(event)
    if keys is None:
        raise ValueError(f"unknown webhook event {event!r}")
    if set(payload) != keys:
        raise ValueError(f"payload of {event} has keys {sorted(payload)}, not {sorted(keys)}")
    for key, value in payload.items():
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise ValueError(f"payload of {event}: {key} is not an id, a code or a date")
    return dict(payload)


def case_payload(case: Case, **fields: Any) -> dict[str, Any]:
    """The case's id and code, with the event's own fields."""
    return {"case_id": case.pk, "case_code": case.code, **fields}


def webhooks_emit(*, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery per active endpoint subscribed to `event`, each started through the
    outbox: called inside the transaction of the change, so a change rolled back sends
    nothing and a committed one is sent even if the broker was away."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    data = payload_clean(event, payload)
    event_id = uuid.uuid4()
    deliveries = []
    for endpoint in selectors.webhook_endpoints_subscribed(event):
        deliveries.append(_delivery_start(endpoint, event, event_id, data))
    return deliveries


def _delivery_start(endpoint: WebhookEndpoint, event: str, event_id: uuid.UUID,
                    data: dict[str, Any]) -> WebhookDelivery:
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=event, event_id=event_id, payload=data,
        created_at=now, next_attempt_at=now)
    enqueue(DELIVER_TASK, args=[delivery.pk, current_schema()])
    return delivery


# --- Endpoints --------------------------------------------------------------------------


def events_clean(events: Iterable[str]) -> list[str]:
    chosen = {str(e).strip() for e in events if str(e).strip()}
    if chosen - set(WebhookEvent.values):
        raise ApplicationError(_("Événement inconnu."), code=ErrorCode.VALUE_RANGE,
                               field="events")
    if not chosen:
        raise ApplicationError(_("Choisissez au moins un événement."),
                               code=ErrorCode.VALUE_RANGE, field="events")
    return [e for e in WebhookEvent.values if e in chosen]


def webhook_endpoint_create(*, actor: Actor, url: str, events: Iterable[str],
                            description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which is never shown again."""
    chosen = events_clean(events)
    description = validation.no_control_characters(str(description),
                                                   field="description").strip()
    validation.text_length(description, limit=120, field="description",
                           label=_("La description"))
    url = url.strip()
    targets.resolve(url)  # well-formed, https, public (refused with a French message)
    if selectors.webhook_endpoint_list().filter(active=True).count() >= MAX_ENDPOINTS:
        raise ApplicationError(
            _("Au plus %(n)s points de réception actifs par association.") % {"n": MAX_ENDPOINTS},
            code=ErrorCode.CAPACITY_EXCEEDED)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url, description=description, events=chosen, secret=secret,
            created_by_id=actor.id)
        audit_record(actor=actor, action="webhook.endpoint_created", obj=endpoint,
                     url=url, events=chosen)
    return endpoint, secret


def webhook_endpoint_disable(*, actor: Actor | None, endpoint: WebhookEndpoint,
                             reason: str) -> WebhookEndpoint:
    """No more deliveries to it (those waiting fail at their next attempt); idempotent."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.active:
            locked.active = False
            locked.disabled_at = timezone.now()
            locked.disabled_reason = reason[:200]
            locked.save(update_fields=["active", "disabled_at", "disabled_reason"])
            audit_record(actor=actor, action="webhook.endpoint_disabled", obj=locked,
                         reason=locked.disabled_reason)
    return locked


def webhook_endpoint_enable(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Active again, its failures forgotten; its address is checked again first."""
    targets.resolve(endpoint.url)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            locked.active, locked.disabled_at, locked.disabled_reason = True, None, ""
            locked.consecutive_failures = 0
            locked.save(update_fields=["active", "disabled_at", "disabled_reason",
                                       "consecutive_failures"])
            audit_record(actor=actor, action="webhook.endpoint_enabled", obj=locked)
    return locked


def webhook_ping(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test delivery (event `ping`) to an active endpoint, listed with the others."""
    if not endpoint.active:
        raise ApplicationError(_("Réactivez ce point de réception avant de le tester."),
                               code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        delivery = _delivery_start(endpoint, PING, uuid.uuid4(),
                                   payload_clean(PING, {"endpoint_id": endpoint.pk}))
        audit_record(actor=actor, action="webhook.ping", obj=endpoint,
                     delivery=delivery.pk)
    return delivery


# --- Deliveries whose retry was lost ------------------------------------------------------

STUCK_AFTER = timedelta(minutes=10)
RESEND_BATCH = 500


def webhook_deliveries_resend(*, stuck_after: timedelta = STUCK_AFTER) -> int:
    """Start again, through the outbox, the pending deliveries whose planned attempt is
    more than `stuck_after` late (a retry message lost with the broker, a worker killed
    between its attempt and its retry). An attempt that is only running late is not
    harmed: the attempt takes the row's lock and skips what is no longer pending."""
    late = timezone.now() - stuck_after
    ids = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING,
                                              next_attempt_at__lt=late)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:RESEND_BATCH])
    schema = current_schema()
    with transaction.atomic():
        for pk in ids:
            enqueue(DELIVER_TASK, args=[pk, schema])
    return len(ids)


# --- One attempt of a delivery (the task) -----------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # "delivered", "failed", "retry" or "skipped"
    retry_in: float | None = None  # seconds, when status is "retry"


def retry_delay(attempts: int) -> float:
    """After the n-th failed attempt: base × 2^(n-1) (30 s, 1 min, 2 min, ...)."""
    base = float(getattr(settings, "RELIER_WEBHOOKS_RETRY_SECONDS", 30))
    return base * 2 ** max(attempts - 1, 0)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """What is POSTed: the same bytes at every attempt (only the signature's time moves)."""
    return json.dumps({
        "id": str(delivery.event_id), "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(), "data": delivery.payload,
    }, separators=(",", ":"), sort_keys=True).encode()


def _attempt(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(HTTP status or None, short error) of one POST."""
    endpoint = delivery.endpoint
    try:
        target = targets.resolve(endpoint.url)
    except ApplicationError as refused:
        return None, str(refused.message)
    body = delivery_body(delivery)
    headers = {signing.SIGNATURE_HEADER: signing.sign(endpoint.secret, body),
               signing.EVENT_HEADER: delivery.event_type,
               signing.DELIVERY_HEADER: str(delivery.event_id)}
    try:
        answer = transport.post(target, body, headers)
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= answer.status < 300:
        return answer.status, ""
    return answer.status, f"HTTP {answer.status}"


def webhook_deliver(*, delivery_id: int) -> Outcome:
    """One attempt of a pending delivery, under its row lock (a duplicate message waits or
    is skipped: a delivery is never sent again once delivered). 2xx: delivered, the
    endpoint's failures reset. Otherwise retried later, up to RELIER_WEBHOOKS_MAX_ATTEMPTS
    attempts; then failed, and after RELIER_WEBHOOKS_DISABLE_AFTER failed deliveries in a
    row the endpoint is disabled and the admins told by e-mail."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
                    .select_related("endpoint").filter(pk=delivery_id).first())
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return Outcome("skipped")
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
            return Outcome("skipped")  # an early duplicate: its retry is already planned
        if not delivery.endpoint.active:
            _finish(delivery, DeliveryStatus.FAILED, None,
                    _("Point de réception désactivé."))
            return Outcome("failed")
        status, error = _attempt(delivery)
        delivery.attempts += 1
        if not error:
            _finish(delivery, DeliveryStatus.DELIVERED, status, "")
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(
                consecutive_failures=0).update(consecutive_failures=0)
            return Outcome("delivered")
        if delivery.attempts >= _settings_int("RELIER_WEBHOOKS_MAX_ATTEMPTS", 8):
            _finish(delivery, DeliveryStatus.FAILED, status, error)
            _count_failure(delivery.endpoint)
            return Outcome("failed")
        delay = retry_delay(delivery.attempts)
        delivery.last_status, delivery.last_error = status, error[:200]
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        delivery.save(update_fields=["attempts", "last_status", "last_error",
                                     "next_attempt_at"])
        return Outcome("retry", retry_in=delay)


def _finish(delivery: WebhookDelivery, status: str, http_status: int | None,
            error: str) -> None:
    delivery.status, delivery.last_error = status, error[:200]
    if http_status is not None or status == DeliveryStatus.FAILED:
        delivery.last_status = http_status
    delivery.next_attempt_at = None
    if status == DeliveryStatus.DELIVERED:
        delivery.delivered_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "last_status", "last_error",
                                 "next_attempt_at", "delivered_at"])


def _count_failure(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    limit = _settings_int("RELIER_WEBHOOKS_DISABLE_AFTER", 5)
    if not locked.active or locked.consecutive_failures < limit:
        return
    reason = _("%(n)s livraisons de suite ont échoué.") % {"n": locked.consecutive_failures}
    disabled = webhook_endpoint_disable(actor=None, endpoint=locked, reason=reason)
    schema = current_schema()
    transaction.on_commit(lambda: _tell_admins(disabled, schema), robust=True)


def _tell_admins(endpoint: WebhookEndpoint, schema: str) -> int:
    """The notice to the association's admins: which address, why; no event's content."""
    recipients = [m.user.email for m in tenant_selectors.member_list(schema_name=schema)
                  if m.role == Role.ADMIN]
    if recipients:
        send_mail(
            _("Webhooks : un point de réception a été désactivé"),
            _("Les événements ne sont plus envoyés à %(url)s : %(reason)s\n\n"
              "Vérifiez ce serveur, puis réactivez-le depuis la page « Webhooks » des "
              "paramètres de l'association (/parametres/webhooks/), où chaque livraison "
              "est listée.") % {"url": endpoint.url, "reason": endpoint.disabled_reason},
            None, recipients)
    return len(recipients)
