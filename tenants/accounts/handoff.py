"""Switching association without typing the password again. Schema: public.

Cookies are host-only, so a person signed in on one association's host is signed in
nowhere else. The menu asks the current host for a pass to the target: a signed token,
valid 60 seconds, usable once (its nonce is recorded in public.HandoffToken and marked
used atomically), and only for someone with an active membership of the target.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.accounts import selectors
from tenants.models import Association, HandoffToken, User
from tenants.tenancy.services import audit

HANDOFF_SALT = "relier.tenants.handoff"
HANDOFF_MAX_AGE = 60


def _refused() -> ApplicationError:
    return ApplicationError(
        _("Ce lien de passage n'est plus valable. Reconnectez-vous."),
        code=ErrorCode.HANDOFF_INVALID,
    )


def handoff_create(*, actor: User, target: Association) -> str:
    """Return the path (on `target`'s host) that signs `actor` in there."""
    if selectors.membership_active_get(user=actor, association=target) is None:
        raise ApplicationError(
            _("Vous ne faites pas partie de cette association."), code=ErrorCode.NOT_ALLOWED
        )
    nonce = secrets.token_urlsafe(32)
    HandoffToken.objects.create(nonce=nonce, user=actor, target=target)
    token = signing.dumps({"n": nonce}, salt=HANDOFF_SALT, compress=False)
    return f"/passage/?t={token}"


def handoff_consume(*, token: str, association: Association) -> User:
    """Check a pass presented on `association`'s host; return whom it signs in."""
    try:
        payload = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature:
        raise _refused() from None
    with transaction.atomic():
        row = (
            HandoffToken.objects.select_for_update()
            .select_related("user")
            .filter(nonce=payload.get("n", ""), used_at__isnull=True, target=association)
            .first()
        )
        if row is None:
            raise _refused()
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        if selectors.membership_active_get(user=row.user, association=association) is None:
            raise _refused()
        audit("handoff.used", actor=row.user, association=association)
    return row.user
