"""The catalogue of network indicators: fixed tables on network codes. Schema: public.

Every indicator is a table of counts with fixed rows and columns — dimensions whose
categories are the codes shared by the whole network (tracking/lists/defaults.py), never an
association's own labels or free text — for one school year. Monthly indicators have the
twelve months of the school year as columns, so their row margins are the school-year
figures and one disclosure pattern covers the months and the year together: a month
can never be obtained by subtracting published figures of the same year.

No free filter exists: a coordinator chooses among these tables and school years, nothing
else, so that two queries can never be subtracted from each other.

Indicators of one `family` share their column margins (see disclosure.protect_family).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracking.lists.defaults import DEFAULT_PICKLISTS
from tracking.school_year import AGE_BRACKETS

UNKNOWN = "unknown"
UNMAPPED = "unmapped"  # an item of the association's list that has no network code
ALL = "all"
MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
MONTH_NAMES = {
    1: _("janvier"), 2: _("février"), 3: _("mars"), 4: _("avril"), 5: _("mai"),
    6: _("juin"), 7: _("juillet"), 8: _("août"), 9: _("septembre"), 10: _("octobre"),
    11: _("novembre"), 12: _("décembre"),
}
# Metropolitan départements (01–95 with 2A/2B for Corsica) and overseas ones.
DEPARTMENTS = (
    [f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"] + [f"{n:02d}" for n in range(21, 96)]
    + ["971", "972", "973", "974", "976"]
)
REFERRAL_DELAY_BUCKETS = [("0", 0, 0), ("1-2", 1, 2), ("3-7", 3, 7), ("8-14", 8, 14),
                          ("15-30", 15, 30), ("31+", 31, None)]
# Raw delays are counted by day up to this many days (the last row gathers the rest).
REFERRAL_DELAY_CAP = 91


def month_codes(school_year: int) -> list[str]:
    """'2025-09' … '2026-08' for the school year 2025-2026."""
    return [f"{school_year + (month < 9)}-{month:02d}" for month in MONTHS]


def month_label(code: str) -> str:
    year, month = code.split("-")
    return f"{MONTH_NAMES[int(month)]} {year}"


def department_of(text: str) -> str:
    """A case's département as typed ('75', '6', '2a', '974 ') → its code, or 'unknown'."""
    text = "".join(text.split()).upper()
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    return text if text in DEPARTMENTS else UNKNOWN


@dataclass(frozen=True)
class Dimension:
    key: str
    title: Promise
    codes: Callable[[int], list[str]]  # categories, given the school year
    labels: Callable[[str], str]

    def label(self, code: str) -> str:
        if code == UNKNOWN:
            return str(_("Non renseigné"))
        if code == UNMAPPED:
            return str(_("Sans code réseau"))
        if code == ALL:
            return str(_("Ensemble"))
        return self.labels(code)


def _picklist(kind: str) -> tuple[Callable[[int], list[str]], Callable[[str], str]]:
    labels = {network: label for _code, label, network in DEFAULT_PICKLISTS[kind] if network}
    codes = list(dict.fromkeys(labels))
    return (lambda _year: [*codes, UNMAPPED, UNKNOWN]), (lambda code: labels.get(code, code))


def _age_label(code: str) -> str:
    if code == "under-3":
        return str(_("Moins de 3 ans"))
    if code == "over-25":
        return str(_("Plus de 25 ans"))
    low, _sep, high = code.partition("-")
    return str(_("%(low)s à %(high)s ans") % {"low": low, "high": high})


AGE_CODES = ["under-3", *[f"{low}-{high}" for low, high in AGE_BRACKETS], "over-25", UNKNOWN]
GENDER_LABELS = {"girl": _("Fille"), "boy": _("Garçon"), "other": _("Autre")}
AUDIENCE_LABELS = {"pupils": _("Élèves"), "parents": _("Parents"), "teachers": _("Enseignants"),
                   "other_professionals": _("Autres professionnels")}
# Question Psy: who asks (tracking.questions.models.Question.Asker).
ASKER_LABELS = {"young_person": _("Jeunes"), "parent": _("Parents"),
                "professional": _("Professionnels"), "other": _("Autres")}
AXIS_LABELS = {"peers": _("Liens avec les pairs"), "family": _("Liens familiaux"),
               "school_work": _("École ou travail"), "help": _("Aide et professionnels"),
               "confidence": _("Confiance en soi")}
# Drop-in hours (tracking/dropin): held, by mode, and no-shows.
DROPIN_LABELS = {"video": _("Tenue en visio"), "phone": _("Tenue par téléphone"),
                 "on_site": _("Tenue sur place"), "no_show": _("Absence")}

DIMENSIONS: dict[str, Dimension] = {
    d.key: d for d in [
        Dimension("month", _("Mois"), month_codes, month_label),
        Dimension("age_bracket", _("Tranche d'âge"), lambda _y: AGE_CODES, _age_label),
        Dimension("gender", _("Genre"), lambda _y: [*GENDER_LABELS, UNKNOWN],
                  lambda code: str(GENDER_LABELS.get(code, code))),
        Dimension("detection_source", _("Source de détection"),
                  *_picklist("detection_source")),
        Dimension("situation_type", _("Type de situation"), *_picklist("situation_type")),
        Dimension("programme", _("Programme"), *_picklist("programme")),
        Dimension("interaction_kind", _("Type d'échange"), *_picklist("interaction_kind")),
        Dimension("department", _("Département"), lambda _y: [*DEPARTMENTS, UNKNOWN],
                  lambda code: code),
        Dimension("audience", _("Public"), lambda _y: list(AUDIENCE_LABELS),
                  lambda code: str(AUDIENCE_LABELS.get(code, code))),
        Dimension("delay", _("Délai (jours)"),
                  lambda _y: [code for code, _low, _high in REFERRAL_DELAY_BUCKETS],
                  lambda code: str(_("%(days)s j") % {"days": code})),
        Dimension("dropin", _("Permanence"), lambda _y: list(DROPIN_LABELS),
                  lambda code: str(DROPIN_LABELS.get(code, code))),
        Dimension("asker", _("Qui demande"), lambda _y: [*ASKER_LABELS, UNKNOWN],
                  lambda code: str(ASKER_LABELS.get(code, code))),
        Dimension("all", _("Ensemble"), lambda _y: [ALL], lambda code: code),
        Dimension("employment_milestone", _("Étape du parcours vers l'emploi"),
                  *_picklist("employment_milestone")),
    ]
}


@dataclass(frozen=True)
class Indicator:
    key: str
    title: Promise
    unit: Promise  # what is counted
    rows: str  # dimension keys
    columns: str
    family: str = ""  # indicators sharing their column margins
    sensitive: bool = False  # columns are a sensitive attribute (whole-group rule)
    note: Promise | str = ""
    chart: str = "bars"  # "bars" (by row) or "trend" (by month)

    @property
    def full_title(self) -> str:
        """The title, with the breakdown when tables share it (new / active young people)."""
        if self.family in ("new", "active"):
            return str(_("%(title)s — par %(dimension)s") % {
                "title": self.title, "dimension": str(DIMENSIONS[self.rows].title).lower()})
        return str(self.title)

    def row_codes(self, school_year: int) -> list[str]:
        return DIMENSIONS[self.rows].codes(school_year)

    def column_codes(self, school_year: int) -> list[str]:
        return DIMENSIONS[self.columns].codes(school_year)


_YOUNG = _("jeunes accompagnés")
_MULTI = _("Un jeune peut avoir plusieurs types de situation : les totaux comptent les "
           "mentions.")

CATALOGUE: list[Indicator] = [
    *[
        Indicator(f"new_by_{dim}", _("Nouveaux jeunes accompagnés par mois"), _YOUNG,
                  rows=dim, columns="month", family="new", chart="trend")
        for dim in ("age_bracket", "gender", "detection_source", "programme", "department")
    ],
    *[
        Indicator(f"active_by_{dim}", _("Jeunes accompagnés dans l'année, par genre"), _YOUNG,
                  rows=dim, columns="gender", family="active")
        for dim in ("age_bracket", "detection_source", "programme", "department")
    ],
    Indicator("situation_by_age_bracket", _("Types de situation par tranche d'âge"), _YOUNG,
              rows="age_bracket", columns="situation_type", family="situation",
              sensitive=True, note=_MULTI),
    Indicator("situation_by_department", _("Types de situation par département"), _YOUNG,
              rows="department", columns="situation_type", family="situation",
              sensitive=True, note=_MULTI),
    Indicator("interactions_by_kind", _("Échanges par type et par mois"), _("échanges"),
              rows="interaction_kind", columns="month", chart="trend"),
    Indicator("group_sessions", _("Séances des groupes d'échange"), _("séances"),
              rows="all", columns="month", chart="trend"),
    Indicator("group_attendance", _("Présences aux groupes d'échange"), _("présences"),
              rows="all", columns="month", chart="trend"),
    Indicator("awareness_by_audience", _("Personnes sensibilisées par public et par mois"),
              _("personnes"), rows="audience", columns="month", chart="trend"),
    Indicator("questions_psy", _("Questions Psy reçues, par personne qui demande et par mois"),
              _("questions"), rows="asker", columns="month", chart="trend",
              note=_("Questions posées anonymement (les indésirables mises de côté ne "
                     "comptent pas).")),
    Indicator("referral_delay", _("Délai entre le signalement et le premier contact"),
              _YOUNG, rows="delay", columns="all",
              note=_("Jeunes dont le dossier a été ouvert dans l'année et qui ont eu un "
                     "premier échange ; délai en jours depuis la réception du signalement "
                     "(ou l'ouverture du dossier).")),
    Indicator("impact_assessed", _("Jeunes évalués à l'accueil puis en bilan"), _YOUNG,
              rows="all", columns="all",
              note=_("Moyennes des scores (1 à 5) sur les cinq axes, à l'accueil et au "
                     "dernier bilan de l'année ; publiées seulement si l'effectif l'est.")),
    Indicator("employment_milestones", _("Parcours vers l'emploi : étapes franchies, par "
                                         "genre"), _YOUNG,
              rows="employment_milestone", columns="gender",
              note=_("Jeunes du programme de retour à l'emploi ayant franchi chaque étape "
                     "dans l'année ; un jeune compte une fois par étape.")),
    Indicator("dropin_hours", _("Permanences avec un ou une psychologue, par mois"),
              _("permanences"), rows="dropin", columns="month", chart="trend",
              note=_("Créneaux réservés qui ont eu lieu : tenus (par mode) ou absences.")),
]
BY_KEY = {indicator.key: indicator for indicator in CATALOGUE}
FAMILIES: dict[str, list[Indicator]] = {}
for _indicator in CATALOGUE:
    if _indicator.family:
        FAMILIES.setdefault(_indicator.family, []).append(_indicator)

# Raw contributions that are not tables of the catalogue: sums behind the published
# averages and medians, never shown themselves.
IMPACT_SUMS = "impact_sums"  # rows: axis, columns: "first" / "latest" (sums of scores)
REFERRAL_DELAY_DAYS = "referral_delay_days"  # rows: days 0…REFERRAL_DELAY_CAP, column "all"
DATA_UNTIL = "data_until"  # row: the cut-off day the contribution counted up to (ISO)
RAW_ONLY = {IMPACT_SUMS, REFERRAL_DELAY_DAYS, DATA_UNTIL}
AXES = list(AXIS_LABELS)


def delay_bucket(days: int) -> str:
    for code, low, high in REFERRAL_DELAY_BUCKETS:
        if days >= low and (high is None or days <= high):
            return code
    return REFERRAL_DELAY_BUCKETS[0][0]  # negative delays (data entry) count as same day
