"""Every row of the file checked and turned into what a case would hold, without writing.

The checks are those of the case services (`tracking.cases.services`, `validation`,
`custom_fields.clean_values` for custom fields), applied row by row so that every problem
of the file is reported at once: row number as in the file, column, value, message.

A mapped column is the truth for the cases it imports: an empty cell empties the field on
re-import (the stage, the opening date and the role keep their value: they cannot be
empty). Unmapped fields are never touched.

Text cells that a spreadsheet would run as a formula (`=…`, `@…`, `+…`/`-…` that are not
numbers, after leading spaces, tabs or carriage returns) are refused, not stored: the
association corrects the cell. List cells must match a value of the list anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.importing.parsing import Row, Table, blank, cell_text, fold
from onboarding.importing.targets import (
    CHOICE,
    DATE,
    DEPARTMENT,
    EXTERNAL_ID,
    MULTIPLE,
    NUMBER,
    PARTNER,
    STAFF,
    TEXT,
    YEAR,
    YES_NO,
    Choices,
    Target,
    case_targets,
    choices_for,
    published_stages,
)
from relier_platform.errors import ApplicationError
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tracking import validation
from tracking.fields import services as custom_fields
from tracking.models import Case, CustomFieldTarget, Partner, PicklistItem, Stage

MAX_STORED_ERRORS = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().,/]*\d[\d\s().,/]*$")  # -3, +33 6 12 34 56 78
DEPARTMENT_CODE = re.compile(r"^(2[ab]|97[1-8]|98[6-9]|\d{2})(?:\D|$)", re.IGNORECASE)
SPLIT = re.compile(r"[,;\n]")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d")
# Fields a case holds directly, by their name on the model.
SCALARS = ("first_name", "birth_year", "gender", "role", "town", "department",
           "programme_id", "detection_source_id", "referring_partner_id", "opened_on",
           "closed_on", "closing_reason_id", "stage_id")


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value,
                "message": self.message}


class CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CaseRow:
    """What one row gives a case: the fields it sets (those mapped), by model name."""

    number: int
    external_id: str | None = None
    scalars: dict[str, Any] = field(default_factory=dict)
    situation_types: list[int] | None = None
    assigned_staff: list[int] | None = None
    custom: dict[str, Any] | None = None  # the case's whole `custom` JSON once checked
    new_partner: str = ""  # a partner to create, by name (referring_partner_id then None)
    existing: Case | None = None
    changes: list[str] = field(default_factory=list)  # of an existing case


@dataclass
class Checked:
    rows: list[CaseRow]
    errors: list[RowError]
    new_partners: list[str]

    @property
    def to_create(self) -> list[CaseRow]:
        return [r for r in self.rows if r.existing is None]

    @property
    def to_update(self) -> list[CaseRow]:
        return [r for r in self.rows if r.existing is not None and r.changes]

    @property
    def unchanged(self) -> list[CaseRow]:
        return [r for r in self.rows if r.existing is not None and not r.changes]


# --- Reading one cell ----------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    text = cell_text(value)
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        stripped = value.strip()
        if stripped.startswith(FORMULA_START) and not NUMBER_LIKE.match(stripped):
            raise CellError(_("Cette cellule commence par « %(sign)s » : un tableur la "
                              "lirait comme une formule. Elle n'est pas importée : retirez "
                              "ce signe ou corrigez la valeur.") % {"sign": stripped[0]})
    if limit and len(text) > limit:
        raise CellError(_("Texte trop long (%(length)s caractères, %(limit)s au plus).")
                        % {"length": len(text), "limit": limit})
    return text


def _date(value: Any) -> date | None:
    if blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    candidates = [text, text[:10]] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", text) else [text]
    for candidate in candidates:
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(candidate, pattern).date()  # noqa: DTZ007
            except ValueError:
                continue
    raise CellError(_("Date non reconnue : écrivez-la JJ/MM/AAAA (par exemple 15/09/2024)."))


def _year(value: Any) -> int | None:
    if blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    try:
        found = _date(text)
    except CellError:
        found = None
    if found is None:
        raise CellError(_("Année de naissance non reconnue : écrivez l'année (par exemple "
                          "2011) ou la date de naissance (JJ/MM/AAAA)."))
    return found.year


def _birth_year(value: Any) -> int | None:
    year = _year(value)
    validation.birth_year(year)
    return year


def _department(value: Any) -> str:
    if blank(value):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{int(value):02d}"
    found = DEPARTMENT_CODE.match(str(value).strip())
    if found is None:
        raise CellError(_("Département non reconnu : écrivez son numéro (93, 2A, 974…)."))
    return found.group(1).upper()


def _choice(value: Any, choices: Choices, mapped: dict[str, str], label: str) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    code = mapped.get(fold(text)) or choices.match(text)
    if code is None:
        raise CellError(_("« %(value)s » n'est pas une valeur de « %(list)s ». Valeurs "
                          "possibles : %(allowed)s.") % {"value": text, "list": label,
                                                         "allowed": choices.allowed()})
    return code


def _choices(value: Any, choices: Choices, mapped: dict[str, str], label: str) -> list[str]:
    if isinstance(value, str) and fold(value) in mapped:
        return [mapped[fold(value)]]
    codes: list[str] = []
    unknown: list[str] = []
    for part in SPLIT.split(cell_text(value)):
        if not part.strip():
            continue
        code = mapped.get(fold(part)) or choices.match(part)
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CellError(_("« %(value)s » : valeur inconnue de « %(list)s ». Valeurs "
                          "possibles : %(allowed)s.") % {"value": ", ".join(unknown),
                                                         "list": label,
                                                         "allowed": choices.allowed()})
    return codes


# --- The whole file ------------------------------------------------------------------------


class Checker:
    """Everything looked up once (lists, partners, team, stages, existing cases), then
    each row checked against it."""

    def __init__(self, table: Table, mapping: dict[str, str],
                 value_mapping: dict[str, dict[str, str]]) -> None:
        self.table = table
        self.targets = case_targets()
        self.columns: list[tuple[int, Target]] = [
            (int(index), self.targets[key]) for index, key in sorted(
                mapping.items(), key=lambda item: int(item[0]))
            if key and key in self.targets and int(index) < len(table.headers)
        ]
        self.value_mapping = value_mapping
        self.header_of = {t.key: table.headers[i] for i, t in self.columns}
        self.stages = published_stages()
        self.stage_by_key = {s.key: s for s in self.stages}
        self.initial_stage = next((s for s in self.stages if s.is_initial), None)
        self.closing_stage = next((s for s in self.stages if not s.is_open), None)
        self.choices = {t.key: choices_for(t, self.stages) for _i, t in self.columns
                        if t.has_choices}
        self.items: dict[tuple[str, str], int] = {
            (i.kind, i.code): i.pk for i in PicklistItem.objects.filter(is_archived=False)}
        self.partners = {fold(p.name): p.pk for p in
                         Partner.objects.filter(is_archived=False).order_by("-pk")}
        self.staff: dict[str, int] = {}
        for membership in tenant_selectors.member_list(schema_name=current_schema()):
            user = membership.user
            if user.display_name:
                self.staff.setdefault(fold(user.display_name), user.pk)
            self.staff[fold(user.email)] = user.pk
        self.custom_fields = list(custom_fields.field_list(CustomFieldTarget.CASE))
        self.today = timezone.localdate()

    # -- one cell

    def _read(self, target: Target, value: Any, index: int) -> Any:
        mapped = self.value_mapping.get(str(index), {})
        readers: dict[str, Callable[[], Any]] = {
            TEXT: lambda: _text(value, target.max_length),
            EXTERNAL_ID: lambda: _text(value, target.max_length),
            PARTNER: lambda: _text(value, target.max_length),
            YEAR: lambda: _birth_year(value),
            DATE: lambda: _date(value),
            DEPARTMENT: lambda: _department(value),
            CHOICE: lambda: _choice(value, self.choices[target.key], mapped, target.name),
            MULTIPLE: lambda: _choices(value, self.choices[target.key], mapped, target.name),
            STAFF: lambda: self._staff(value),
            NUMBER: lambda: None if blank(value) else value,
            YES_NO: lambda: None if blank(value) else value,
        }
        return readers[target.kind]()

    def _staff(self, value: Any) -> list[int]:
        ids: list[int] = []
        for part in SPLIT.split(cell_text(value)):
            if not part.strip():
                continue
            user_id = self.staff.get(fold(part))
            if user_id is None:
                raise CellError(_("« %(name)s » ne fait pas partie de l'équipe : écrivez "
                                  "l'adresse e-mail ou le nom affiché d'un membre.")
                                % {"name": part.strip()})
            if user_id not in ids:
                ids.append(user_id)
        return sorted(ids)

    # -- one row

    def _row(self, row: Row, errors: list[RowError], existing: dict[str, Case],
             held: dict[int, dict[str, list[int]]]) -> CaseRow | None:
        result = CaseRow(number=row.number)
        values: dict[str, Any] = {}
        problems = len(errors)

        def fail(column: str, value: Any, message: str) -> None:
            errors.append(RowError(row.number, column, cell_text(value), message))

        for index, target in self.columns:
            value = row.cells[index]
            try:
                values[target.key] = self._read(target, value, index)
            except CellError as error:
                fail(self.table.headers[index], value, error.message)
            except ApplicationError as error:
                fail(self.table.headers[index], value, error.message)
        if len(errors) > problems:
            return None
        result.external_id = values.get("external_id") or None
        case = existing.get(result.external_id) if result.external_id else None
        result.existing = case
        self._scalars(result, values, case)
        self._links(result, values)
        self._custom(result, values, case, fail)
        self._dates_and_stage(result, case, fail)
        if len(errors) > problems:
            return None
        if case is not None:
            result.changes = self._changes(result, case, held.get(case.pk, {}))
        return result

    def _scalars(self, result: CaseRow, values: dict[str, Any], case: Case | None) -> None:
        s = result.scalars
        for name in ("first_name", "town", "department", "gender"):
            if name in values:
                s[name] = values[name] or ""
        for name in ("birth_year", "closed_on"):
            if name in values:
                s[name] = values[name]
        if values.get("role"):
            s["role"] = values["role"]
        for name in ("programme", "detection_source", "closing_reason"):
            if name in values:
                kind = self.targets[name].picklist
                s[f"{name}_id"] = self.items[(kind, values[name])] if values[name] else None
        if "referring_partner" in values:
            name = values["referring_partner"]
            partner_id = self.partners.get(fold(name)) if name else None
            if name and partner_id is None:
                result.new_partner = " ".join(name.split())
            s["referring_partner_id"] = partner_id
        if values.get("opened_on"):
            s["opened_on"] = values["opened_on"]
        elif case is None:
            s["opened_on"] = self.today
        if values.get("stage"):
            s["stage_id"] = self.stage_by_key[values["stage"]].pk

    def _links(self, result: CaseRow, values: dict[str, Any]) -> None:
        if "situation_types" in values:
            kind = self.targets["situation_types"].picklist
            result.situation_types = sorted(self.items[(kind, c)]
                                            for c in values["situation_types"])
        if "assigned_staff" in values:
            result.assigned_staff = values["assigned_staff"]

    def _custom(self, result: CaseRow, values: dict[str, Any], case: Case | None,
                fail: Callable[[str, Any, str], None]) -> None:
        mapped = {t.custom.key: values[t.key] for _i, t in self.columns
                  if t.custom is not None and t.key in values}
        if not self.custom_fields and case is None:
            result.custom = {}
            return
        current = dict(case.custom) if case is not None else {}
        if case is not None and not mapped:
            return  # nothing mapped: the stored answers stay as they are
        raw: dict[str, Any] = {**current}
        for key, value in mapped.items():
            raw[key] = value.isoformat() if isinstance(value, date) else value
        try:
            result.custom = custom_fields.clean_values(CustomFieldTarget.CASE, raw,
                                                       current=current)
        except ApplicationError as error:
            column = self.header_of.get(error.field or "", "")
            value = raw.get((error.field or "")[len("cf_"):], "")
            fail(column, value if not isinstance(value, list) else ", ".join(value),
                 error.message)

    def _dates_and_stage(self, result: CaseRow, case: Case | None,
                         fail: Callable[[str, Any, str], None]) -> None:
        s = result.scalars
        opened = s.get("opened_on", case.opened_on if case else None)
        closed = s.get("closed_on", case.closed_on if case else None)
        for name, day, label in (("opened_on", opened, _("La date d'ouverture")),
                                 ("closed_on", closed, _("La date de clôture"))):
            try:
                validation.not_future_day(day, field=name, label=label)
            except ApplicationError as error:
                fail(self.header_of.get(name, ""), day, error.message)
        if opened and closed and closed < opened:
            fail(self.header_of.get("closed_on", ""), closed,
                 _("La date de clôture précède la date d'ouverture (%(opened)s).")
                 % {"opened": opened.strftime("%d/%m/%Y")})
        stage, closed = self._final_stage(result, case, closed)
        if stage is not None and not stage.is_open and closed is None:
            fail(self.header_of.get("closed_on", self.header_of.get("stage", "")), "",
                 _("Un dossier à l'étape « %(stage)s » doit avoir une date de clôture : "
                   "faites correspondre une colonne à « Clôturé le ».") % {"stage": stage.name})
        elif stage is not None and stage.is_open and closed is not None:
            fail(self.header_of.get("stage", self.header_of.get("closed_on", "")),
                 stage.name, _("Un dossier clôturé (le %(day)s) ne peut pas être à l'étape "
                               "ouverte « %(stage)s ».") % {"day": closed.strftime("%d/%m/%Y"),
                                                          "stage": stage.name})
        reason = s.get("closing_reason_id", case.closing_reason_id if case else None)
        if reason and closed is None:
            fail(self.header_of.get("closing_reason", ""), "",
                 _("Un motif de clôture est donné pour un dossier ouvert."))

    def _final_stage(self, result: CaseRow, case: Case | None,
                     closed: date | None) -> tuple[Stage | None, date | None]:
        """The stage the case ends on (and its closing date once reopened)."""
        s = result.scalars
        stage = (self._stage(s["stage_id"]) if "stage_id" in s
                 else self._stage(case.stage_id) if case is not None else self.initial_stage)
        if "stage_id" not in s and closed and (stage is None or stage.is_open):
            # Closed without a stage given: the closing stage of the workflow.
            stage = self.closing_stage
        elif ("stage_id" in s and stage is not None and stage.is_open and case is not None
              and case.closed_on and "closed_on" not in s):
            s["closed_on"], s["closing_reason_id"] = None, None  # reopened by the file
            closed = None
        if stage is not None and (case is None or "stage_id" in s
                                  or stage.pk != case.stage_id):
            s["stage_id"] = stage.pk
        return stage, closed

    def _stage(self, stage_id: int | None) -> Stage | None:
        return next((s for s in self.stages if s.pk == stage_id), None)

    def _changes(self, result: CaseRow, case: Case, held: dict[str, list[int]]) -> list[str]:
        changes = [name for name, value in result.scalars.items()
                   if getattr(case, name) != value]
        if result.new_partner:
            changes.append("referring_partner_id")
        for name in ("situation_types", "assigned_staff"):
            new = getattr(result, name)
            if new is not None and sorted(new) != sorted(held.get(name, [])):
                changes.append(name)
        if result.custom is not None and result.custom != case.custom:
            changes.append("custom")
        return sorted(set(changes))

    # -- all rows

    def _existing(self, ids: list[str], *, lock: bool) -> tuple[
            dict[str, Case], dict[int, dict[str, list[int]]]]:
        if not ids:
            return {}, {}
        cases: QuerySet[Case] = Case.objects.filter(external_id__in=ids).order_by("pk")
        if lock:
            cases = cases.select_for_update()
        existing = {c.external_id: c for c in cases if c.external_id}
        held: dict[int, dict[str, list[int]]] = {c.pk: {"situation_types": [],
                                                        "assigned_staff": []}
                                                 for c in existing.values()}
        pks = list(held)
        for case_id, item_id in Case.situation_types.through.objects.filter(
                case_id__in=pks).values_list("case_id", "picklistitem_id"):
            held[case_id]["situation_types"].append(item_id)
        for case_id, user_id in Case.assigned_staff.through.objects.filter(
                case_id__in=pks).values_list("case_id", "user_id"):
            held[case_id]["assigned_staff"].append(user_id)
        return existing, held

    def external_ids(self) -> list[str]:
        index = next((i for i, t in self.columns if t.key == "external_id"), None)
        if index is None:
            return []
        return sorted({cell_text(r.cells[index]) for r in self.table.rows
                       if not blank(r.cells[index])})

    def check(self, *, lock: bool = False,
              progress: Callable[[int], None] | None = None) -> Checked:
        errors: list[RowError] = []
        existing, held = self._existing(self.external_ids(), lock=lock)
        rows: list[CaseRow] = []
        first_seen: dict[str, int] = {}
        for done, row in enumerate(self.table.rows, start=1):
            result = self._row(row, errors, existing, held)
            if result is not None and result.external_id:
                earlier = first_seen.setdefault(result.external_id, row.number)
                if earlier != row.number:
                    errors.append(RowError(
                        row.number, self.header_of["external_id"], result.external_id,
                        _("L'identifiant « %(id)s » figure déjà à la ligne %(row)s : chaque "
                          "dossier n'apparaît qu'une fois.") % {"id": result.external_id,
                                                                 "row": earlier}))
                    result = None
            if result is not None:
                rows.append(result)
            if progress is not None and done % 500 == 0:
                progress(done)
        new_partners = sorted({r.new_partner for r in rows if r.new_partner}, key=fold)
        return Checked(rows=rows, errors=errors, new_partners=_dedupe(new_partners))


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold(name), name)
    return list(seen.values())


def iter_errors(errors: list[RowError]) -> Iterator[dict[str, Any]]:
    for error in errors[:MAX_STORED_ERRORS]:
        yield error.as_dict()
