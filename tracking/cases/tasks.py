"""The referral's notice to the staff, as a Celery task. It runs in the schema it was
enqueued from (tenant-schemas-celery), takes the schema name and refuses any other."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.models import Role
from tracking.models import Referral


# OSError: a refused connection, a timeout (EMAIL_TIMEOUT), any SMTP error — all retried.
@app.task(name="tracking.referral_notify_task", autoretry_for=(OSError,),
          retry_backoff=True, max_retries=5)
def referral_notify_task(referral_id: int, schema_name: str) -> int:
    """Tell the team that a referral arrived (no detail in the e-mail: sign in to read it).
    Returns how many people were told (0 when the referral was already notified).

    Safe to run twice: the referral row is locked while the notice is sent and marked
    (`notified_at`), so a duplicate delivery (the outbox, a late ack) sends nothing. A crash
    between the send and the commit of the mark may still send it again: at least once,
    not exactly once. A failed send rolls the mark back, and the retry sends it."""
    if current_schema() != schema_name:
        raise RuntimeError("referral_notify_task ran outside its association's schema")
    with transaction.atomic():
        referral = (Referral.objects.select_for_update(of=("self",))
                    .select_related("case").filter(pk=referral_id).first())
        if referral is None or referral.notified_at is not None:
            return 0
        recipients = [
            m.user.email for m in tenant_selectors.member_list(schema_name=schema_name)
            if m.role in (Role.ADMIN, Role.COORDINATOR)
        ]
        if recipients:
            send_mail(
                _("Nouveau signalement reçu (%(code)s)") % {"code": referral.case.code},
                _("Un nouveau signalement est arrivé par le formulaire en ligne. "
                  "Connectez-vous à l'espace de l'association pour le lire : dossier "
                  "%(code)s.") % {"code": referral.case.code},
                None, recipients,
            )
        referral.notified_at = timezone.now()
        referral.save(update_fields=["notified_at"])
    return len(recipients)
