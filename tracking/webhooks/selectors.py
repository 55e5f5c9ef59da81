"""Reads of webhook endpoints and deliveries (tenant schema)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from tracking.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Active endpoints first, then the newest."""
    return WebhookEndpoint.objects.order_by("-active", "-created_at", "-id")


def webhook_endpoints_subscribed(event: str) -> QuerySet[WebhookEndpoint]:
    """The active endpoints of this association subscribed to `event`."""
    return WebhookEndpoint.objects.filter(active=True, events__contains=[event]).order_by("pk")


def access_webhook_endpoint(endpoint_id: object) -> WebhookEndpoint:
    """The endpoint of this association's schema, or 404 (another association's endpoint
    is not in this schema)."""
    try:
        pk = int(str(endpoint_id))
    except ValueError:
        raise Http404 from None
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
