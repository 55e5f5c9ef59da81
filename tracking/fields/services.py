"""Custom fields: admins define them; every write of a case or an interaction checks its
values here.

Schema: tenant. Association admins only define fields. Nothing is ever deleted: a field
is archived (it leaves the forms, the records keep its values), a choice is archived (it
is no longer offered, the records that hold it keep it). A field's `key` and `kind`, and a
choice's `code`, never change once created, so stored values always keep their meaning.

Values are stored by key in the record's `custom` JSON: text as a string, a number as a
JSON number, a date as "YYYY-MM-DD", a choice as its code, a multiple choice as a list of
codes, yes/no as true or false. An empty answer is not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.prepared import PreparedRead
from tenants.models import Role
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import (
    CHOICE_KINDS,
    Case,
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
    Interaction,
)
from tracking.permissions import Actor

MAX_LABEL = 120
MAX_HELP = 300
MAX_CHOICES = 50
MAX_TEXT = 200
MAX_LONG_TEXT = 5000
# A number: up to 12 digits before the decimal point, 2 after.
NUMBER_LIMIT = Decimal("1e12")
PREFIX = "cf_"  # form and query-string names: cf_<key>

Direction = Literal["up", "down"]


# --- Reading ----------------------------------------------------------------------------


def field_list(target: str, *, include_archived: bool = False) -> QuerySet[CustomField]:
    qs = CustomField.objects.filter(target=target)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.order_by("position", "id")


_ACTIVE_FIELDS: PreparedRead[CustomField] = PreparedRead(
    field_list, target="\x00relier-target-sample")


def field_list_every_request(target: str) -> list[CustomField]:
    """`field_list(target)` (active fields), its SQL compiled once per connection: the case
    list reads it on every display (its filters)."""
    return _ACTIVE_FIELDS(target=target)


def field_list_of(targets: tuple[str, ...], *, include_archived: bool = False,
                  ) -> QuerySet[CustomField]:
    """field_list of several targets in one query, in the same order within each target."""
    qs = CustomField.objects.filter(target__in=targets)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.order_by("position", "id")


def access_field(actor: Actor, field_id: Any) -> CustomField:
    """A field of this association, for its admins; 404 for everything else, alike."""
    if actor.role != Role.ADMIN:
        raise Http404
    try:
        pk = int(field_id)
    except (TypeError, ValueError):
        raise Http404 from None
    field = CustomField.objects.filter(pk=pk).first()
    if field is None:
        raise Http404
    return field


def _empty(value: Any) -> bool:
    return value is None or value in ("", [])


@dataclass(frozen=True)
class ShownValue:
    """A stored value as people read it, with its field."""

    field: CustomField
    text: str


def _codes(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_DISPLAY: dict[str, Callable[[CustomField, Any], str]] = {
    CustomFieldKind.YES_NO: lambda f, v: str(_("Oui") if v else _("Non")),
    CustomFieldKind.CHOICE: lambda f, v: f.choice_label(str(v)),
    CustomFieldKind.MULTIPLE_CHOICE: lambda f, v: ", ".join(
        f.choice_label(code) for code in _codes(v)),
    CustomFieldKind.DATE: lambda f, v: date.fromisoformat(str(v)).strftime("%d/%m/%Y"),
    CustomFieldKind.NUMBER: lambda f, v: str(v).replace(".", ","),
}


def display(field: CustomField, value: Any) -> str:
    if _empty(value):
        return ""
    show = _DISPLAY.get(field.kind)
    return show(field, value) if show else str(value)


def shown_values(fields: list[CustomField], values: Mapping[str, Any]) -> list[ShownValue]:
    """The values a record holds, in the fields' order (archived fields included)."""
    return [ShownValue(f, display(f, values[f.key])) for f in fields
            if f.key in values and not _empty(values[f.key])]


def export_value(field: CustomField, value: Any) -> str | int | float | date | None:
    """A cell of a file: numbers and dates stay typed, choices read as their labels."""
    if _empty(value):
        return None
    if field.kind == CustomFieldKind.DATE:
        return date.fromisoformat(str(value))
    if field.kind == CustomFieldKind.NUMBER:
        return value if isinstance(value, int | float) else float(value)
    return display(field, value)


# --- Values -----------------------------------------------------------------------------


def _invalid(field: CustomField, message: str) -> ApplicationError:
    return ApplicationError(message % {"label": field.label}, code=ErrorCode.VALUE_RANGE,
                            field=PREFIX + field.key)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _clean_text(field: CustomField, raw: Any, held: Any) -> Any:
    text = "" if raw is None else str(raw).strip()
    validation.no_control_characters(text, field=PREFIX + field.key)
    limit = MAX_TEXT if field.kind == CustomFieldKind.TEXT else MAX_LONG_TEXT
    if len(text) > limit:
        raise ApplicationError(
            _("« %(label)s » ne peut pas dépasser %(limit)s caractères.")
            % {"label": field.label, "limit": limit},
            code=ErrorCode.TEXT_TOO_LONG, field=PREFIX + field.key)
    return text or None


YES = frozenset({"oui", "yes", "true", "1", "on", "o", "y"})
NO = frozenset({"non", "no", "false", "0", "off", "n"})


def _clean_yes_no(field: CustomField, raw: Any, held: Any) -> Any:
    if isinstance(raw, bool) or _blank(raw):
        return raw if isinstance(raw, bool) else None
    answer = str(raw).strip().casefold()
    if answer not in YES | NO:
        raise _invalid(field, _("« %(label)s » attend oui ou non."))
    return answer in YES


def _clean_number(field: CustomField, raw: Any, held: Any) -> Any:
    if _blank(raw):
        return None
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise _invalid(field, _("« %(label)s » attend un nombre.")) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise _invalid(field, _("« %(label)s » attend un nombre."))
    if number != number.quantize(Decimal("0.01")):
        raise _invalid(field, _("« %(label)s » : deux chiffres après la virgule au plus."))
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_date(field: CustomField, raw: Any, held: Any) -> Any:
    if _blank(raw):
        return None
    if isinstance(raw, date):
        return raw.isoformat()
    try:
        return date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise _invalid(field, _("« %(label)s » attend une date (AAAA-MM-JJ).")) from None


def _offered(field: CustomField, held: Any) -> set[str]:
    """Codes of the active choices, and of the archived ones the record already holds."""
    keep = _codes(held) if not _empty(held) else []
    return {c["code"] for c in field.active_choices(keep=keep)}


def _clean_choice(field: CustomField, raw: Any, held: Any) -> Any:
    if _blank(raw):
        return None
    if str(raw) not in _offered(field, held):
        raise _invalid(field, _("« %(label)s » : ce choix n'existe pas."))
    return str(raw)


def _clean_choices(field: CustomField, raw: Any, held: Any) -> Any:
    codes = [code for code in _codes(raw) if code] if not _empty(raw) else []
    if set(codes) - _offered(field, held):
        raise _invalid(field, _("« %(label)s » : un des choix n'existe pas."))
    order = [c["code"] for c in field.choices]
    return sorted(set(codes), key=order.index) or None


_CLEAN: dict[str, Callable[[CustomField, Any, Any], Any]] = {
    CustomFieldKind.TEXT: _clean_text,
    CustomFieldKind.LONG_TEXT: _clean_text,
    CustomFieldKind.YES_NO: _clean_yes_no,
    CustomFieldKind.NUMBER: _clean_number,
    CustomFieldKind.DATE: _clean_date,
    CustomFieldKind.CHOICE: _clean_choice,
    CustomFieldKind.MULTIPLE_CHOICE: _clean_choices,
}


def clean_values(target: str, raw: Mapping[str, Any],
                 current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record's new `custom` JSON. `raw` holds answers by key for the active fields;
    values of archived fields (and of keys no field knows) are kept as they are.
    Raises ApplicationError, in French, on the first wrong or missing answer."""
    current = dict(current or {})
    result = dict(current)
    for field in field_list(target):
        value = _CLEAN[field.kind](field, raw.get(field.key), current.get(field.key))
        if value is None:
            if field.required:
                raise ApplicationError(
                    _("« %(label)s » est obligatoire.") % {"label": field.label},
                    code=ErrorCode.VALUE_RANGE, field=PREFIX + field.key)
            result.pop(field.key, None)
        else:
            result[field.key] = value
    return result


def changed_labels(target: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    fields = {f.key: f.label for f in field_list(target, include_archived=True)}
    keys = {k for k in {*before, *after} if before.get(k) != after.get(k)}
    return sorted(fields.get(k, k) for k in keys)


# --- Definitions (admins) ---------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise ApplicationError(_("Seuls les administrateurs modifient les champs."),
                               code=ErrorCode.NOT_ALLOWED)


def _clean_label(label: str) -> str:
    label = validation.no_control_characters(" ".join(str(label).split()), field="label")
    if not 1 <= len(label) <= MAX_LABEL:
        raise ApplicationError(
            _("Le libellé doit compter de 1 à %(limit)s caractères.") % {"limit": MAX_LABEL},
            code=ErrorCode.NAME_INVALID, field="label")
    return label


def _clean_help(help_text: str) -> str:
    help_text = validation.no_control_characters(" ".join(str(help_text).split()),
                                                 field="help_text")
    if len(help_text) > MAX_HELP:
        raise ApplicationError(
            _("L'aide ne peut pas dépasser %(limit)s caractères.") % {"limit": MAX_HELP},
            code=ErrorCode.TEXT_TOO_LONG, field="help_text")
    return help_text


def _label_free(target: str, label: str, *, other_than: int | None = None) -> None:
    folded = label.casefold()
    for field in field_list(target, include_archived=True):
        if field.pk != other_than and field.label.casefold() == folded:
            message = (_("Un champ archivé s'appelle déjà « %(label)s » : désarchivez-le ou "
                         "choisissez un autre libellé.") if field.is_archived else
                       _("Un champ s'appelle déjà « %(label)s » : choisissez un autre "
                         "libellé."))
            raise ApplicationError(message % {"label": field.label},
                                   code=ErrorCode.SLUG_TAKEN, field="label")


def _code_of(label: str) -> str:
    return slugify(label).replace("-", "_")[:50].strip("_") or "x"


def _unique(base: str, taken: set[str]) -> str:
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def _new_choices(existing: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """The choices with new labels appended (blank lines skipped, duplicates refused)."""
    choices = [dict(c) for c in existing]
    seen = {c["label"].casefold() for c in choices}
    codes = {c["code"] for c in choices}
    for raw in labels:
        label = validation.no_control_characters(" ".join(str(raw).split()), field="choices")
        if not label:
            continue
        if len(label) > MAX_LABEL:
            raise ApplicationError(
                _("Un choix ne peut pas dépasser %(limit)s caractères.") % {"limit": MAX_LABEL},
                code=ErrorCode.NAME_INVALID, field="choices")
        if label.casefold() in seen:
            raise ApplicationError(
                _("Le choix « %(label)s » figure deux fois.") % {"label": label},
                code=ErrorCode.SLUG_TAKEN, field="choices")
        code = _unique(_code_of(label), codes)
        seen.add(label.casefold())
        codes.add(code)
        choices.append({"code": code, "label": label, "archived": False})
    if len(choices) > MAX_CHOICES:
        raise ApplicationError(
            _("Un champ propose %(limit)s choix au plus.") % {"limit": MAX_CHOICES},
            code=ErrorCode.VALUE_RANGE, field="choices")
    return choices


def _check_choices(kind: str, choices: list[dict[str, Any]]) -> None:
    if kind in CHOICE_KINDS and not any(not c.get("archived") for c in choices):
        raise ApplicationError(
            _("Un champ à choix doit proposer au moins un choix (un par ligne)."),
            code=ErrorCode.VALUE_RANGE, field="choices")


def field_create(*, actor: Actor, target: str, label: str, kind: str, required: bool = False,
                 help_text: str = "", choices: list[str] | None = None) -> CustomField:
    _require_admin(actor)
    if target not in CustomFieldTarget.values:
        raise ApplicationError(_("Un champ s'ajoute aux dossiers ou aux échanges."),
                               code=ErrorCode.PICKLIST_INVALID, field="target")
    if kind not in CustomFieldKind.values:
        raise ApplicationError(_("Ce type de champ n'existe pas."),
                               code=ErrorCode.PICKLIST_INVALID, field="kind")
    label, help_text = _clean_label(label), _clean_help(help_text)
    options = _new_choices([], choices or []) if kind in CHOICE_KINDS else []
    _check_choices(kind, options)
    with transaction.atomic():
        # One admin at a time per list: the key and the position are taken safely.
        list(CustomField.objects.select_for_update().filter(target=target))
        _label_free(target, label)
        keys = set(CustomField.objects.filter(target=target).values_list("key", flat=True))
        last = CustomField.objects.filter(target=target).aggregate(m=Max("position"))["m"]
        field = CustomField.objects.create(
            target=target, key=_unique(_code_of(label), keys), label=label, kind=kind,
            required=required, help_text=help_text, choices=options,
            position=(last or 0) + 1,
        )
        audit_record(actor=actor, action="custom_field.create", obj=field, key=field.key,
                     kind=kind)
    return field


def field_update(*, actor: Actor, field: CustomField, label: str, help_text: str,
                 required: bool, choice_labels: Mapping[str, str] | None = None,
                 archived_choices: set[str] | None = None,
                 new_choices: list[str] | None = None) -> CustomField:
    """Rename the field, its help, whether it is required; rename, archive or add choices.
    The kind and the codes never change (stored values keep their meaning)."""
    _require_admin(actor)
    label, help_text = _clean_label(label), _clean_help(help_text)
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().get(pk=field.pk)
        _label_free(locked.target, label, other_than=locked.pk)
        choices = locked.choices
        if locked.has_choices:
            renamed = dict(choice_labels or {})
            archived = set(archived_choices or set())
            updated = []
            for choice in choices:
                text = validation.no_control_characters(
                    " ".join(str(renamed.get(choice["code"], choice["label"])).split()),
                    field="choices")
                if not 1 <= len(text) <= MAX_LABEL:
                    raise ApplicationError(
                        _("Chaque choix doit compter de 1 à %(limit)s caractères.")
                        % {"limit": MAX_LABEL}, code=ErrorCode.NAME_INVALID, field="choices")
                updated.append({"code": choice["code"], "label": text,
                                "archived": choice["code"] in archived})
            folded = [c["label"].casefold() for c in updated]
            if len(set(folded)) != len(folded):
                raise ApplicationError(_("Deux choix portent le même libellé."),
                                       code=ErrorCode.SLUG_TAKEN, field="choices")
            choices = _new_choices(updated, new_choices or [])
            _check_choices(locked.kind, choices)
        locked.label, locked.help_text, locked.required = label, help_text, required
        locked.choices = choices
        locked.save(update_fields=["label", "help_text", "required", "choices"])
        audit_record(actor=actor, action="custom_field.update", obj=locked, key=locked.key)
    return locked


def field_archive(*, actor: Actor, field: CustomField, archived: bool) -> CustomField:
    _require_admin(actor)
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().get(pk=field.pk)
        locked.is_archived = archived
        locked.save(update_fields=["is_archived"])
        audit_record(actor=actor, action="custom_field.archive" if archived
                     else "custom_field.unarchive", obj=locked, key=locked.key)
    return locked


def field_move(*, actor: Actor, field: CustomField, direction: Direction) -> None:
    """Swap the field with its neighbour in its list (archived fields included)."""
    _require_admin(actor)
    with transaction.atomic():
        fields = list(CustomField.objects.select_for_update().filter(target=field.target)
                      .order_by("position", "id"))
        index = next(i for i, f in enumerate(fields) if f.pk == field.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(fields):
            return
        fields[index], fields[other] = fields[other], fields[index]
        for position, each in enumerate(fields, start=1):
            if each.position != position:
                CustomField.objects.filter(pk=each.pk).update(position=position)
        audit_record(actor=actor, action="custom_field.move", obj=field, direction=direction)


def field_usage(fields: list[CustomField]) -> dict[int, int]:
    """How many records hold a value, by field id: one query per kind of record."""
    usage: dict[int, int] = {}
    for target, model in ((CustomFieldTarget.CASE, Case),
                          (CustomFieldTarget.INTERACTION, Interaction)):
        mine = [f for f in fields if f.target == target]
        if mine:
            counts = model.objects.aggregate(**{
                f"f{f.pk}": Count("pk", filter=Q(custom__has_key=f.key)) for f in mine})
            usage.update({f.pk: counts[f"f{f.pk}"] for f in mine})
    return usage
