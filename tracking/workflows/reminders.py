"""Reminders for cases past their stage's time limit: once per breach, never per run.

The e-mail is sent inside the transaction that records the reminder, before its commit
(not after, as other side effects are): a mail server that fails rolls the reminder back,
so the next run (every 15 minutes) tries again — a reminder is never lost. The price is a
rare duplicate, if the commit fails after the e-mail left."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tenants.accounts import selectors as tenant_selectors
from tracking.audit.services import audit_record
from tracking.cases.selectors import overdue_q
from tracking.models import Case, OverdueReminder

log = logging.getLogger(__name__)


def overdue_reminders_send(*, schema_name: str) -> int:
    """E-mail the assigned staff of each newly overdue case; return how many cases were
    reminded. A case already reminded for this stay on this stage is skipped, so the
    periodic job can run as often as it likes."""
    members = {m.user_id: m.user.email
               for m in tenant_selectors.member_list(schema_name=schema_name)}
    reminded = 0
    overdue = (Case.objects.filter(overdue_q()).select_related("stage")
               .prefetch_related("assigned_staff"))
    for case in overdue:
        if case.stage is None or case.stage_entered_at is None:
            continue
        if OverdueReminder.objects.filter(
                case=case, stage=case.stage, stage_entered_at=case.stage_entered_at).exists():
            continue
        recipients = sorted(members[u.pk] for u in case.assigned_staff.all() if u.pk in members)
        try:
            with transaction.atomic():
                OverdueReminder.objects.create(case=case, stage=case.stage,
                                               stage_entered_at=case.stage_entered_at,
                                               recipients=len(recipients))
                audit_record(actor=None, action="case.overdue_reminder", obj=case,
                             recipients=len(recipients))
                if recipients:
                    send_mail(
                        _("Dossier %(code)s : délai dépassé") % {"code": case.code},
                        _("Le dossier %(code)s est à l'étape « %(stage)s » depuis plus "
                          "longtemps que prévu. Connectez-vous pour le faire avancer.")
                        % {"code": case.code, "stage": case.stage.name},
                        None, recipients,
                    )
        except IntegrityError:
            continue  # another run reminded it a moment ago
        except OSError:  # the mail server: nothing recorded, the next run tries again
            log.exception("overdue reminder of case %s not sent; retried next run", case.pk)
            continue
        reminded += 1
    return reminded
