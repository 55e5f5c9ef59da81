"""What a column of the file can become: a field of the case, or one of the association's
active custom fields of cases; suggestions from the headers; list values matched by label
or code, without case, accents or punctuation (and a final plural "s" forgiven)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from onboarding.importing.parsing import fold
from tracking.fields.services import field_list
from tracking.models import (
    CaseRole,
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
    Gender,
    PicklistItem,
    PicklistKind,
    Stage,
    WorkflowVersion,
)

IGNORE = ""
CUSTOM_PREFIX = "cf_"

# Kinds of target: how a cell is read.
TEXT, EXTERNAL_ID, YEAR, DATE, DEPARTMENT = "text", "external_id", "year", "date", "department"
CHOICE, MULTIPLE, PARTNER, STAFF = "choice", "multiple", "partner", "staff"
NUMBER, YES_NO = "number", "yes_no"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    kind: str
    max_length: int = 0
    synonyms: tuple[str, ...] = ()
    picklist: str = ""  # PicklistKind for list targets
    custom: CustomField | None = None

    @property
    def name(self) -> str:
        """The field's own name, for messages (a custom field's label alone)."""
        return self.custom.label if self.custom is not None else self.label

    @property
    def has_choices(self) -> bool:
        return self.kind in (CHOICE, MULTIPLE)


# Headers seen in associations' spreadsheets and in Monday.com boards (French and
# English interface), folded.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "identifiant", "identifiant externe", "external id", "item id",
                    "id de l element", "id element", "id de l item", "pulse id",
                    "reference", "ref", "numero monday", "item id auto generated"),
    "first_name": ("prenom", "prenom du jeune", "name", "nom", "nom du jeune", "jeune",
                   "item", "element", "first name"),
    "birth_year": ("annee de naissance", "naissance", "date de naissance", "birth year",
                   "ne e en", "ne en", "annee naissance"),
    "gender": ("genre", "sexe", "gender", "fille garcon"),
    "role": ("role", "role du jeune", "position du jeune", "victime temoin auteur"),
    "town": ("commune", "ville", "town", "city", "localite"),
    "department": ("departement", "dept", "dep", "code departement", "department"),
    "programme": ("programme", "dispositif", "program"),
    "detection_source": ("source", "source de detection", "origine", "orientation",
                         "detection", "canal d arrivee", "origine du signalement"),
    "situation_types": ("type de situation", "types de situation", "situation",
                        "problematique", "problematiques", "nature"),
    "referring_partner": ("partenaire", "partenaire orienteur", "etablissement", "ecole",
                          "college", "lycee", "structure", "orienteur", "etablissement scolaire"),
    "assigned_staff": ("referent", "referente", "referent e", "referents", "intervenant",
                       "intervenants", "intervenant referent", "person", "personne",
                       "people", "suivi par", "owner", "responsable"),
    "opened_on": ("date d ouverture", "ouvert le", "date de signalement", "date",
                  "date d entree", "date de creation", "creation log", "date du signalement"),
    "closed_on": ("date de cloture", "cloture le", "date de fin", "fin du suivi"),
    "closing_reason": ("motif de cloture", "raison de cloture", "motif"),
    "stage": ("etape", "statut", "status", "stage", "etat", "groupe monday com", "groupe",
              "group"),
}

_GENDER_WORDS = {
    Gender.GIRL: ("f", "fille", "feminin", "femme", "girl", "female"),
    Gender.BOY: ("g", "m", "h", "garcon", "masculin", "homme", "boy", "male"),
    Gender.OTHER: ("autre", "other", "non binaire"),
}
_ROLE_WORDS = {
    CaseRole.TARGETED: ("cible", "victime", "targeted", "jeune cible"),
    CaseRole.WITNESS: ("temoin", "witness"),
    CaseRole.AUTHOR: ("auteur", "autrice", "author", "auteur ice"),
}


def case_targets() -> dict[str, Target]:
    """Every target, by key, in the order the mapping screen offers them."""
    targets = [
        Target("external_id", _("Identifiant externe (pour ré-importer)"), EXTERNAL_ID, 100),
        Target("first_name", _("Prénom"), TEXT, 80),
        Target("birth_year", _("Année de naissance"), YEAR),
        Target("gender", _("Genre"), CHOICE),
        Target("role", _("Rôle du jeune"), CHOICE),
        Target("town", _("Commune"), TEXT, 120),
        Target("department", _("Département"), DEPARTMENT),
        Target("programme", _("Programme"), CHOICE, picklist=PicklistKind.PROGRAMME),
        Target("detection_source", _("Source de détection"), CHOICE,
               picklist=PicklistKind.DETECTION_SOURCE),
        Target("situation_types", _("Types de situation"), MULTIPLE,
               picklist=PicklistKind.SITUATION_TYPE),
        Target("referring_partner", _("Partenaire orienteur"), PARTNER, 200),
        Target("assigned_staff", _("Intervenants référents (e-mail ou nom)"), STAFF),
        Target("opened_on", _("Ouvert le"), DATE),
        Target("closed_on", _("Clôturé le"), DATE),
        Target("closing_reason", _("Motif de clôture"), CHOICE,
               picklist=PicklistKind.CLOSING_REASON),
        Target("stage", _("Étape du parcours"), CHOICE),
    ]
    result = {t.key: Target(t.key, t.label, t.kind, t.max_length, _SYNONYMS.get(t.key, ()),
                            t.picklist) for t in targets}
    kinds: dict[str, str] = {
        CustomFieldKind.TEXT: TEXT, CustomFieldKind.LONG_TEXT: TEXT,
        CustomFieldKind.NUMBER: NUMBER, CustomFieldKind.DATE: DATE,
        CustomFieldKind.CHOICE: CHOICE, CustomFieldKind.MULTIPLE_CHOICE: MULTIPLE,
        CustomFieldKind.YES_NO: YES_NO,
    }
    for custom in field_list(CustomFieldTarget.CASE):
        key = CUSTOM_PREFIX + custom.key
        result[key] = Target(
            key, _("Champ « %(label)s »") % {"label": custom.label}, kinds[custom.kind],
            5000 if custom.kind == CustomFieldKind.LONG_TEXT else 200,
            (fold(custom.label), fold(custom.key)), custom=custom,
        )
    return result


# --- Suggestions --------------------------------------------------------------------------


def suggest(headers: Sequence[str], targets: dict[str, Target]) -> dict[str, str]:
    """{column index: target key} for the headers recognised; each target once, the
    custom fields' own labels first, then the product's labels, then known synonyms."""
    folded = [fold(h) for h in headers]
    passes: list[dict[str, str]] = [
        {fold(t.custom.label): k for k, t in targets.items() if t.custom is not None},
        {fold(t.label): k for k, t in targets.items() if t.custom is None},
        {s: k for k, t in reversed(targets.items()) for s in t.synonyms},
    ]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for lookup in passes:
        for index, name in enumerate(folded):
            key = lookup.get(name)
            if str(index) in mapping or key is None or key in taken:
                continue
            mapping[str(index)] = key
            taken.add(key)
    return mapping


# --- Values of lists ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


def _singular(text: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in text.split())


@dataclass
class Choices:
    """The values a list target accepts, and how a cell's text finds one."""

    choices: list[Choice]
    words: dict[str, str] = field(default_factory=dict)  # folded synonym → code
    lookup: dict[str, str] = field(init=False)
    loose: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.lookup = dict(self.words)
        for choice in self.choices:
            self.lookup.setdefault(fold(choice.code), choice.code)
        for choice in self.choices:  # labels win over codes and synonyms
            self.lookup[fold(choice.label)] = choice.code
        self.loose = {_singular(k): v for k, v in self.lookup.items()}

    def match(self, text: str) -> str | None:
        folded = fold(text)
        return self.lookup.get(folded) or self.loose.get(_singular(folded))

    def label(self, code: str) -> str:
        return next((c.label for c in self.choices if c.code == code), code)

    def allowed(self) -> str:
        return ", ".join(c.label for c in self.choices)


def _words(table: dict[Any, tuple[str, ...]]) -> dict[str, str]:
    return {word: str(code) for code, words in table.items() for word in words}


def published_stages() -> list[Stage]:
    return list(Stage.objects.filter(version__status=WorkflowVersion.Status.PUBLISHED)
                .order_by("position", "id"))


def choices_for(target: Target, stages: Iterable[Stage] | None = None) -> Choices:
    if target.key == "gender":
        return Choices([Choice(str(v), str(label)) for v, label in Gender.choices if v],
                       _words(_GENDER_WORDS))
    if target.key == "role":
        return Choices([Choice(str(v), str(label)) for v, label in CaseRole.choices],
                       _words(_ROLE_WORDS))
    if target.key == "stage":
        return Choices([Choice(s.key, s.name)
                        for s in (published_stages() if stages is None else stages)])
    if target.picklist:
        items = PicklistItem.objects.filter(kind=target.picklist, is_archived=False)
        return Choices([Choice(i.code, i.label) for i in items.order_by("position", "label")])
    if target.custom is not None:
        return Choices([Choice(c["code"], c["label"]) for c in target.custom.active_choices()])
    return Choices([])
