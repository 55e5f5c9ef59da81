"""Checks shared by the tracking services; each raises ApplicationError in French."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tracking.models import Case, PicklistItem
from tracking.permissions import Actor, Capability, case_editable_q

OLDEST_AGE, YOUNGEST_AGE = 25, 2
MAX_SUMMARY = 5000
MAX_NOTE = 20000


def not_future_day(value: date | None, *, field: str, label: str) -> None:
    if value is not None and value > timezone.localdate():
        raise ApplicationError(
            _("%(label)s ne peut pas être dans le futur.") % {"label": label},
            code=ErrorCode.DATE_IN_FUTURE, field=field,
        )


def not_future_moment(value: datetime, *, field: str, label: str) -> None:
    if value > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(
            _("%(label)s ne peut pas être dans le futur.") % {"label": label},
            code=ErrorCode.DATE_IN_FUTURE, field=field,
        )


def ordered(start: date | None, end: date | None, *, field: str) -> None:
    if start and end and end < start:
        raise ApplicationError(
            _("La date de fin ne peut pas précéder la date de début."),
            code=ErrorCode.DATE_ORDER, field=field,
        )


def birth_year(value: int | None, *, on: date | None = None) -> None:
    if value is None:
        return
    year = (on or timezone.localdate()).year
    if not year - OLDEST_AGE - 1 <= value <= year - YOUNGEST_AGE:
        raise ApplicationError(
            _("L'année de naissance doit être comprise entre %(low)s et %(high)s "
              "(jeunes de 3 à 25 ans).") % {"low": year - OLDEST_AGE - 1,
                                           "high": year - YOUNGEST_AGE},
            code=ErrorCode.BIRTH_YEAR_RANGE, field="birth_year",
        )


def no_control_characters(text: str, *, field: str) -> str:
    """Refuse NUL and the other invisible control characters (tabs and line breaks aside):
    PostgreSQL stores no NUL in text or JSON, and none belongs in what a person typed."""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        raise ApplicationError(
            _("Ce texte contient des caractères de contrôle invisibles : retirez-les."),
            code=ErrorCode.NAME_INVALID, field=field,
        )
    return text


def text_length(value: str, *, limit: int, field: str, label: str) -> None:
    if len(value) > limit:
        raise ApplicationError(
            _("%(label)s est trop long (%(length)s caractères, %(limit)s au plus).")
            % {"label": label, "length": len(value), "limit": limit},
            code=ErrorCode.TEXT_TOO_LONG, field=field,
        )


def staff_members(user_ids: Iterable[int], *, field: str) -> list[int]:
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return ids
    members = tenant_selectors.active_member_ids(schema_name=current_schema(), user_ids=ids)
    if set(ids) - members:
        raise ApplicationError(
            _("Une des personnes choisies ne fait pas partie de l'équipe de l'association."),
            code=ErrorCode.STAFF_NOT_MEMBER, field=field,
        )
    return ids


def picklist(
    item: PicklistItem | None, *, kind: str, field: str, kept: set[int] | None = None
) -> None:
    """An item of the right list, not archived — unless the record already holds it
    (`kept`): archiving an item never forces anyone to change what was recorded."""
    if item is None:
        return
    if item.kind != kind or (item.is_archived and item.pk not in (kept or set())):
        raise ApplicationError(
            _("Cette valeur n'est pas disponible dans la liste."),
            code=ErrorCode.PICKLIST_INVALID, field=field,
        )


def require_capability(actor: Actor, capability: Capability) -> None:
    """Refuse, in French, an action the actor's role and grants do not allow."""
    if not actor.can(capability):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def require_editable(actor: Actor, case: Case) -> None:
    """Refuse unless the actor may edit this case (role defaults or a per-case grant)."""
    if not Case.objects.filter(case_editable_q(actor), pk=case.pk).exists():
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)



def lock_at_version(case: Case, expected_version: int) -> Case:
    """Lock the case row; refuse if someone saved it since the form was read."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != expected_version:
        raise ApplicationError(
            _("Ce dossier a été modifié par quelqu'un d'autre entre-temps. Rechargez la "
              "page : vos changements n'ont pas été enregistrés."),
            code=ErrorCode.CONFLICT,
        )
    return locked
