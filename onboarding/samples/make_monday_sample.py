"""Write `monday_suivi_jeunes.xlsx`: an invented Monday.com board export, laid out as
Monday writes it (board title, then per group a section row, the header row again and
its items; a sub-items block; a group summary row). Every name, school and number is
invented. The product offers it for download on the import page, and the tests import it.

    .venv/bin/python onboarding/samples/make_monday_sample.py

The file is written byte for byte the same each time (fixed workbook dates).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "monday_suivi_jeunes.xlsx"
TITLE = "Suivi des jeunes accompagnés"
HEADERS = [
    "Nom", "Référent·e", "Statut", "Date de signalement", "Année de naissance", "Genre",
    "Ville", "Département", "Source", "Type de situation", "Établissement", "Programme",
    "Date de clôture", "Motif de clôture", "Notes", "ID de l'élément",
]
# (group, items): Nom, Référent·e, Statut, Date de signalement, Année, Genre, Ville,
# Département, Source, Type de situation, Établissement, Programme, Date de clôture,
# Motif de clôture, Notes, ID de l'élément
GROUPS: list[tuple[str, list[list[object]]]] = [
    ("Nouveaux signalements", [
        ["Lina", "Claire Martin", "Urgent", date(2025, 11, 3), 2012, "Fille", "Montreuil",
         "93", "Établissement scolaire", "Harcèlement, Cyberviolence", "Collège des Tilleuls",
         "Accompagnement individuel", None, None, "Appel de la CPE", 1811000101],
        ["Noé", "", "En attente", "2025-11-05", 2014, "Garçon", "Créteil", 94, "Parents",
         "Harcèlement", "", "", None, None, "", 1811000102],
        ["Sacha", "Karim Benali", "", date(2025, 11, 12), 2010, "", "Saint-Denis", "974",
         "Campagne en ligne", "Cyberviolence", "", "Groupes d'échange", None, None, "",
         1811000103],
    ]),
    ("Suivis en cours", [
        ["Maëlys", "Claire Martin", "RDV fixé", date(2025, 9, 15), 2011, "Fille", "Bobigny",
         "93", "Établissement scolaire", "Harcèlement", "Collège des Tilleuls",
         "Accompagnement individuel", None, None, "", 1811000201],
        ["Yanis", "Claire Martin, Karim Benali", "En attente", date(2025, 10, 1), 2009,
         "Garçon", "Vitry-sur-Seine", "94", "Le jeune lui-même", "Intimidation; Harcèlement",
         "Lycée des Lilas", "Accompagnement individuel", None, None, "", 1811000202],
        ["Inès", "Karim Benali", "", date(2025, 6, 20), 2008, "Fille", "Paris", 75,
         "Partenaire", "Discrimination", "Lycée des Lilas", "Groupes d'échange", None, None,
         "", 1811000203],
        ["Adam", "", "RDV fixé", date(2025, 10, 14), 2013, "Garçon", "Montreuil", "93",
         "Parents", "Harcèlement", "École élémentaire du Parc", "Accompagnement individuel",
         None, None, "", 1811000204],
        ["Chloé", "Claire Martin", "Urgent", date(2025, 10, 28), 2012, "Fille", "Pantin",
         "93", "Établissement scolaire", "Cyberviolence", "Collège des Tilleuls",
         "Accompagnement individuel", None, None, "", 1811000205],
        ["Rayan", "Karim Benali", "", date(2025, 5, 6), 2007, "Garçon", "Le Port", "974",
         "Campagne en ligne", "Harcèlement, Discrimination", "", "Retour à l'emploi", None,
         None, "", 1811000206],
    ]),
    ("Clôturés", [
        ["Jade", "Claire Martin", "", date(2025, 2, 10), 2011, "Fille", "Noisy-le-Sec", "93",
         "Établissement scolaire", "Harcèlement", "Collège des Tilleuls",
         "Accompagnement individuel", date(2025, 6, 30), "Situation apaisée", "", 1811000301],
        ["Lucas", "Karim Benali", "", date(2025, 1, 22), 2010, "Garçon", "Ivry-sur-Seine",
         "94", "Parents", "Intimidation", "", "Accompagnement individuel", date(2025, 4, 2),
         "Sans nouvelles", "", 1811000302],
        ["Emma", "", "", date(2024, 11, 18), 2009, "Fille", "Saint-Pierre", "974",
         "Le jeune lui-même", "Cyberviolence", "", "Groupes d'échange", date(2025, 3, 14),
         "Situation apaisée", "", 1811000303],
    ]),
]
SUBITEM_HEADERS = ["Sous-éléments", "Nom", "Personne", "Statut", "Date"]
SUBITEMS = [["", "Appeler la famille", "Claire Martin", "Fait", date(2025, 9, 16)],
            ["", "Point avec l'établissement", "Claire Martin", "À faire", None]]


def build() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Suivi des jeunes"
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True, size=16)
    sheet.append([])
    for index, (group, items) in enumerate(GROUPS):
        if index:
            sheet.append([])
        sheet.append([group])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, color="579BFC")
        sheet.append(HEADERS)
        for item in items:
            sheet.append(item)
            if item[-1] == 1811000201:  # Monday writes an item's sub-items under it
                sheet.append(SUBITEM_HEADERS)
                for subitem in SUBITEMS:
                    sheet.append(subitem)
                sheet.append([])
                sheet.append(HEADERS)
        # The group's summary row (no item name): what Monday adds under each group.
        sheet.append([None, None, None, None, None, None, None, None, None, None, None,
                      None, None, None, f"{len(items)} éléments"])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    workbook.properties.created = datetime(2025, 12, 1, 9, 0)  # noqa: DTZ001
    workbook.properties.modified = datetime(2025, 12, 1, 9, 0)  # noqa: DTZ001
    workbook.properties.creator = "monday.com"
    return workbook


def main() -> None:
    build().save(SAMPLE)
    count = sum(len(items) for _group, items in GROUPS)
    print(f"{SAMPLE.relative_to(HERE.parents[1])}: {count} items")  # noqa: T201


if __name__ == "__main__":
    main()
