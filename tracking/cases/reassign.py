"""Hand a person's open cases over to a colleague (team management). Schema: tenant.

A case's referents are its `assigned_staff`; the leaving person is replaced by the
colleague on every open case they hold (closed cases keep their history as it was).
Each case moved gets a version bump (optimistic lock) and an audit entry.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import Case
from tracking.permissions import Actor


def open_case_counts() -> dict[int, int]:
    """Open cases per referent (one query), for the team page."""
    through = Case.assigned_staff.through
    rows = (through.objects.filter(case__closed_on__isnull=True).values("user_id")
            .annotate(n=Count("case_id")).values_list("user_id", "n"))
    return {int(user_id): int(n) for user_id, n in rows}


def cases_reassign(*, actor: Actor, from_user_id: int, to_user_id: int) -> list[int]:
    """Move every open case of `from_user_id` to `to_user_id` (an active member);
    returns the ids of the cases moved."""
    if from_user_id == to_user_id:
        raise ApplicationError(_("Choisissez une autre personne que celle qui part."),
                               code=ErrorCode.STAFF_NOT_MEMBER, field="to_user")
    validation.staff_members([to_user_id], field="to_user")
    with transaction.atomic():
        cases = list(Case.objects.select_for_update()
                     .filter(assigned_staff=from_user_id, closed_on__isnull=True)
                     .order_by("pk"))
        through = Case.assigned_staff.through
        ids = [case.pk for case in cases]
        through.objects.filter(case_id__in=ids, user_id=from_user_id).delete()
        already = set(through.objects.filter(case_id__in=ids, user_id=to_user_id)
                      .values_list("case_id", flat=True))
        through.objects.bulk_create([through(case_id=i, user_id=to_user_id)
                                     for i in ids if i not in already])
        Case.objects.filter(pk__in=ids).update(version=F("version") + 1,
                                               updated_at=timezone.now())
        for case in cases:
            audit_record(actor=actor, action="case.reassign", obj=case,
                         from_user=from_user_id, to_user=to_user_id)
    return ids
