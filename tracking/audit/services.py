"""The association's audit log (append-only, tenant schema)."""

from __future__ import annotations

from typing import Any

from django.db import models

from tracking.models import AuditLog
from tracking.permissions import Actor


def audit_record(
    *, actor: Actor | None, action: str, obj: models.Model | None = None,
    ip_address: str | None = None, **detail: Any,
) -> AuditLog:
    return AuditLog.objects.create(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address,
        detail=detail,
    )
