"""Reads of the employment programme's milestones (tenant schema). A case's milestones are
read only after `tracking.cases.selectors.access_case` let the actor open the case."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from tracking.models import Case, EmploymentMilestone, PicklistItem, PicklistKind

# The programme's network code (tracking/lists/defaults.py): a case is in the programme
# when its programme item carries it (or, without a network code, has it as its code).
PROGRAMME = "back_to_work"
# Milestone network codes the product reads to check their order (services.py).
ORIENTATION = "orientation"
FIRST_INTERVIEW = "first_interview"
TRAINING = "training"
JOB = "job_or_internship"
IN_POST = {"in_post_3_months": 3, "in_post_6_months": 6}
ONCE_PER_CASE = frozenset({ORIENTATION, FIRST_INTERVIEW})
ROLES = frozenset({ORIENTATION, FIRST_INTERVIEW, TRAINING, JOB, *IN_POST})


def _is(item: PicklistItem | None, code: str) -> bool:
    return item is not None and (item.network_code == code
                                 or (not item.network_code and item.code == code))


def in_programme(case: Case) -> bool:
    """Whether the case follows the programme toward employment."""
    return _is(case.programme, PROGRAMME)


def programme_q(prefix: str = "") -> Q:
    """Cases in the programme, as a filter on Case (or on `prefix` + Case's fields)."""
    return (Q(**{f"{prefix}programme__network_code": PROGRAMME})
            | Q(**{f"{prefix}programme__network_code": "",
                   f"{prefix}programme__code": PROGRAMME}))


def role_of(item: PicklistItem) -> str:
    """What the product knows the item means (its network code, else its code), or "" for
    an item of the association's own."""
    for code in (item.network_code, "" if item.network_code else item.code):
        if code in ROLES:
            return code
    return ""


def milestone_kinds() -> QuerySet[PicklistItem]:
    """The active milestone types, in the association's order (the form's choices)."""
    return PicklistItem.objects.filter(kind=PicklistKind.EMPLOYMENT_MILESTONE,
                                       is_archived=False).order_by("position", "label")


def milestone_list(case: Case) -> QuerySet[EmploymentMilestone]:
    """The case's milestones in the order they were reached."""
    return (EmploymentMilestone.objects.filter(case=case).select_related("kind", "recorded_by")
            .order_by("reached_on", "kind__position", "id"))


def milestones_reached(start: date, end: date,
                       cases: QuerySet[Case] | None = None) -> list[dict[str, Any]]:
    """Young people who reached each milestone type between `start` and `end` (inclusive):
    rows of kind_id, kind__label, kind__network_code and n (distinct young people)."""
    qs = EmploymentMilestone.objects.filter(reached_on__gte=start, reached_on__lte=end)
    if cases is not None:
        qs = qs.filter(case__in=cases.values("pk"))
    rows = (qs.values("kind_id", "kind__label", "kind__network_code", "kind__position")
            .annotate(n=Count("case_id", distinct=True)).order_by("kind__position"))
    return [dict(row) for row in rows]


def milestones_export(case: Case) -> list[dict[str, Any]]:
    """The case's milestones for the person's GDPR export (tracking/privacy)."""
    return [{"etape": m.kind.label, "date": m.reached_on.isoformat(), "note": m.note,
             "par": str(m.recorded_by), "enregistree_le": m.recorded_at.isoformat()}
            for m in milestone_list(case)]
