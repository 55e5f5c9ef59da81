"""The first-run checklist: an admin confirms a step by hand or dismisses the list."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.models import Checklist
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, User
from tenants.tenancy.services import audit

# Steps whose "done" an admin may state ("the ready template suits us").
CONFIRMABLE = ("workflow", "picklists")


def checklist_step_confirm(*, actor: User, association: Association, step: str) -> Checklist:
    if step not in CONFIRMABLE:
        raise ApplicationError(_("Cette étape se coche d'elle-même quand elle est faite."),
                               code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        checklist, _created = Checklist.objects.select_for_update().get_or_create(
            association=association)
        if step not in checklist.confirmed_steps:
            checklist.confirmed_steps = [*checklist.confirmed_steps, step]
            checklist.save(update_fields=["confirmed_steps"])
            audit("checklist.confirmed", actor=actor, association=association, step=step)
    return checklist


def checklist_dismiss(*, actor: User, association: Association) -> Checklist:
    with transaction.atomic():
        checklist, _created = Checklist.objects.select_for_update().get_or_create(
            association=association)
        if checklist.dismissed_at is None:
            checklist.dismissed_at, checklist.dismissed_by = timezone.now(), actor
            checklist.save(update_fields=["dismissed_at", "dismissed_by"])
            audit("checklist.dismissed", actor=actor, association=association)
    return checklist
