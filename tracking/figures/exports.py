"""CSV and XLSX files of the activity figures and of the case list (tenant schema).

The case list export writes what a funder report or a team meeting needs and nothing
that names a young person: no first name, no summary, no clinical note (the first name is
not even loaded). Every text cell is neutralised against formula injection (OWASP "CSV
injection"): a text starting with =, +, -, @, a tab or a carriage return (also after
leading spaces) gets a leading single quote. CSV files are UTF-8 with a byte-order mark
and `;` separators, as French Excel expects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracking.fields.services import export_value, field_list
from tracking.figures.activity import age_bracket_label
from tracking.figures.shown import ShownBreakdown, ShownFigures
from tracking.models import Case, CustomField, CustomFieldTarget, PicklistItem

Cell = str | int | float | date | None

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Cell) -> Cell:
    """A cell value safe to open in a spreadsheet: text that a spreadsheet would run as a
    formula is prefixed with a single quote; characters XML cannot hold are dropped
    (before the check, so that they cannot hide a leading `=`)."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    # Some spreadsheets trim leading spaces on import: "  =1" is refused too.
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    extension: str
    rows: int  # data rows written (cases, or figure lines)


# --- writers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a file; `style` says how the XLSX shows it."""

    cells: list[Cell]
    style: str = "data"  # title, heading, header, data, blank


def _csv_text(value: Cell) -> str:
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")  # French decimal comma
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_csv(lines: Iterable[Line]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in lines:
        writer.writerow([_csv_text(cell) for cell in line.cells])
    return buffer.getvalue().encode("utf-8")


BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def write_xlsx(lines: Iterable[Line], *, sheet_title: str, widths: list[int]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    for line in lines:
        row = []
        for value in line.cells:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(value, float):
                cell.number_format = "0.00"
            if line.style == "title":
                cell.font = TITLE
            elif line.style in {"heading", "header"}:
                cell.font = BOLD
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the figures -------------------------------------------------------------------------


def _breakdown_lines(breakdown: ShownBreakdown, count_header: str, *,
                     total: bool = False) -> Iterator[Line]:
    yield Line([breakdown.title], "heading")
    yield Line([breakdown.column, count_header], "header")
    for row in breakdown.rows:
        yield Line([row.label, row.count])
    if not breakdown.rows:
        yield Line([_("Aucune donnée sur la période")])
    if total:
        yield Line([_("Total"), breakdown.total])
    if breakdown.note:
        yield Line([breakdown.note])
    yield Line([], "blank")


def figures_lines(figures: ShownFigures, *, association_name: str = "") -> list[Line]:
    """The figures as shown to the person downloading them (small counts hidden or not)."""
    period = figures.period
    title = _("Chiffres d'activité — %(period)s") % {"period": period.label}
    lines = [Line([title], "title")]
    if association_name:
        lines.append(Line([_("Association"), association_name]))
    lines.append(Line([_("Du"), period.start, _("au"), period.end]))
    if figures.note:
        lines.append(Line([figures.note]))
    lines.append(Line([], "blank"))

    lines += [
        Line([_("Jeunes accompagnés")], "heading"),
        Line([_("Indicateur"), _("Valeur")], "header"),
        Line([_("Nouveaux dossiers ouverts sur la période"), figures.new_cases]),
        Line([_("Jeunes accompagnés sur la période"), figures.active_cases]),
        Line([_("Jeunes accompagnés depuis le début"), figures.cases_since_beginning]),
        Line([], "blank"),
    ]
    for breakdown in figures.case_breakdowns:
        lines += _breakdown_lines(breakdown, _("Jeunes accompagnés"))
    lines += _breakdown_lines(figures.interactions_by_kind, _("Échanges"), total=True)
    lines += _breakdown_lines(figures.employment_milestones, _("Jeunes"))

    groups = figures.groups
    lines += [
        Line([_("Groupes d'échange")], "heading"),
        Line([_("Indicateur"), _("Valeur")], "header"),
        Line([_("Séances tenues"), groups.sessions_held]),
        Line([_("Présences"), groups.present]),
        Line([_("Jeunes différents présents"), groups.young_people_present]),
        Line([], "blank"),
    ]

    awareness = figures.awareness
    lines += [
        Line([_("Personnes sensibilisées, par public")], "heading"),
        Line([_("Public"), _("Personnes")], "header"),
        *(Line([row.label, row.count]) for row in awareness.audiences),
        Line([_("Total"), awareness.total]),
        Line([_("Séances de sensibilisation"), awareness.sessions]),
        Line([], "blank"),
    ]

    lines += [
        Line([_("Permanences")], "heading"),
        Line([_("Indicateur"), _("Valeur")], "header"),
        Line([_("Permanences tenues"), figures.dropin_hours.total]),
        Line([_("Absences"), figures.dropin_no_shows]),
        Line([], "blank"),
    ]
    lines += _breakdown_lines(figures.dropin_hours, _("Permanences"))
    questions = figures.questions
    lines += [
        Line([_("Question Psy")], "heading"),
        Line([_("Indicateur"), _("Valeur")], "header"),
        Line([_("Questions reçues"), questions.received]),
        Line([_("Questions répondues"), questions.answered]),
        Line([_("Séances tenues"), questions.sessions_held]),
        Line([], "blank"),
    ]
    lines += _breakdown_lines(questions.by_asker, _("Questions"), total=True)

    impact = figures.impact
    lines += [
        Line([_("Évolution de l'impact (scores de 1 à 5)")], "heading"),
        Line([_("Jeunes évalués à l'accueil puis à nouveau sur la période"), impact.cases]),
    ]
    if impact.averages_hidden:
        lines.append(Line([impact.note]))
        return lines
    lines += [
        Line([_("Axe"), _("Moyenne à l'accueil"), _("Moyenne au dernier bilan"),
              _("Évolution")], "header"),
        *(Line([axis.label, axis.first_average, axis.latest_average, axis.change])
          for axis in impact.axes),
    ]
    return lines


def _figure_rows(lines: list[Line]) -> int:
    return sum(1 for line in lines if line.style == "data")


def figures_csv(figures: ShownFigures, *, association_name: str = "") -> ExportFile:
    lines = figures_lines(figures, association_name=association_name)
    return ExportFile(write_csv(lines), CSV_CONTENT_TYPE, "csv", _figure_rows(lines))


def figures_xlsx(figures: ShownFigures, *, association_name: str = "") -> ExportFile:
    lines = figures_lines(figures, association_name=association_name)
    content = write_xlsx(lines, sheet_title=_("Chiffres"), widths=[52, 22, 22, 14])
    return ExportFile(content, XLSX_CONTENT_TYPE, "xlsx", _figure_rows(lines))


# --- the case list -----------------------------------------------------------------------


def exported_fields() -> list[CustomField]:
    """The custom fields of cases a file shows: every one but free text (which may name
    a young person), archived ones too since the cases keep their values."""
    return [f for f in field_list(CustomFieldTarget.CASE, include_archived=True)
            if not f.is_text]


def case_columns(fields: list[CustomField] | None = None) -> list[str]:
    return [
        _("Numéro"), _("Ouvert le"), _("Clôturé le"), _("Tranche d'âge (à ce jour)"),
        _("Genre"), _("Commune"), _("Département"), _("Programme"),
        _("Source de détection"), _("Partenaire orienteur"), _("Types de situation"),
        *(f.label for f in fields or []),
    ]


def _export_queryset(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases with what the file shows, and without what it must never show."""
    situations = PicklistItem.objects.only("id", "label").order_by("position", "label")
    return (
        cases.defer("first_name")
        .select_related("programme", "detection_source", "referring_partner")
        .prefetch_related(Prefetch("situation_types", queryset=situations))
    )


def _case_cells(case: Case, today: date, fields: list[CustomField]) -> list[Cell]:
    return [
        case.code,
        case.opened_on,
        case.closed_on,
        age_bracket_label(case.age_bracket(today)),
        case.get_gender_display(),
        case.town,
        case.department,
        case.programme.label if case.programme else "",
        case.detection_source.label if case.detection_source else "",
        case.referring_partner.name if case.referring_partner else "",
        ", ".join(item.label for item in case.situation_types.all()),
        *(export_value(f, case.custom.get(f.key)) for f in fields),
    ]


def case_lines(cases: QuerySet[Case], *, today: date) -> Iterator[Line]:
    fields = exported_fields()
    yield Line(list[Cell](case_columns(fields)), "header")
    for case in _export_queryset(cases).iterator(chunk_size=500):
        yield Line(_case_cells(case, today, fields))


class _Counter:
    """Counts the data lines a writer consumes."""

    def __init__(self, lines: Iterable[Line]) -> None:
        self.lines = lines
        self.rows = 0

    def __iter__(self) -> Iterator[Line]:
        for line in self.lines:
            if line.style == "data":
                self.rows += 1
            yield line


def cases_csv(cases: QuerySet[Case], *, today: date) -> ExportFile:
    counted = _Counter(case_lines(cases, today=today))
    content = write_csv(counted)
    return ExportFile(content, CSV_CONTENT_TYPE, "csv", counted.rows)


def cases_xlsx(cases: QuerySet[Case], *, today: date) -> ExportFile:
    counted = _Counter(case_lines(cases, today=today))
    content = write_xlsx(counted, sheet_title=_("Dossiers"),
                         widths=[12, 12, 12, 16, 14, 22, 12, 28, 28, 28, 36])
    return ExportFile(content, XLSX_CONTENT_TYPE, "xlsx", counted.rows)
