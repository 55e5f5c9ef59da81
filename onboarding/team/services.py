"""An admin manages the team: roles, deactivation (access and sessions end at once,
history stays), reactivation. Schema: public, plus the association's own schema for its
sessions. Every change writes an audit entry (tenants.AuditEntry)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from billing.services import subscription_seats_changed
from onboarding.team.invitations import _lock_association, _role, seat_check
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.accounts.security import sessions_end
from tenants.models import Membership, Role, User
from tenants.tenancy.services import audit, membership_deactivate


def _last_admin_guard(membership: Membership) -> None:
    """Refuse to leave the association without an active admin (call under the lock)."""
    if membership.role != Role.ADMIN or not membership.is_active:
        return
    others = Membership.objects.filter(
        association_id=membership.association_id, role=Role.ADMIN, is_active=True,
        user__is_active=True).exclude(pk=membership.pk)
    if not others.exists():
        raise ApplicationError(
            _("%(who)s est le dernier administrateur actif : nommez d'abord un autre "
              "administrateur.") % {"who": membership.user},
            code=ErrorCode.LAST_ADMIN)


def _locked(membership: Membership) -> Membership:
    _lock_association(membership.association)
    return Membership.objects.select_for_update().select_related("user", "association").get(
        pk=membership.pk)


def member_role_change(*, actor: User, membership: Membership, role: str) -> Membership:
    role = _role(role)
    with transaction.atomic():
        locked = _locked(membership)
        if locked.role == role:
            return locked
        if role != Role.ADMIN:
            _last_admin_guard(locked)
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        audit("membership.role_changed", actor=actor, association=locked.association,
              user_id=locked.user_id, role=role, previous=previous)
        # What the person may see changed: they sign in again under the new role.
        ended = sessions_end(schema_name=locked.association.schema_name,
                             user_id=locked.user_id)
        audit("membership.sessions_ended", actor=actor, association=locked.association,
              user_id=locked.user_id, sessions=ended)
    return locked


def member_deactivate(*, actor: User, membership: Membership) -> Membership:
    """End someone's access at once: the membership (checked on every request) and their
    sessions on this association's host. Nothing they recorded is touched."""
    with transaction.atomic():
        locked = _locked(membership)
        if not locked.is_active:
            return locked
        _last_admin_guard(locked)
        membership_deactivate(actor=actor, membership=locked)
        ended = sessions_end(schema_name=locked.association.schema_name,
                             user_id=locked.user_id)
        audit("membership.sessions_ended", actor=actor, association=locked.association,
              user_id=locked.user_id, sessions=ended)
        subscription_seats_changed(association=locked.association)
    return locked


def member_reactivate(*, actor: User, membership: Membership) -> Membership:
    with transaction.atomic():
        locked = _locked(membership)
        if locked.is_active:
            return locked
        seat_check(locked.association)
        locked.is_active, locked.deactivated_at = True, None
        locked.save(update_fields=["is_active", "deactivated_at"])
        audit("membership.reactivated", actor=actor, association=locked.association,
              user_id=locked.user_id)
        subscription_seats_changed(association=locked.association)
    return locked
