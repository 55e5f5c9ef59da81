"""The association's own lists (picklists): add, rename, reorder, archive, network codes.

Schema: tenant (the items live in each association's schema). Association admins only.

Items are never deleted: an item in use stays on the records that hold it. Archiving
only takes it out of the forms (they read `tracking.lists.selectors.picklist`, which leaves
archived items out). An item's `code` never changes once created, so code that looks an
item up by code (the public referral form looks up `referral_form`) survives renames.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Role
from tracking import validation
from tracking.audit.services import audit_record
from tracking.lists.defaults import DEFAULT_PICKLISTS
from tracking.models import PicklistItem, PicklistKind
from tracking.permissions import Actor

MAX_LABEL = 120
MAX_CODE = 60
NETWORK_CODE = re.compile(r"^[a-z0-9_]{0,60}$")
# Items the product itself looks up by code: archiving them would break a feature.
# (tracking.cases.referrals)
REQUIRED_ITEMS: frozenset[tuple[str, str]] = frozenset({
    (PicklistKind.DETECTION_SOURCE.value, "referral_form"),
})

Direction = Literal["up", "down"]


# --- Checks -----------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise ApplicationError(_("Seuls les administrateurs modifient les listes."),
                               code=ErrorCode.NOT_ALLOWED)


def _kind(kind: str) -> str:
    if kind not in PicklistKind.values:
        raise ApplicationError(_("Cette liste n'existe pas."),
                               code=ErrorCode.PICKLIST_INVALID, field="kind")
    return kind


def clean_label(label: str) -> str:
    """The label with its spaces tidied; 1 to 120 characters."""
    label = validation.no_control_characters(" ".join(str(label).split()), field="label")
    if not 1 <= len(label) <= MAX_LABEL:
        raise ApplicationError(
            _("Le libellé doit compter de 1 à %(limit)s caractères.") % {"limit": MAX_LABEL},
            code=ErrorCode.NAME_INVALID, field="label",
        )
    return label


def clean_network_code(network_code: str) -> str:
    network_code = str(network_code).strip()
    if not NETWORK_CODE.fullmatch(network_code):
        raise ApplicationError(
            _("Le code réseau ne peut contenir que des lettres minuscules sans accents, des "
              "chiffres et des tirets bas « _ » (%(limit)s caractères au plus), par exemple "
              "« school ».") % {"limit": MAX_CODE},
            code=ErrorCode.SLUG_INVALID, field="network_code",
        )
    return network_code


def code_for(label: str) -> str:
    """The item's code: the label made a slug, with `_` like the default codes."""
    return slugify(label).replace("-", "_")[:MAX_CODE].strip("_")


def _same_label(items: list[PicklistItem], label: str) -> PicklistItem | None:
    """Two items of one list may not read the same (case and spaces aside)."""
    folded = label.casefold()
    return next((other for other in items
                 if " ".join(other.label.split()).casefold() == folded), None)


def _label_taken(taken: PicklistItem) -> ApplicationError:
    if taken.is_archived:
        return ApplicationError(
            _("Un élément archivé de cette liste s'appelle déjà « %(label)s » : "
              "désarchivez-le ou choisissez un autre libellé.") % {"label": taken.label},
            code=ErrorCode.SLUG_TAKEN, field="label",
        )
    return ApplicationError(
        _("Un élément de cette liste s'appelle déjà « %(label)s » : choisissez un autre "
          "libellé.") % {"label": taken.label},
        code=ErrorCode.SLUG_TAKEN, field="label",
    )


def _code_taken(taken: PicklistItem, label: str) -> ApplicationError:
    values = {"label": label, "code": taken.code, "other": taken.label}
    if taken.is_archived:
        message = _("Le libellé « %(label)s » donne le code « %(code)s », déjà pris dans "
                    "cette liste par l'élément archivé « %(other)s » : désarchivez-le ou "
                    "choisissez un autre libellé.") % values
    else:
        message = _("Le libellé « %(label)s » donne le code « %(code)s », déjà pris dans "
                    "cette liste par « %(other)s » : choisissez un autre libellé.") % values
    return ApplicationError(message, code=ErrorCode.SLUG_TAKEN, field="label")


def _list_locked(kind: str) -> list[PicklistItem]:
    """Every item of one list, locked until the end of the transaction: writes to one
    list happen one after the other (a list holds tens of items)."""
    return list(PicklistItem.objects.select_for_update().filter(kind=kind)
                .order_by("position", "label", "pk"))


def _find(items: list[PicklistItem], item: PicklistItem) -> PicklistItem:
    found = next((other for other in items if other.pk == item.pk), None)
    if found is None:
        raise ApplicationError(_("Cet élément n'existe plus."), code=ErrorCode.NOT_FOUND)
    return found


# --- Writes -----------------------------------------------------------------------------


def picklist_item_create(
    *, actor: Actor, kind: str, label: str, network_code: str = "",
) -> PicklistItem:
    """Add an item at the end of its list. Its code comes from the label (unique per list)."""
    _require_admin(actor)
    kind = _kind(kind)
    label = clean_label(label)
    network_code = clean_network_code(network_code)
    code = code_for(label)
    if not code:
        raise ApplicationError(
            _("Le libellé doit contenir au moins une lettre ou un chiffre."),
            code=ErrorCode.NAME_INVALID, field="label",
        )
    try:
        with transaction.atomic():
            items = _list_locked(kind)
            taken = _same_label(items, label)
            if taken is not None:
                raise _label_taken(taken)
            taken = next((other for other in items if other.code == code), None)
            if taken is not None:
                raise _code_taken(taken, label)
            item = PicklistItem.objects.create(
                kind=kind, code=code, label=label, network_code=network_code,
                position=max((other.position for other in items), default=-1) + 1,
            )
            audit_record(actor=actor, action="picklist.create", obj=item, kind=kind,
                         code=code, label=label, network_code=network_code)
    except IntegrityError:  # the first item of an empty list, added twice at once
        taken = PicklistItem.objects.filter(kind=kind, code=code).first()
        if taken is None:
            raise
        raise _code_taken(taken, label) from None
    return item


def picklist_item_rename(*, actor: Actor, item: PicklistItem, label: str) -> PicklistItem:
    """Change what people read; the code (and so every record holding it) stays."""
    _require_admin(actor)
    label = clean_label(label)
    with transaction.atomic():
        items = _list_locked(item.kind)
        item = _find(items, item)
        if label == item.label:
            return item
        taken = _same_label([other for other in items if other.pk != item.pk], label)
        if taken is not None:
            raise _label_taken(taken)
        before = item.label
        item.label = label
        item.save(update_fields=["label"])
        audit_record(actor=actor, action="picklist.rename", obj=item, kind=item.kind,
                     code=item.code, before=before, after=label)
    return item


def picklist_item_set_network_code(
    *, actor: Actor, item: PicklistItem, network_code: str,
) -> PicklistItem:
    """The code shared by the network, so that pooled figures compare like with like."""
    _require_admin(actor)
    network_code = clean_network_code(network_code)
    with transaction.atomic():
        item = _find(_list_locked(item.kind), item)
        if network_code == item.network_code:
            return item
        before = item.network_code
        item.network_code = network_code
        item.save(update_fields=["network_code"])
        audit_record(actor=actor, action="picklist.network_code", obj=item, kind=item.kind,
                     code=item.code, before=before, after=network_code)
    return item


def picklist_item_move(*, actor: Actor, item: PicklistItem, direction: Direction) -> PicklistItem:
    """Swap the item with the active item just above (or below) it in its list.

    Archived items keep their place among the others; positions are renumbered 0, 1, 2 …
    so that equal positions (possible in older data) cannot make a move do nothing."""
    _require_admin(actor)
    if direction not in ("up", "down"):
        raise ApplicationError(_("Déplacement inconnu."), code=ErrorCode.VALUE_RANGE)
    with transaction.atomic():
        items = _list_locked(item.kind)
        item = _find(items, item)
        if item.is_archived:
            raise ApplicationError(
                _("Un élément archivé ne se déplace pas : désarchivez-le d'abord."),
                code=ErrorCode.NOT_ALLOWED)
        index = items.index(item)
        step = -1 if direction == "up" else 1
        beyond = -1 if step < 0 else len(items)
        neighbour = next((i for i in range(index + step, beyond, step)
                          if not items[i].is_archived), None)
        if neighbour is None:
            raise ApplicationError(
                _("Cet élément est déjà en tête de liste.") if direction == "up"
                else _("Cet élément est déjà en fin de liste."),
                code=ErrorCode.VALUE_RANGE)
        items[index], items[neighbour] = items[neighbour], items[index]
        changed = []
        for position, other in enumerate(items):
            if other.position != position:
                other.position = position
                changed.append(other)
        PicklistItem.objects.bulk_update(changed, ["position"])
        audit_record(actor=actor, action="picklist.move", obj=item, kind=item.kind,
                     code=item.code, direction=direction, position=item.position)
    return item


def picklist_item_archive(
    *, actor: Actor, item: PicklistItem, archived: bool = True,
) -> PicklistItem:
    """Take the item out of the forms (`archived=False` puts it back). Records holding it
    keep it. A list keeps at least one active item."""
    _require_admin(actor)
    with transaction.atomic():
        items = _list_locked(item.kind)
        item = _find(items, item)
        if item.is_archived == archived:
            return item
        if archived and (item.kind, item.code) in REQUIRED_ITEMS:
            raise ApplicationError(
                _("« %(label)s » sert au formulaire public de signalement : il ne peut pas "
                  "être archivé (vous pouvez le renommer).") % {"label": item.label},
                code=ErrorCode.NOT_ALLOWED)
        if archived and not any(not other.is_archived for other in items if other != item):
            raise ApplicationError(
                _("« %(label)s » est le dernier élément actif de la liste : ajoutez-en un "
                  "autre avant de l'archiver.") % {"label": item.label},
                code=ErrorCode.NOT_ALLOWED)
        item.is_archived = archived
        item.save(update_fields=["is_archived"])
        audit_record(actor=actor, action="picklist.archive" if archived
                     else "picklist.unarchive", obj=item, kind=item.kind, code=item.code)
    return item


# --- Reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PicklistReference:
    """A column that holds picklist items: `model.<column>` points at an item."""

    model: type[models.Model]
    column: str
    kind: str | None  # None: any list


def picklist_references() -> list[PicklistReference]:
    """Every field of every installed model that holds picklist items, found from the
    models themselves, so a new one is counted without anyone remembering to add it."""
    found = []
    for model in apps.get_models():
        for fld in model._meta.get_fields():
            if (fld.auto_created or not fld.is_relation
                    or fld.related_model is not PicklistItem):
                continue
            limit: Any = fld.remote_field.limit_choices_to  # type: ignore[union-attr]
            kind = str(limit["kind"]) if isinstance(limit, dict) and "kind" in limit else None
            if fld.many_to_many:
                through = fld.remote_field.through  # type: ignore[union-attr]
                if not through._meta.auto_created:
                    continue  # an explicit through model: its own foreign key is found
                found.append(PicklistReference(
                    through, fld.m2m_reverse_field_name(), kind))  # type: ignore[union-attr]
            else:
                found.append(PicklistReference(model, fld.name, kind))
    return found


def _uses(reference: PicklistReference) -> Coalesce:
    holders = (reference.model._base_manager
               .filter(**{reference.column: OuterRef("pk")})
               .order_by().values(reference.column)
               .annotate(n=Count("*")).values("n"))
    return Coalesce(Subquery(holders, output_field=IntegerField()), Value(0))


def picklist_items_with_usage() -> models.QuerySet[PicklistItem]:
    """Every item, archived ones too, each with `usage`: how many records hold it.

    One query: each item counts only the columns of its own list."""
    references = picklist_references()

    def total(kind: str) -> Any:
        terms: list[Any] = [_uses(r) for r in references if r.kind in (kind, None)]
        return reduce(operator.add, terms) if terms else Value(0)

    usage = models.Case(
        *[When(kind=kind, then=total(kind)) for kind in PicklistKind.values],
        default=Value(0), output_field=IntegerField(),
    )
    return PicklistItem.objects.annotate(usage=usage).order_by(
        "kind", "is_archived", "position", "label", "pk")


@dataclass
class PicklistSection:
    kind: str
    title: str
    items: list[PicklistItem] = field(default_factory=list)
    # The network's shared codes for this list: (code, label of the default item).
    suggestions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[PicklistItem, bool, bool]]:
        """(item, may move up, may move down): active items first, then archived ones."""
        active = [item for item in self.items if not item.is_archived]
        last = len(active) - 1
        return [(item, i > 0, i < last) for i, item in enumerate(active)] + [
            (item, False, False) for item in self.items if item.is_archived]


def picklist_overview() -> list[PicklistSection]:
    """One section per list, in the order of PicklistKind, active items first."""
    sections = {
        kind: PicklistSection(
            kind=kind, title=str(title),
            suggestions=[(network, label) for _code, label, network in
                         DEFAULT_PICKLISTS.get(kind, []) if network],
        )
        for kind, title in PicklistKind.choices
    }
    for item in picklist_items_with_usage():
        section = sections.get(item.kind)
        if section is not None:
            section.items.append(item)
    return list(sections.values())


def access_picklist_item(actor: Actor, item_id: int | None) -> PicklistItem:
    """The item, for an admin; 404 for anyone else and for a missing item alike."""
    if actor.role != Role.ADMIN or item_id is None:
        raise Http404
    item = PicklistItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item
