"""Invented milestones of the programme toward employment for the demonstration: the
young people of the back-to-work programme are oriented by the employment agency, meet a
first employer or counsellor, some train, some find a job or an internship, and most of
those are still in post 3 and 6 months later. They keep the rules of
tracking/employment/services.py: nothing in the future or before the case opened, "still
in post" at least 3 (6) months after the job, each milestone once (trainings aside)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from relier_platform.demo.rows import Plan, bulk
from tracking.employment.selectors import PROGRAMME
from tracking.employment.services import add_months
from tracking.models import EmploymentMilestone, PicklistItem, PicklistKind

NOTES = ["Atelier CV fait avec la conseillère.", "A besoin d'être rassuré avant les entretiens.",
         "Très motivé par les métiers de la logistique.", "Contrat de 6 mois renouvelable.",
         "", "", "", ""]


def make_milestones(rng: random.Random, plans: Sequence[Plan], today: date,
                    item: Callable[[str, str], PicklistItem | None]) -> int:
    """The milestones of the cases whose programme is the back-to-work one."""
    kinds = {code: item(PicklistKind.EMPLOYMENT_MILESTONE, code) for code in (
        "orientation", "first_interview", "training", "job_or_internship",
        "in_post_3_months", "in_post_6_months")}
    rows: list[EmploymentMilestone] = []

    def add(code: str, day: date, by: int) -> bool:
        kind = kinds[code]
        if kind is None or kind.code != code or day > today:
            return False
        rows.append(EmploymentMilestone(case_id=plan.case.pk, kind=kind, reached_on=day,
                                        note=rng.choice(NOTES), recorded_by_id=by))
        return True

    for plan in plans:
        programme = plan.case.programme
        if programme is None or PROGRAMME not in (programme.network_code, programme.code):
            continue
        by = plan.staff[0]
        day = plan.case.opened_on
        add("orientation", day, by)
        day += timedelta(days=rng.randint(7, 30))
        if not add("first_interview", day, by):
            continue
        if rng.random() < 0.6:
            day += timedelta(days=rng.randint(14, 60))
            add("training", day, by)
        if rng.random() < 0.55:
            day += timedelta(days=rng.randint(20, 90))
            if add("job_or_internship", day, by):
                for code, months in (("in_post_3_months", 3), ("in_post_6_months", 6)):
                    if rng.random() < 0.8:
                        if not add(code, add_months(day, months) + timedelta(
                                days=rng.randint(0, 10)), by):
                            break
                    else:
                        break
    return bulk(EmploymentMilestone, rows)
