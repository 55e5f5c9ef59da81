"""Reads of a person's to-do list (tenant schema): the items of every source, their count
for the notice in the navigation (one query, cached a minute), the tasks a person gave.

A source is two functions of (actor, day): `items`, what the list shows, and `due`, a
queryset with one row per item due that day or before (None when the person has no such
item, e.g. referrals for a listener). Adding a source is adding one `Source(...)` to
`SOURCES`; the counter sums every source's `due` in one SQL statement. A source whose
items are not rows of a table (a list built in Python) may give `due=None` and a
`count` function instead: one more query for the counter.

Nothing here names a young person: items carry a case's code only when the person may
read that case, never its first name or free text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relier_platform.cache import LocalMemo
from tenants.models import Role
from tracking.dropin.selectors import slots_of_day
from tracking.models import BookingStatus, Case, DigestPreference, DropinBooking, Referral, Task
from tracking.permissions import Actor, case_visible_q

# Who receives referrals (tracking/cases/tasks.py tells them) and acknowledges them.
REFERRAL_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
COUNT_SECONDS = 60  # the notice counter is cached this long (and dropped on a change)
RECENTLY_DONE_DAYS = 7


class Kind:
    FOLLOW_UP = "follow_up"
    REFERRAL = "referral"
    TASK = "task"
    DROPIN = "dropin"


KIND_LABELS = {
    Kind.FOLLOW_UP: gettext_lazy("Relance"),
    Kind.REFERRAL: gettext_lazy("Signalement"),
    Kind.TASK: gettext_lazy("Tâche"),
    Kind.DROPIN: gettext_lazy("Permanence"),
}


@dataclass(frozen=True)
class TodoItem:
    kind: str
    due_on: date
    overdue: bool
    label: str  # never a young person's name nor a case's free text
    url: str = ""  # where to act (empty when the person may not open it)
    case_code: str = ""  # only for a case the person may read
    task: Task | None = None
    referral_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


@dataclass(frozen=True)
class Source:
    name: str
    items: Callable[[Actor, date], list[TodoItem]]
    due: Callable[[Actor, date], QuerySet[Any] | None]
    count: Callable[[Actor, date], int] | None = field(default=None)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# --- Follow-ups due from the workflow's time limits ----------------------------------------

def _follow_ups_due(actor: Actor, day: date) -> QuerySet[Case]:
    """The person's cases (assigned, readable) whose stage's time limit falls on `day` or
    before: the follow-up is due."""
    limit = ExpressionWrapper(F("stage__time_limit_hours") * timedelta(hours=1),
                              output_field=DurationField())
    deadline = ExpressionWrapper(Value(_end_of(day), output_field=DateTimeField()) - limit,
                                 output_field=DateTimeField())
    mine = Case.assigned_staff.through.objects.filter(user_id=actor.id)
    return Case.objects.filter(
        case_visible_q(actor), Q(pk__in=mine.values("case_id")),
        archived_at__isnull=True, closed_on__isnull=True, stage__is_open=True,
        stage__time_limit_hours__isnull=False, stage_entered_at__lt=deadline,
    )


def follow_up_items(actor: Actor, day: date) -> list[TodoItem]:
    items = []
    for case in _follow_ups_due(actor, day).select_related("stage").order_by("stage_entered_at"):
        stage = case.stage
        hours = stage.time_limit_hours if stage is not None else None
        if stage is None or hours is None or case.stage_entered_at is None:
            continue  # the query keeps only cases with both
        due = timezone.localdate(case.stage_entered_at + timedelta(hours=hours))
        items.append(TodoItem(
            kind=Kind.FOLLOW_UP, due_on=due, overdue=due < day, case_code=case.code,
            url=f"/dossiers/{case.pk}/",
            label=_("Faire avancer le dossier %(code)s (étape « %(stage)s »)")
            % {"code": case.code, "stage": stage.name},
        ))
    return items


# --- Referrals to acknowledge --------------------------------------------------------------

def _referrals_due(actor: Actor, day: date) -> QuerySet[Referral] | None:
    if actor.role not in REFERRAL_ROLES:
        return None
    visible = Case.objects.filter(case_visible_q(actor))
    return Referral.objects.filter(acknowledgement__isnull=True, case__in=visible,
                                   received_at__lt=_end_of(day))


def referral_items(actor: Actor, day: date) -> list[TodoItem]:
    due = _referrals_due(actor, day)
    if due is None:
        return []
    items = []
    for referral in due.select_related("case").order_by("received_at"):
        received = timezone.localdate(referral.received_at)
        items.append(TodoItem(
            kind=Kind.REFERRAL, due_on=received, overdue=received < day,
            case_code=referral.case.code, url=f"/dossiers/{referral.case_id}/",
            referral_id=referral.pk,
            label=_("Accuser réception du signalement (dossier %(code)s)")
            % {"code": referral.case.code},
        ))
    return items


# --- Tasks given to the person -------------------------------------------------------------

def _open(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.filter(done_at__isnull=True, cancelled_at__isnull=True)


def _tasks_due(actor: Actor, day: date) -> QuerySet[Task]:
    return _open(Task.objects.filter(assignee_id=actor.id, due_on__lte=day))


def _with_case_access(qs: QuerySet[Task], actor: Actor) -> QuerySet[Task]:
    """Each task says whether the person may read its case (`case_readable`): the code and
    the link are shown only then."""
    readable = Case.objects.filter(case_visible_q(actor), pk=OuterRef("case_id"))
    return (qs.annotate(case_readable=Exists(readable))
            .select_related("case", "created_by", "assignee"))


def _task_item(task: Task, day: date) -> TodoItem:
    readable = bool(getattr(task, "case_readable", False)) and task.case is not None
    return TodoItem(
        kind=Kind.TASK, due_on=task.due_on, overdue=task.is_open and task.due_on < day,
        label=task.title, task=task,
        case_code=task.case.code if readable and task.case else "",
        url=f"/dossiers/{task.case_id}/" if readable else "",
    )


def task_items(actor: Actor, day: date) -> list[TodoItem]:
    """Every open task of the person, due or not yet: the list shows what comes next too."""
    tasks = _with_case_access(_open(Task.objects.filter(assignee_id=actor.id)), actor)
    return [_task_item(task, day) for task in tasks.order_by("due_on", "id")]


# --- Drop-in hours of the day (tracking/dropin) -------------------------------------------

def _dropin_due(actor: Actor, day: date) -> QuerySet[DropinBooking]:
    """The psychologist's booked slots of `day` not yet held nor marked absent."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return DropinBooking.objects.filter(
        schedule__psychologist_id=actor.id, status=BookingStatus.BOOKED,
        starts_at__gte=start, starts_at__lt=_end_of(day))


def dropin_items(actor: Actor, day: date) -> list[TodoItem]:
    """The slot's time and mode; never who booked it (nor the case's code)."""
    items = []
    for booking in slots_of_day(actor.user, day):
        if booking.status != BookingStatus.BOOKED:
            continue
        at = timezone.localtime(booking.starts_at).strftime("%H:%M")
        items.append(TodoItem(
            kind=Kind.DROPIN, due_on=day, overdue=False, url="/permanences/",
            label=_("Permanence à %(time)s (%(mode)s)")
            % {"time": at, "mode": booking.get_mode_display()},
        ))
    return items


SOURCES: list[Source] = [
    Source("follow_ups", follow_up_items, _follow_ups_due),
    Source("referrals", referral_items, _referrals_due),
    Source("tasks", task_items, _tasks_due),
    Source("dropin", dropin_items, _dropin_due),
]


def todo_list(*, actor: Actor, day: date | None = None,
              sources: Iterable[Source] | None = None) -> list[TodoItem]:
    """Every item of the person, by due date (the overdue first), then by source."""
    day = day or timezone.localdate()
    chosen = list(SOURCES if sources is None else sources)
    order = {source.name: index for index, source in enumerate(chosen)}
    items = [(order[source.name], item) for source in chosen for item in source.items(actor, day)]
    return [item for _order, item in sorted(items, key=lambda pair: (pair[1].due_on, pair[0]))]


def todo_due_count(*, actor: Actor, day: date | None = None) -> int:
    """How many items are due `day` or before, in one SQL statement (plus one per source
    that only counts in Python)."""
    day = day or timezone.localdate()
    parts: list[str] = []
    params: list[Any] = []
    total = 0
    for source in SOURCES:
        qs = source.due(actor, day)
        if qs is not None:
            try:
                sql, more = qs.order_by().values("pk").query.sql_with_params()
            except EmptyResultSet:  # a filter that matches nothing (no case to read)
                continue
            # Django's own compiled SQL, its values as parameters: nothing typed by anyone.
            parts.append(f"(SELECT count(*) FROM ({sql}) AS due_{len(parts)})")  # noqa: S608
            params.extend(more)
        elif source.count is not None:
            total += source.count(actor, day)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + " + ".join(parts), params)
            total += int(cursor.fetchone()[0])
    return total


def _count_key(user_id: int, role: str) -> str:
    # The cache's key function adds the schema: one association's count never serves another.
    return f"todo:due:{user_id}:{role}"


# This process's copy of the counts (relier_platform.cache.LocalMemo: a few seconds, in front
# of the shared cache), forgotten here by the services that change them (_forget_counts).
COUNTS = LocalMemo("to-do counts")


def todo_due_count_cached(*, actor: Actor) -> int:
    return int(COUNTS.shared(_count_key(actor.id, actor.role),
                             lambda: todo_due_count(actor=actor), COUNT_SECONDS))


def todo_count_keys(user_ids: Iterable[int]) -> list[str]:
    return [_count_key(user_id, role) for user_id in user_ids for role in Role.values]


# --- Tasks a person gave, and recently done ------------------------------------------------

def tasks_given(*, actor: Actor, day: date | None = None, limit: int = 50) -> list[TodoItem]:
    """Open tasks the person gave to someone else (they may cancel them)."""
    day = day or timezone.localdate()
    qs = _open(Task.objects.filter(created_by_id=actor.id)).exclude(assignee_id=actor.id)
    return [_task_item(task, day)
            for task in _with_case_access(qs, actor).order_by("due_on", "id")[:limit]]


def tasks_recently_done(*, actor: Actor, day: date | None = None) -> list[TodoItem]:
    day = day or timezone.localdate()
    since = _end_of(day) - timedelta(days=RECENTLY_DONE_DAYS + 1)
    qs = Task.objects.filter(assignee_id=actor.id, done_at__gte=since,
                             cancelled_at__isnull=True)
    return [_task_item(task, day)
            for task in _with_case_access(qs, actor).order_by("-done_at", "-id")[:20]]


def task_item_get(*, actor: Actor, task: Task, day: date | None = None) -> TodoItem:
    """One task as the list shows it to the person (its case only if they may read it)."""
    found = _with_case_access(Task.objects.filter(pk=task.pk), actor).get()
    return _task_item(found, day or timezone.localdate())


def access_task(actor: Actor, task_id: Any) -> Task:
    """A task the person was given or gave; 404 for any other, alike."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise Http404 from None
    task = (Task.objects.filter(Q(assignee_id=actor.id) | Q(created_by_id=actor.id), pk=pk)
            .first())
    if task is None:
        raise Http404
    return task


def digest_wanted(*, user_id: int) -> bool:
    return not DigestPreference.objects.filter(user_id=user_id, daily_digest=False).exists()
