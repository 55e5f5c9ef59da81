"""Invented tasks for the demo's to-do lists (/taches/): each member is given a few by a
coordinator (or the admin), some overdue, some due today, some coming, a few already done;
some linked to a case the person follows. Titles name no young person (the list and the
digest never do): the case is linked by its number."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

TITLES = (
    "Rappeler le CPE du collège pour le point mensuel",
    "Préparer la séance du groupe d'échange de jeudi",
    "Relire le compte rendu de la sensibilisation",
    "Envoyer le bilan trimestriel au financeur",
    "Vérifier le consentement signé du dossier",
    "Proposer un créneau de permanence à la famille",
    "Faire le point avec l'assistante sociale du lycée",
    "Mettre à jour la fiche du partenaire",
)
# Due in so many days from today: negative ones are overdue.
DUE_IN = (-6, -2, -1, 0, 0, 2, 5, 9)


def demo_tasks(*, schema_name: str, staff_ids_by_role: dict[str, list[int]],
               seed: int = 0) -> int:
    """Give each member of the association two to four tasks; return how many were made."""
    from tracking.models import Case, Task

    rng = random.Random(seed)  # noqa: S311 — invented demo data, not a secret
    givers = staff_ids_by_role.get("coordinator") or staff_ids_by_role.get("admin") or []
    if not givers:
        return 0
    today = timezone.localdate()
    rows = []
    with schema_context(schema_name):
        for role, ids in sorted(staff_ids_by_role.items()):
            if role == "read_only":
                continue
            for person in ids:
                followed = list(Case.objects.filter(
                    assigned_staff=person, closed_on__isnull=True, archived_at__isnull=True)
                    .order_by("id").values_list("id", flat=True)[:5])
                for index in range(rng.randint(2, 4)):
                    due = today + timedelta(days=rng.choice(DUE_IN))
                    given = timezone.make_aware(datetime.combine(
                        min(due, today) - timedelta(days=rng.randint(1, 10)), time(9, 30)))
                    done = index == 3 or (due < today and rng.random() < 0.3)
                    rows.append(Task(
                        title=rng.choice(TITLES), due_on=due, assignee_id=person,
                        created_by_id=rng.choice(givers), created_at=given,
                        case_id=followed[index] if index < len(followed) and index % 2 else None,
                        done_at=given + timedelta(days=1) if done else None,
                        done_by_id=person if done else None,
                    ))
        Task.objects.bulk_create(rows)
    return len(rows)
