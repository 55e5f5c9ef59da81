"""Writes of the to-do list (tenant schema): tasks given, done, undone and cancelled (never
deleted), referrals acknowledged, the digest switched on or off, and the daily digest.

Every change of someone's items drops their cached notice count after the commit."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.tenancy.services import association_host, site_url
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import Case, DigestPreference, Referral, ReferralAcknowledgement, Task
from tracking.permissions import Actor, case_visible_q
from tracking.todo.models import TITLE_MAX
from tracking.todo.selectors import COUNTS, REFERRAL_ROLES, Kind, todo_count_keys, todo_list

log = logging.getLogger(__name__)
MAX_AHEAD = timedelta(days=2 * 366)
TODO_PATH = "/taches/"


def _forget_counts(user_ids: Iterable[int]) -> None:
    keys = todo_count_keys(set(user_ids))

    def forget() -> None:
        COUNTS.forget_shared(*keys)
        cache.delete_many(keys)

    transaction.on_commit(forget)


def _refused(message: str, *, field: str | None = None,
             code: ErrorCode = ErrorCode.VALUE_RANGE) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


@dataclass
class TaskData:
    title: str
    due_on: date | None
    assignee_id: int | None
    case_code: str = ""


def task_create(*, actor: Actor, data: TaskData) -> Task:
    """Give a task to a member of this association (oneself included), optionally linked to
    a case the giver may read. Refused with a clear message, nothing saved, when the title
    is missing or too long, the date is missing, past or too far, the person is not of the
    team, or the case is not one the giver may read."""
    title = " ".join(data.title.split())
    if not title:
        raise _refused(_("Donnez un intitulé à la tâche."), field="title")
    validation.text_length(title, limit=TITLE_MAX, field="title", label=_("L'intitulé"))
    today = timezone.localdate()
    if data.due_on is None:
        raise _refused(_("Indiquez une date d'échéance valide."), field="due_on")
    if data.due_on < today:
        raise _refused(_("La date d'échéance est déjà passée."), field="due_on")
    if data.due_on > today + MAX_AHEAD:
        raise _refused(_("La date d'échéance est trop lointaine (deux ans au plus)."),
                       field="due_on")
    if data.assignee_id is None:
        raise _refused(_("Choisissez la personne à qui confier la tâche."), field="assignee",
                       code=ErrorCode.STAFF_NOT_MEMBER)
    validation.staff_members([data.assignee_id], field="assignee")
    case = None
    code = data.case_code.strip()
    if code:
        case = Case.objects.filter(case_visible_q(actor), code__iexact=code).first()
        if case is None:
            raise _refused(_("Aucun dossier que vous pouvez consulter ne porte ce numéro."),
                           field="case_code", code=ErrorCode.NOT_FOUND)
    with transaction.atomic():
        task = Task.objects.create(title=title, due_on=data.due_on, case=case,
                                   assignee_id=data.assignee_id, created_by_id=actor.id)
        audit_record(actor=actor, action="task.created", obj=task,
                     assignee=data.assignee_id, due_on=data.due_on.isoformat(),
                     case=case.pk if case else None)
        _forget_counts([data.assignee_id])
    return task


def _may_change(actor: Actor, task: Task) -> bool:
    return actor.id in (task.assignee_id, task.created_by_id)


def task_mark(*, actor: Actor, task: Task, done: bool) -> Task:
    """Done, or back to do: by the person who has it or the one who gave it."""
    if not _may_change(actor, task):
        raise _refused(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.cancelled_at is not None:
            raise _refused(_("Cette tâche a été annulée."), code=ErrorCode.CONFLICT)
        if done == (task.done_at is not None):
            return task  # a second click changes nothing
        task.done_at = timezone.now() if done else None
        task.done_by_id = actor.id if done else None
        task.save(update_fields=["done_at", "done_by"])
        audit_record(actor=actor, action="task.done" if done else "task.undone", obj=task)
        _forget_counts([task.assignee_id])
    return task


def task_cancel(*, actor: Actor, task: Task) -> Task:
    """Cancelled by the person who gave it (kept, with who and when): it leaves the lists."""
    if actor.id != task.created_by_id:
        raise _refused(_("Seule la personne qui a confié la tâche peut l'annuler."),
                       code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.cancelled_at is not None:
            return task
        if task.done_at is not None:
            raise _refused(_("Cette tâche est déjà faite."), code=ErrorCode.CONFLICT)
        task.cancelled_at = timezone.now()
        task.cancelled_by_id = actor.id
        task.save(update_fields=["cancelled_at", "cancelled_by"])
        audit_record(actor=actor, action="task.cancelled", obj=task)
        _forget_counts([task.assignee_id])
    return task


def referral_acknowledge(*, actor: Actor, referral_id: int) -> ReferralAcknowledgement:
    """The team has taken the referral in hand: it leaves every admin's and coordinator's
    list. Acknowledging twice keeps the first acknowledgement."""
    if actor.role not in REFERRAL_ROLES:
        raise _refused(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    visible = Case.objects.filter(case_visible_q(actor))
    referral = Referral.objects.filter(pk=referral_id, case__in=visible).first()
    if referral is None:
        raise _refused(_("Ce signalement est introuvable."), code=ErrorCode.NOT_FOUND)
    with transaction.atomic():
        acknowledgement, created = ReferralAcknowledgement.objects.get_or_create(
            referral=referral, defaults={"by_id": actor.id})
        if created:
            audit_record(actor=actor, action="referral.acknowledged", obj=referral.case)
            handlers = tenant_selectors.member_list(schema_name=current_schema())
            _forget_counts(m.user_id for m in handlers if m.role in REFERRAL_ROLES)
    return acknowledgement


def digest_preference_set(*, actor: Actor, daily_digest: bool) -> DigestPreference:
    with transaction.atomic():
        preference, _created = DigestPreference.objects.select_for_update().get_or_create(
            user_id=actor.id)
        if preference.daily_digest != daily_digest:
            preference.daily_digest = daily_digest
            preference.save(update_fields=["daily_digest"])
            audit_record(actor=actor, action="todo.digest_preference", obj=preference,
                         daily_digest=daily_digest)
    return preference


# --- The daily digest --------------------------------------------------------------------

def _digest_lines(counts: Counter[str], overdue: Counter[str]) -> list[str]:
    """One line per kind of item: counts only — no name, no title, no case code."""
    labels = {
        Kind.TASK: _("Tâches à faire : %(count)s, dont %(overdue)s en retard"),
        Kind.FOLLOW_UP: _("Dossiers à faire avancer (délai de l'étape) : %(count)s, "
                          "dont %(overdue)s en retard"),
        Kind.REFERRAL: _("Signalements dont accuser réception : %(count)s"),
        Kind.DROPIN: _("Permanences du jour : %(count)s"),
    }
    return [f"- {labels[kind] % {'count': counts[kind], 'overdue': overdue[kind]}}"
            for kind in labels if counts[kind]]


def digest_compose(*, actor: Actor, association_name: str, url: str,
                   day: date) -> tuple[str, str] | None:
    """The subject and body of the person's digest, or None when nothing is due."""
    due = [item for item in todo_list(actor=actor, day=day) if item.due_on <= day]
    if not due:
        return None
    counts = Counter(item.kind for item in due)
    overdue = Counter(item.kind for item in due if item.overdue)
    subject = (_("%(association)s : %(count)s à faire aujourd'hui")
               % {"association": association_name, "count": len(due)})
    body = "\n".join([
        _("Bonjour,"), "",
        _("Voici ce qui vous attend aujourd'hui dans l'espace de %(association)s :")
        % {"association": association_name},
        *_digest_lines(counts, overdue), "",
        _("Pour les voir : %(url)s") % {"url": url}, "",
        _("Vous recevez ce message les jours où quelque chose vous attend. Pour ne plus le "
          "recevoir, décochez « Récapitulatif quotidien par e-mail » sur cette même page."),
    ])
    return subject, body


def digests_send(*, schema_name: str, day: date | None = None) -> int:
    """E-mail each member who wants it the day's digest, once a day; return how many were
    sent. Safe to run twice: the day of the last digest is recorded with the sending (a
    mail server that fails rolls it back, and the next run sends it)."""
    day = day or timezone.localdate()
    association = tenant_selectors.association_list().get(schema_name=schema_name)
    url = site_url(association_host(association.slug), TODO_PATH)
    sent = 0
    for membership in tenant_selectors.member_list(schema_name=schema_name):
        actor = Actor(user=membership.user, role=membership.role)
        try:
            with transaction.atomic():
                preference, _created = (DigestPreference.objects.select_for_update()
                                        .get_or_create(user_id=actor.id))
                if not preference.daily_digest or preference.last_sent_on == day:
                    continue
                message = digest_compose(actor=actor, association_name=association.name,
                                         url=url, day=day)
                if message is None:
                    continue
                preference.last_sent_on = day
                preference.save(update_fields=["last_sent_on"])
                send_mail(message[0], message[1], None, [membership.user.email])
        except OSError:  # the mail server: nothing recorded, the next run tries again
            log.exception("digest of member %s not sent; retried next run", actor.id)
            continue
        sent += 1
    return sent


# --- Erasure of a young person's data (tracking/privacy) ---------------------------------

def tasks_scrub(*, case: Case, strings: list[str], replacement: str) -> int:
    """Titles are free text: on the erasure of a case, the title of every task linked to it
    and of any task that mentions one of its personal strings (first name, code …) is
    replaced. The tasks stay (with their dates, who and when). Returns how many changed."""
    pattern = (re.compile("|".join(re.escape(s) for s in strings), re.IGNORECASE)
               if strings else None)
    touched = 0
    # Titles are encrypted: read in Python, not searched in SQL.
    for task in Task.objects.select_for_update().only("id", "title", "case_id").order_by("pk"):
        mentions = pattern is not None and pattern.search(task.title) is not None
        if (task.case_id == case.pk or mentions) and task.title != replacement:
            setattr(task, "title", replacement)  # encrypted fields are typed as fields  # noqa: B010
            task.save(update_fields=["title"])
            touched += 1
    return touched
