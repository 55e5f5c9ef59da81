"""Provisioning of a verified sign-up: the association (its schema cloned from the
template, its domain), the admin's account and membership, the trial subscription and
the checklist — in ONE transaction, so a failure leaves nothing behind. Schema: public.

Safe to run twice: the sign-up row is locked for the whole transaction and a ready
sign-up is left alone. Temporary database errors propagate (the task retries them);
any other failure marks the sign-up failed with a message the person understands.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services import subscription_create
from onboarding.models import Checklist, SignUp
from relier_platform.errors import ApplicationError
from relier_platform.tenancy import db
from tenants.models import User
from tenants.tenancy.provisioning import connection_fresh
from tenants.tenancy.services import association_create, audit

logger = logging.getLogger(__name__)

TEMPORARY_ERRORS = (OperationalError, InterfaceError)


def _generic_failure() -> str:
    return _("La création de votre espace a échoué. Rien n'a été créé : vous pouvez "
             "réessayer. Si cela se reproduit, écrivez-nous, nous vous aiderons.")


def signup_fail(*, signup_id: int, message: str) -> None:
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().get(pk=signup_id)
        if signup.status == SignUp.Status.READY:
            return
        signup.status, signup.failure, signup.failed_at = (
            SignUp.Status.FAILED, message, timezone.now())
        signup.save(update_fields=["status", "failure", "failed_at"])
        audit("signup.failed", signup_id=signup.pk, reason=message[:200])


def signup_provision(*, signup_id: int) -> SignUp:
    # Before any transaction: the cloning below runs on a new backend, not on one with
    # the caches of every schema this worker has served (tenants.tenancy.provisioning).
    connection_fresh()
    if db().schema_name != "public":
        db().set_schema_to_public()
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().get(pk=signup_id)
        if signup.status not in (SignUp.Status.VERIFIED, SignUp.Status.PROVISIONING):
            return signup  # ready already, or not (or no longer) to be provisioned
        signup.status = SignUp.Status.PROVISIONING
        signup.provisioning_started_at = timezone.now()
        signup.attempts += 1
        signup.save(update_fields=["status", "provisioning_started_at", "attempts"])
    try:
        with transaction.atomic():
            signup = SignUp.objects.select_for_update().get(pk=signup_id)
            if signup.status != SignUp.Status.PROVISIONING:
                return signup  # another run finished it while this one waited
            _provision(signup)
        return signup
    except TEMPORARY_ERRORS:
        raise
    except ApplicationError as error:
        signup_fail(signup_id=signup_id, message=error.message)
    except DatabaseError as error:
        logger.exception("provisioning of sign-up %s failed", signup_id)
        signup_fail(signup_id=signup_id, message=_generic_failure())
        raise error from None
    except Exception:
        logger.exception("provisioning of sign-up %s failed", signup_id)
        signup_fail(signup_id=signup_id, message=_generic_failure())
        raise
    return SignUp.objects.get(pk=signup_id)


def _provision(signup: SignUp) -> None:
    existed = User.objects.filter(email__iexact=signup.email).exists()
    provisioned = association_create(
        actor=None, slug=signup.slug, name=signup.association_name, admin_email=signup.email,
    )
    admin = provisioned.admin
    if not existed:
        # A new account gets the password chosen in the form; an existing one keeps its own.
        admin.password = signup.password_hash
        admin.display_name = signup.contact_name
        admin.save(update_fields=["password", "display_name"])
    association = provisioned.association
    subscription_create(actor=admin, association=association)
    Checklist.objects.get_or_create(association=association)
    signup.association, signup.user = association, admin
    signup.status, signup.ready_at, signup.failure = SignUp.Status.READY, timezone.now(), ""
    signup.password_hash = ""  # the account holds it now
    signup.save(update_fields=["association", "user", "status", "ready_at", "failure",
                               "password_hash"])
    audit("signup.provisioned", actor=admin, association=association, signup_id=signup.pk,
          seconds=round(signup.provisioning_seconds or 0, 3))
