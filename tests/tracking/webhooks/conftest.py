"""Helpers of the webhook tests: an endpoint made through the service."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.models import Association, User
from tests.tracking.factories import actor
from tracking.models import WebhookEndpoint
from tracking.webhooks.services import webhook_endpoint_create

ALL_EVENTS = ["referral.received", "case.stage_changed", "case.closed"]


def make_endpoint(association: Association, admin: User, url: str,
                  events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
    with schema_context(association.schema_name):
        return webhook_endpoint_create(actor=actor(admin, "admin"), url=url,
                                       events=events or ALL_EVENTS)
