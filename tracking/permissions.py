"""Who may do what in an association's tracking: role defaults plus per-case grants.

Declared as data (capabilities per role); `case_visible_q` / `case_editable_q` turn them
into filters that every selector, view and export applies on the server.

Per-case grants are django-guardian object permissions with a direct key to the case
(`tracking.CaseUserObjectPermission`, in the association's schema): `view_case` to open a
case, `change_case` to edit it. The filters below read them by the permission's codename
(one join to public.auth_permission); guardian's `get_perms(user, case)` and
`user.has_perm("tracking.change_case", case)` agree with them
(tests/tracking/cases/test_grants.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q

from tenants.models import Role, User

# guardian's permissions on one case (Django's default ones of tracking.Case).
VIEW_CASE = "view_case"
CHANGE_CASE = "change_case"


class Capability(StrEnum):
    CASE_CREATE = "case_create"
    CASE_VIEW_ALL = "case_view_all"
    CASE_EDIT_ALL = "case_edit_all"
    CASE_VIEW_ASSIGNED = "case_view_assigned"
    CASE_EDIT_ASSIGNED = "case_edit_assigned"
    CASE_GRANT = "case_grant"
    CLINICAL = "clinical"  # read and write clinical notes
    INTERACTION_LOG = "interaction_log"
    PARTNER_MANAGE = "partner_manage"
    GROUP_MANAGE = "group_manage"
    GROUP_VIEW_ALL = "group_view_all"
    AWARENESS_MANAGE = "awareness_manage"
    FIGURES_READ = "figures_read"
    # See the activity figures' small counts as they are. Without it (the read-only role: a
    # board member, a funder's observer), counts from 1 to 10 are shown "< 11"
    # (tracking/figures/shown.py).
    FIGURES_EXACT = "figures_exact"
    EXPORT = "export"
    AUDIT_READ = "audit_read"
    # Read an archived case (retention: hidden from everyone's lists and searches). Admins
    # only — not the assigned psychologist: archiving restricts access to the person who
    # answers for the association's data; the young person coming back is handled by an
    # admin restoring the case, which gives the team its usual access again.
    CASE_ARCHIVED_READ = "case_archived_read"
    # Question Psy (tracking/questions/): the queue, rewording, sessions and publication;
    # writing the answers is a psychologist's work.
    QUESTION_MODERATE = "question_moderate"
    QUESTION_ANSWER = "question_answer"


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset({
        C.CASE_CREATE, C.CASE_VIEW_ALL, C.CASE_EDIT_ALL, C.CASE_GRANT, C.INTERACTION_LOG,
        C.PARTNER_MANAGE, C.GROUP_MANAGE, C.GROUP_VIEW_ALL, C.AWARENESS_MANAGE,
        C.FIGURES_READ, C.FIGURES_EXACT, C.EXPORT, C.AUDIT_READ, C.CASE_ARCHIVED_READ,
        C.QUESTION_MODERATE,
    }),
    Role.COORDINATOR: frozenset({
        C.CASE_CREATE, C.CASE_VIEW_ALL, C.CASE_EDIT_ALL, C.CASE_GRANT, C.INTERACTION_LOG,
        C.PARTNER_MANAGE, C.GROUP_MANAGE, C.GROUP_VIEW_ALL, C.AWARENESS_MANAGE,
        C.FIGURES_READ, C.FIGURES_EXACT, C.EXPORT, C.QUESTION_MODERATE,
    }),
    Role.PSYCHOLOGIST: frozenset({
        C.CASE_CREATE, C.CASE_VIEW_ASSIGNED, C.CASE_EDIT_ASSIGNED, C.CLINICAL,
        C.INTERACTION_LOG, C.GROUP_VIEW_ALL, C.FIGURES_READ, C.FIGURES_EXACT,
        C.QUESTION_MODERATE, C.QUESTION_ANSWER,
    }),
    Role.LISTENER: frozenset({
        C.CASE_CREATE, C.CASE_VIEW_ASSIGNED, C.CASE_EDIT_ASSIGNED, C.INTERACTION_LOG,
        C.GROUP_VIEW_ALL,
    }),
    # Volunteers see the exchange groups they facilitate (first names only), no case file.
    Role.VOLUNTEER: frozenset(),
    Role.READ_ONLY: frozenset({C.FIGURES_READ}),
}


@dataclass(frozen=True)
class Actor:
    """A person acting in one association, with the role of their membership there."""

    user: User
    role: str

    @property
    def id(self) -> int:
        return int(self.user.pk)

    def can(self, capability: Capability) -> bool:
        return capability in ROLE_CAPABILITIES.get(self.role, frozenset())


def _columns(model: Any, names: Iterable[str], declared_in: str) -> tuple[str, ...]:
    """The columns of `model`'s fields `names` (a name that is not a field fails loudly)."""
    from django.db import models

    columns = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or not field.column:
            raise TypeError(f"{model.__name__}.{declared_in}: {name} has no column")
        columns.append(field.column)
    return tuple(columns)


def clinical_columns() -> dict[str, tuple[str, ...]]:
    """Columns only CLINICAL reads, by table: the fields every model declares in its
    `CLINICAL_FIELDS` (a name that is not a field fails here, loudly). Every export made for
    someone without CLINICAL — the closure export of the admins first — leaves them out."""
    from django.apps import apps

    found: dict[str, tuple[str, ...]] = {}
    for model in apps.get_models(include_auto_created=True):
        names = getattr(model, "CLINICAL_FIELDS", ())
        if not names or model._meta.proxy:
            continue
        found[model._meta.db_table] = _columns(model, names, "CLINICAL_FIELDS")
    return dict(sorted(found.items()))


def clinical_row_columns() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Columns clinical only on some rows, by table: (flag column, columns) from each
    model's `CLINICAL_WHEN` — ("clinical", ("file_name",)) on a case document: the name of a
    psychologist's report is theirs, a certificate's is everyone's. Exports made for
    someone without CLINICAL blank these columns on the rows whose flag is true."""
    from django.apps import apps
    from django.db import models

    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for model in apps.get_models(include_auto_created=True):
        when = getattr(model, "CLINICAL_WHEN", None)
        if not when or model._meta.proxy:
            continue
        flag_name, names = when
        flag = model._meta.get_field(flag_name)
        if not isinstance(flag, models.BooleanField):
            raise TypeError(f"{model.__name__}.CLINICAL_WHEN: {flag_name} is no boolean")
        found[model._meta.db_table] = (str(flag.column),
                                       _columns(model, names, "CLINICAL_WHEN"))
    return dict(sorted(found.items()))


# Archived cases (tracking/privacy/retention.py) are outside every list, search, form and
# export: only the retention pages reach them, for CASE_ARCHIVED_READ.
NOT_ARCHIVED = Q(archived_at__isnull=True)


def _granted(actor: Actor, codename: str) -> Q:
    from tracking.models import CaseUserObjectPermission

    rows = CaseUserObjectPermission.objects.filter(user_id=actor.id,
                                                   permission__codename=codename)
    return Q(pk__in=rows.values("content_object_id"))


def case_visible_q(actor: Actor) -> Q:
    """Cases the actor may open: every case, or those assigned or granted to them
    (archived ones never)."""
    from tracking.models import Case

    if actor.can(C.CASE_VIEW_ALL):
        return NOT_ARCHIVED
    granted = _granted(actor, VIEW_CASE)
    if actor.can(C.CASE_VIEW_ASSIGNED):
        assigned = Case.assigned_staff.through.objects.filter(user_id=actor.id)
        return NOT_ARCHIVED & (Q(pk__in=assigned.values("case_id")) | granted)
    if actor.role == Role.READ_ONLY:
        return NOT_ARCHIVED & granted
    return Q(pk__in=[])


def case_editable_q(actor: Actor) -> Q:
    from tracking.models import Case

    if actor.can(C.CASE_EDIT_ALL):
        return NOT_ARCHIVED
    if actor.can(C.CASE_EDIT_ASSIGNED):
        assigned = Case.assigned_staff.through.objects.filter(user_id=actor.id)
        return NOT_ARCHIVED & (Q(pk__in=assigned.values("case_id"))
                               | _granted(actor, CHANGE_CASE))
    return Q(pk__in=[])
