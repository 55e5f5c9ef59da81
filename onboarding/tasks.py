"""Tasks of onboarding. Enqueued from the public site: they run in the public schema."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from onboarding.services.provisioning import TEMPORARY_ERRORS, signup_fail, signup_provision
from relier_platform.celery import app


@app.task(name="onboarding.signup_provision_task", bind=True, max_retries=3)
def signup_provision_task(self: Any, signup_id: int) -> str:
    """Provision a verified sign-up; returns its status. Safe to run twice."""
    try:
        return str(signup_provision(signup_id=signup_id).status)
    except TEMPORARY_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2 ** self.request.retries) from error
        signup_fail(signup_id=signup_id, message=_(
            "La création de votre espace a échoué (service momentanément indisponible). "
            "Rien n'a été créé : réessayez dans quelques minutes."))
        raise
