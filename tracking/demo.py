"""Invented activity for demonstrations and benchmarks: a year of an association's work.

`generate_activity` writes straight to the tables, in one transaction, with PostgreSQL's COPY
(model instances go through their fields' get_db_prep_save, as with bulk_create, so names
and clinical notes are encrypted; the large volumes — exchanges and their links, group
presences — are written as plain rows): several times faster than bulk_create's INSERTs.
50,000 cases and 500,000 exchanges take one to one and a half minutes on two cores
(bench/case_list.py), a third of it in the foreign-key checks at commit.
The services are there to validate what people type; here the data is made so that it
keeps the same rules:

- assigned staff, interviewers, facilitators and assessors are the team members given;
- a psychologist or listener only records exchanges on cases assigned to them
  (coordinators and admins, who see every case, may record on any);
- clinical notes are written only on exchanges recorded by a psychologist;
- no date is in the future, a case is closed on or after the day it was opened, and every
  exchange, consent, assessment and group presence falls between its case's opening and
  closing;
- at most `capacity` young people are present at a group session, and only young people
  whose consent in force allows the exchange groups take part;
- case codes come from the association's yearly counter (`2025-0042`), which is moved on by
  as many numbers as were used, so that cases opened later get the next numbers.

Everything is invented: first names are common French first names, partner names are made
up; towns are real communes (towns are not people).
"""

from __future__ import annotations

import logging
import random
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from time import perf_counter as time_counter
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from psycopg import sql

from tracking.models import (
    Attendance,
    AttendanceStatus,
    AwarenessSession,
    Case,
    CaseContact,
    CaseEvent,
    CaseLink,
    CaseRole,
    Channel,
    Consent,
    ConsentGiver,
    Contact,
    ContactKind,
    ExchangeGroup,
    Gender,
    GroupSession,
    ImpactAssessment,
    Interaction,
    Partner,
    PicklistItem,
    PicklistKind,
)

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Rows per INSERT (bulk_create) and interactions built in memory at a time.
BATCH = 5000
CHUNK = 20000

# --- Invented names and real communes --------------------------------------------------

GIRLS = [
    "Inès", "Léa", "Chloé", "Manon", "Camille", "Sarah", "Jade", "Lina", "Emma", "Louise",
    "Yasmine", "Maëlys", "Aïcha", "Nour", "Zoé", "Clara", "Anaïs", "Lou", "Mélissa", "Océane",
    "Kenza", "Maya", "Rose", "Salomé", "Eva", "Lilou", "Nina", "Assia", "Mariam", "Fatou",
    "Héloïse", "Alicia", "Noémie", "Ambre", "Leïla", "Jeanne", "Romane", "Naïla", "Elsa",
    "Lisa", "Maïssa", "Kelly", "Priscilla", "Laurie",
]
BOYS = [
    "Lucas", "Adam", "Nathan", "Rayan", "Hugo", "Mohamed", "Enzo", "Noah", "Théo", "Yanis",
    "Louis", "Ethan", "Ilyes", "Gabriel", "Sacha", "Mathis", "Kylian", "Amine", "Jules",
    "Samuel", "Tom", "Bilal", "Ibrahim", "Léo", "Maxime", "Nolan", "Wassim", "Axel",
    "Mamadou", "Killian", "Timéo", "Evan", "Ayoub", "Baptiste", "Dylan", "Loïc", "Kévin",
    "Teddy", "Jordan", "Matteo", "Johan", "Steeve",
]
EPICENE = ["Alex", "Charlie", "Sam", "Eden", "Andréa", "Camille", "Noa", "Sasha"]
MOTHERS = [
    "Nadia", "Sandrine", "Fatima", "Isabelle", "Karima", "Céline", "Aminata", "Sophie",
    "Valérie", "Samira", "Nathalie", "Malika", "Christelle", "Hawa", "Sylvie", "Laetitia",
    "Rachida", "Stéphanie", "Mireille", "Josiane", "Aurélie", "Linda",
]
FATHERS = [
    "Karim", "Stéphane", "Mamadou", "Olivier", "Rachid", "Frédéric", "Moussa", "Laurent",
    "Jean-Marc", "Abdel", "David", "Hervé", "Sébastien", "Youssef", "Patrice", "Thierry",
    "Ousmane", "Christophe", "Didier", "Jean-Claude", "Fabrice", "Mickaël",
]
SURNAMES = [
    "Martin", "Bernard", "Diallo", "Benali", "Moreau", "Traoré", "Lefebvre", "Nguyen",
    "Haddad", "Fontaine", "Payet", "Hoarau", "Grondin", "Rivière", "Mendy", "Chevalier",
    "Boyer", "Robert", "Dupont", "Cissé", "Fernandes", "Da Silva", "Leroy", "Lambert",
    "Hamidi", "Koné", "Morel", "Girard", "Técher", "Mercier", "Blanc", "Guérin", "Sanchez",
    "Perrin", "Barbier", "Rolland", "Bouchet", "Ferreira", "Mansouri", "Lebon", "Maillot",
]
SCHOOL_STAFF = [  # how a member of a school's staff relates to a pupil; "f" feminine
    ("CPE", "f"), ("CPE", "m"), ("professeure principale", "f"), ("professeur principal", "m"),
    ("infirmière scolaire", "f"), ("principale adjointe", "f"), ("principal adjoint", "m"),
    ("assistante sociale scolaire", "f"),
]

TOWNS: dict[str, list[str]] = {
    "93": [
        "Montreuil", "Saint-Denis", "Bobigny", "Aubervilliers", "Pantin", "Bondy",
        "Noisy-le-Sec", "Aulnay-sous-Bois", "Sevran", "Saint-Ouen-sur-Seine", "Drancy",
        "Rosny-sous-Bois", "Bagnolet", "Les Lilas", "Clichy-sous-Bois", "Épinay-sur-Seine",
        "La Courneuve", "Stains", "Villemomble", "Livry-Gargan",
    ],
    "94": [
        "Créteil", "Vitry-sur-Seine", "Ivry-sur-Seine", "Champigny-sur-Marne", "Vincennes",
        "Fontenay-sous-Bois", "Maisons-Alfort", "Villejuif", "Choisy-le-Roi",
        "Saint-Maur-des-Fossés", "Alfortville", "Cachan",
    ],
    "75": ["Paris"],
    "92": [
        "Nanterre", "Colombes", "Gennevilliers", "Boulogne-Billancourt", "Clichy", "Montrouge",
        "Bagneux", "Asnières-sur-Seine", "Malakoff",
    ],
    "974": [
        "Saint-Denis", "Saint-Pierre", "Saint-Paul", "Le Tampon", "Saint-André", "Saint-Louis",
        "Le Port", "Saint-Benoît", "Sainte-Marie", "La Possession", "Saint-Joseph",
    ],
}
# Like the reference association: mostly Seine-Saint-Denis, the rest of Île-de-France,
# and La Réunion.
DEFAULT_DEPARTMENTS = {"93": 50, "94": 15, "75": 10, "92": 10, "974": 15}

PLACE_NAMES = [
    "Les Tilleuls", "Les Hirondelles", "Le Grand Chêne", "Les Coquelicots", "La Source",
    "Les Érables", "Le Vieux Moulin", "Les Glycines", "Les Mésanges", "La Roseraie",
    "Les Sablons", "Le Val Fleuri", "Les Cèdres", "La Clairière", "Les Bruyères",
    "Les Peupliers", "Les Châtaigniers", "L'Arc-en-ciel", "Les Flamboyants", "Les Filaos",
    "Les Tamarins", "Les Vacoas", "Les Badamiers", "Le Belvédère", "Les Alizés",
    "La Ravine Verte", "Les Cerisiers", "Les Quatre Vents", "Le Clos Joli", "Les Libellules",
]
SPIRIT_NAMES = [
    "La Passerelle", "Le Phare", "L'Escale", "Le Trait d'Union", "La Boussole", "Le Relais",
    "L'Étincelle", "La Main Tendue", "Horizon", "Le Tremplin", "La Courte Échelle",
    "Le Carrefour", "La Case", "Cap Jeunesse", "Le Fil", "L'Élan", "Le Préau", "La Halte",
]
PARTNER_KINDS = [
    # partner type code, share, name patterns, name list
    ("middle_school", 34, ["Collège {}"], PLACE_NAMES),
    ("high_school", 14, ["Lycée {}", "Lycée professionnel {}"], PLACE_NAMES),
    ("primary_school", 14, ["École élémentaire {}"], PLACE_NAMES),
    ("town_hall", 8, ["Espace jeunesse municipal {}"], SPIRIT_NAMES),
    ("social_centre", 11, ["Centre social {}"], SPIRIT_NAMES),
    ("association", 8, ["Association {}", "Maison de quartier {}"], SPIRIT_NAMES),
    ("employment_agency", 4, ["Agence pour l'emploi, antenne {}"], SPIRIT_NAMES),
    ("health", 4, ["Centre médico-psychologique {}", "Maison de santé {}"], PLACE_NAMES),
    ("other", 3, ["Club sportif {}", "Médiathèque {}"], SPIRIT_NAMES),
]
SCHOOL_KINDS = ("primary_school", "middle_school", "high_school")

# --- What the exchanges say --------------------------------------------------------------

FIRST_EXCHANGE = [
    "Premier échange : moqueries répétées en classe depuis la rentrée, ne veut plus aller "
    "en cours.",
    "Premier appel : messages insultants sur un groupe de classe, se sent très isolé.",
    "Premier contact après orientation par l'établissement : mis à l'écart à la cantine et "
    "en récréation.",
    "Premier échange : photos détournées partagées sur un réseau social, grande inquiétude.",
    "A écrit après la campagne en ligne : remarques sur son apparence depuis plusieurs mois.",
    "Premier entretien : bousculades et surnoms dans les couloirs, parents démunis.",
    "Premier contact : a quitté sa formation après des remarques répétées, souhaite "
    "reprendre une activité.",
    "Premier échange : témoin de violences répétées envers un camarade, se sent coupable "
    "de n'avoir rien dit.",
    "Premier échange : faux compte créé à son nom, rumeurs qui circulent au collège.",
]
FOLLOW_UP = [
    "Point d'étape : la situation s'apaise en classe, reprend goût au sport.",
    "Nouvel incident dans le bus ; travail sur les adultes ressources de l'établissement.",
    "Décrit un groupe d'amis plus sûr ; dort mieux.",
    "Préparation d'un rendez-vous avec la CPE : ce que le jeune veut dire, et comment.",
    "Messages reçus à nouveau ; conseils pour garder les preuves et signaler le compte.",
    "Point sur le changement de classe envisagé.",
    "Retour sur le groupe d'échange : se sent moins seul, veut continuer.",
    "Reprise progressive : essai d'une demi-journée au lycée cette semaine.",
    "Échange sur les réseaux sociaux et les réglages de confidentialité.",
    "Retour sur l'atelier collectif ; deux pistes de formation identifiées.",
    "A pu parler à un adulte de l'établissement ; soulagement.",
    "Absent au rendez-vous prévu ; rappel fait, nouveau créneau fixé.",
    "Échange court : semaine calme, prochain point dans quinze jours.",
    "Parle d'un projet de stage ; confiance en hausse.",
    "Inquiétude avant le conseil de classe ; préparation ensemble.",
]
WITH_PARENT = [
    "Échange avec la mère : inquiète de la baisse des résultats ; conseils pour en parler "
    "sans forcer.",
    "Appel du père : souhaite rencontrer l'établissement ; préparation de la rencontre.",
    "Point avec les parents sur les démarches possibles auprès de l'établissement.",
    "Les parents constatent un apaisement à la maison.",
    "Échange avec la famille sur l'inscription au groupe d'échange.",
    "La mère rapporte de nouveaux messages reçus le week-end ; conseils pour signaler.",
]
WITH_SCHOOL = [
    "Réunion avec l'équipe éducative : un adulte référent et une vigilance en récréation.",
    "Échange avec la CPE : les élèves concernés ont été reçus, suivi prévu.",
    "Point avec le professeur principal sur le climat de la classe.",
]
PARTNER_ONLY = [
    "Réunion de partenariat : présentation des groupes d'échange aux équipes.",
    "Échange avec le partenaire sur les situations repérées ce trimestre.",
    "Préparation d'une séance de sensibilisation.",
    "Webinaire pour les conseillers : repérer un jeune en difficulté après du harcèlement.",
    "Bilan de l'année avec le partenaire et calendrier des prochaines actions.",
]
QUESTION_PSY = [
    "Question Psy : a posé une question anonyme sur la peur de retourner en cours.",
    "Question Psy : a écouté les réponses sur la confiance en soi.",
    "Question Psy : question de la famille sur les signes qui doivent alerter.",
]
CLOSING = [
    "Dernier échange : la situation est apaisée, sait qu'il ou elle peut revenir vers nous.",
    "Bilan de fin d'accompagnement avec le jeune et sa famille.",
]
CLINICAL = [
    "Anxiété anticipatoire marquée le dimanche soir, endormissement difficile. Travail sur "
    "les ressources et les lieux sûrs.",
    "Humeur plus stable ; estime de soi encore fragile. Poursuivre le travail sur "
    "l'affirmation de soi.",
    "Tristesse importante et repli ; évaluation du risque faite, pas d'élément inquiétant "
    "immédiat. Rendez-vous rapproché, lien avec la famille.",
    "Maux de ventre le matin en lien avec le trajet vers l'école.",
    "Hypervigilance autour du téléphone, vérifications fréquentes des messages.",
    "Bonne alliance ; met des mots sur la colère ressentie.",
    "Honte persistante ; travail sur la culpabilité du témoin.",
    "Moins de ruminations ; reprise d'une activité qui lui plaît.",
]
GROUP_THEMES = [
    "Métiers et passions", "Jeux vidéo et création", "L'actu de la semaine",
    "Musique et playlists", "Dessin, manga et BD", "Sport et bien-être", "Cuisine du monde",
    "Orientation et projets", "Séries et cinéma", "Retour à l'emploi, pas à pas",
    "Photo et nature", "Écriture et slam",
]
GROUP_TOPICS = [
    "Présentation des nouveaux", "Un métier qui me fait rêver", "Mon jeu du moment",
    "L'actualité de la semaine", "Ce qui m'aide quand ça ne va pas", "Témoignage d'un bénévole",
    "Projets pour les vacances", "Ma passion en trois images", "Quiz de culture générale",
    "Préparer un entretien", "Une chanson qui me porte", "Les réseaux sociaux et moi", "",
]

# interaction kind: (weight for exchanges on a case, channels with weights, minutes)
KINDS: dict[str, tuple[int, list[tuple[str, int]], tuple[int, int] | None]] = {
    "drop_in": (26, [(Channel.IN_PERSON, 5), (Channel.VIDEO, 3), (Channel.PHONE, 2)], (20, 60)),
    "interview": (14, [(Channel.PHONE, 5), (Channel.VIDEO, 3), (Channel.IN_PERSON, 2)],
                  (40, 75)),
    "call": (30, [(Channel.PHONE, 1)], (5, 35)),
    "message": (20, [(Channel.CHAT, 1)], None),
    "question_psy": (4, [(Channel.VIDEO, 1)], (55, 65)),
    "meeting": (6, [(Channel.IN_PERSON, 3), (Channel.VIDEO, 2)], (30, 90)),
}
CLINICAL_KINDS = frozenset({"drop_in", "interview", "call"})
INTERACTION_COLUMNS = ("id", "kind_id", "channel", "occurred_at", "duration_minutes", "staff_id",
                       "partner_id", "summary", "clinical_note", "created_by_id", "created_at",
                       "custom")

AGES = list(range(3, 26))
AGE_WEIGHTS = [
    1 if a <= 5 else 3 if a <= 10 else 14 if a <= 14 else 10 if a <= 17 else 3 if a <= 21
    else 1.5 for a in AGES
]
WORK_AGE_WEIGHTS = [0 if a < 16 else 2 if a <= 17 else 5 if a <= 21 else 4 for a in AGES]
SOURCES_MINOR = {
    "school": 36, "parents": 26, "partner": 12, "online_campaign": 9, "prevention_forum": 6,
    "self_referral": 6, "referral_form": 4, "other": 1,
}
SOURCES_ADULT = {
    "partner": 25, "online_campaign": 25, "self_referral": 25, "prevention_forum": 5,
    "other": 5,
}
SITUATIONS = {"bullying": 60, "cyber_violence": 30, "intimidation": 15, "discrimination": 10,
              "other": 4}
CLOSING_REASONS = {"resolved": 50, "referred": 15, "no_news": 15, "family_request": 10,
                   "moved": 5, "other": 5}


# --- Helpers -------------------------------------------------------------------------------


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for offset in range(0, len(items), size):
        yield items[offset:offset + size]


def _bulk(model: type[models.Model], rows: Sequence[Any]) -> int:
    """Insert model instances and set their primary keys; returns the count.

    Like bulk_create (each value goes through its field's get_db_prep_save, so encrypted
    fields are encrypted), but written with COPY, which is several times faster."""
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no thread-local lookup per value
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    pk = model._meta.pk
    for batch in _batches(rows, BATCH):
        for obj, new_id in zip(batch, _reserve_ids(model, len(batch)), strict=True):
            obj.pk = new_id
        _copy(model, [str(pk.column), *(str(f.column) for f in fields)], (
            (obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), db)
                       for f in fields))
            for obj in batch
        ))
        for obj in batch:
            obj._state.adding, obj._state.db = False, db.alias
    return len(rows)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` values of the table's id sequence (rows written by COPY give their id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
          ) -> int:
    """Write plain rows with COPY: for the large volumes, many times faster than INSERT.
    Values must be ready for the database (encrypted fields already encrypted)."""
    known = {f.column for f in model._meta.concrete_fields}
    if unknown := set(columns) - known:
        raise ValueError(f"{model._meta.db_table} has no column {sorted(unknown)}")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


class _Weighted:
    """Cheap repeated weighted choice."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        items = [(k, w) for k, w in weights.items() if w > 0]
        self.keys = [k for k, _w in items]
        self.cum = list(accumulate(w for _k, w in items))

    def pick(self, rng: random.Random) -> Any:
        return self.keys[bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass
class _Team:
    psychologists: list[int]
    listeners: list[int]
    coordinators: list[int]
    admins: list[int]
    volunteers: list[int]

    @classmethod
    def of(cls, staff_ids_by_role: dict[str, list[int]]) -> _Team:
        def ids(role: str) -> list[int]:
            return sorted({int(i) for i in staff_ids_by_role.get(role, [])})

        team = cls(ids("psychologist"), ids("listener"), ids("coordinator"), ids("admin"),
                   ids("volunteer"))
        if not team.followers:
            raise ValueError("generate_activity needs at least one psychologist, listener, "
                             "coordinator or admin in staff_ids_by_role")
        return team

    @property
    def followers(self) -> list[int]:
        """Who may be a case's referent: psychologists, listeners, coordinators (admins
        when there is nobody else)."""
        return (self.psychologists + self.listeners + self.coordinators) or self.admins

    @property
    def see_all(self) -> list[int]:
        return self.coordinators + self.admins


@dataclass(slots=True)
class _Plan:
    """What the generator keeps about a case while it builds the rest."""

    case: Case
    age: int
    end: date  # closing day, or today
    staff: list[int]
    weight: float
    parents: list[int] = field(default_factory=list)
    school_contacts: list[int] = field(default_factory=list)
    sibling: int | None = None
    groups_from: date | None = None  # consent to the exchange groups in force from then


# --- The generator ---------------------------------------------------------------------------


class _Generator:
    def __init__(self, *, rng: random.Random, start: date, team: _Team,
                 departments: Mapping[str, float]) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.start = start
        self.team = team
        self.departments = _Weighted({d: w for d, w in departments.items() if d in TOWNS})
        if not self.departments.keys:
            raise ValueError(f"departments must name some of {sorted(TOWNS)}")
        self.towns = {d: _Weighted({t: 1 / (1 + i * 0.2) for i, t in enumerate(towns)})
                      for d, towns in TOWNS.items()}
        self.items: dict[str, dict[str, PicklistItem]] = defaultdict(dict)
        for item in PicklistItem.objects.filter(is_archived=False):
            self.items[item.kind][item.code] = item
        self.partners: list[Partner] = []
        self.partners_by: dict[tuple[str, str], list[Partner]] = defaultdict(list)
        self.plans: list[_Plan] = []
        self.counts: dict[str, int] = defaultdict(int)

    # --- small random helpers

    def item(self, kind: str, code: str) -> PicklistItem | None:
        """The association's active item of that code, else another active item of the
        same list (an association may have archived or renamed defaults), else None."""
        items = self.items.get(kind) or {}
        found = items.get(code)
        if found is None and items:
            found = items[sorted(items)[self.rng.randrange(len(items))]]
        return found

    def weighted_item(self, kind: str, weights: Mapping[str, float]) -> PicklistItem | None:
        return self.item(kind, _Weighted(weights).pick(self.rng))

    def day_between(self, low: date, high: date) -> date:
        if high <= low:
            return low
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def at(self, day: date, minute: int) -> datetime:
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return min(moment, self.now)

    def work_day(self, low: date, high: date) -> date:
        """A day between low and high, moved off the weekend when there is room."""
        day = self.day_between(low, high)
        if day.weekday() >= 5 and self.rng.random() < 0.85:
            friday = day - timedelta(days=day.weekday() - 4)
            monday = day + timedelta(days=7 - day.weekday())
            if friday >= low:
                day = friday
            elif monday <= high:
                day = monday
        return day

    def phone(self) -> str:
        pairs = " ".join(f"{self.rng.randint(0, 99):02d}" for _ in range(4))
        return f"0{self.rng.choice('67')} {pairs}"

    # --- partners

    def make_partners(self, count: int) -> None:
        shares = _Weighted({kind: share for kind, share, _p, _n in PARTNER_KINDS})
        patterns = {kind: (p, n) for kind, _s, p, n in PARTNER_KINDS}
        # At least one of each kind that brings cases, then by share.
        kinds = ["middle_school", "high_school", "primary_school", "town_hall",
                 "social_centre", "employment_agency"][:count]
        kinds += [shares.pick(self.rng) for _ in range(count - len(kinds))]
        used: set[str] = set()
        rows = []
        for code in kinds:
            kind = self.item(PicklistKind.PARTNER_TYPE, code)
            if kind is None:
                continue
            department = self.departments.pick(self.rng)
            town = self.towns[department].pick(self.rng)
            pattern, names = patterns.get(kind.code, patterns["other"])
            name = self.rng.choice(pattern).format(self.rng.choice(names))
            if name in used:
                name = f"{name} ({town})"
            suffix = 2
            while name in used:
                name, suffix = f"{name.rsplit(' · ', 1)[0]} · site {suffix}", suffix + 1
            used.add(name)
            created = datetime.combine(self.start - timedelta(days=self.rng.randint(30, 900)),
                                       time(10), tzinfo=self.tz)
            rows.append(Partner(name=name, kind=kind, town=town, department=department,
                                created_at=created))
        self.counts["partners"] = _bulk(Partner, rows)
        self.partners = rows
        for partner in rows:
            self.partners_by[(partner.kind.code, partner.department)].append(partner)
            self.partners_by[(partner.kind.code, "")].append(partner)

    def partner_of(self, kinds: Sequence[str], department: str) -> Partner | None:
        kind = self.rng.choice(kinds)
        local = self.partners_by.get((kind, department)) or []
        pool = local if local and self.rng.random() < 0.9 else self.partners_by.get((kind, ""))
        return self.rng.choice(pool) if pool else None

    # --- cases

    def opening_days(self, count: int) -> list[date]:
        """Fewer openings in July and August, more in the autumn."""
        month_weight = {7: 0.5, 8: 0.3, 9: 1.1, 10: 1.2, 11: 1.2, 12: 0.9}
        days: list[date] = []
        while len(days) < count:
            day = self.work_day(self.start, self.today)
            if self.rng.random() * 1.2 <= month_weight.get(day.month, 1.0):
                days.append(day)
        days.sort()
        return days

    def referring(self, source: str, age: int, department: str) -> Partner | None:
        rng = self.rng
        if source == "school" and rng.random() < 0.85:
            kind = ("primary_school" if age <= 10 else "middle_school" if age <= 14
                    else "high_school")
            return self.partner_of([kind], department)
        if source == "partner" and rng.random() < 0.9:
            return self.partner_of(["social_centre", "association", "town_hall", "health"],
                                   department)
        if source == "employment_service" and rng.random() < 0.95:
            return self.partner_of(["employment_agency"], department)
        if source == "prevention_forum" and rng.random() < 0.5:
            return self.partner_of(["town_hall"], department)
        return None

    def programme(self, source: str, age: int) -> PicklistItem | None:
        rng = self.rng
        if source == "employment_service":
            code = "back_to_work"
        elif source == "school" and age <= 17:
            code = _Weighted({"cyber_prevention": 35, "individual": 50,
                              "exchange_groups": 15}).pick(rng)
        else:
            code = _Weighted({"individual": 65, "exchange_groups": 25,
                              "back_to_work": 5 if age >= 16 else 0, "": 5}).pick(rng)
        return self.item(PicklistKind.PROGRAMME, code) if code else None

    def case_staff(self) -> list[int]:
        team, rng = self.team, self.rng
        groups = _Weighted({
            "psychologists": 50 * bool(team.psychologists),
            "listeners": 35 * bool(team.listeners),
            "coordinators": 15 * bool(team.coordinators),
        })
        if not groups.keys:
            return [rng.choice(team.admins)]
        first_group = groups.pick(rng)
        staff = [rng.choice(getattr(team, first_group))]
        if rng.random() < 0.3:
            second = rng.choice(team.followers)
            if second not in staff:
                staff.append(second)
        return staff

    def follow_up_weight(self, span: int) -> float:
        """How many exchanges a case draws: often one or two, sometimes many for months."""
        rng = self.rng
        draw = rng.random()
        base = 0.25 if draw < 0.35 else 1.0 if draw < 0.85 else 3 + min(rng.paretovariate(1.3),
                                                                        80)
        return base * (span + 14) / 120

    def new_case(self, opened: date, ages: _Weighted, work_ages: _Weighted,
                 sources: tuple[_Weighted, _Weighted]) -> _Plan:
        rng = self.rng
        department = self.departments.pick(rng)
        town = self.towns[department].pick(rng)
        work_track = rng.random() < 0.08 and "employment_service" in self.items.get(
            PicklistKind.DETECTION_SOURCE, {})
        age = work_ages.pick(rng) if work_track else ages.pick(rng)
        source = "employment_service" if work_track else sources[age >= 18].pick(rng)
        partner = self.referring(source, age, department)
        if partner is not None and rng.random() < 0.6:
            town, department = partner.town, partner.department
        gender = _Weighted({Gender.GIRL: 52, Gender.BOY: 45, Gender.OTHER: 1.5,
                            Gender.UNKNOWN: 1.5}).pick(rng)
        names = GIRLS if gender == Gender.GIRL else BOYS if gender == Gender.BOY else EPICENE
        birth_year = min(max(opened.year - age, self.today.year - 25), self.today.year - 3)
        case = Case(
            first_name=rng.choice(names) if rng.random() < 0.95 else "",
            birth_year=birth_year if rng.random() < 0.97 else None,
            gender=gender, town=town, department=department,
            role=_Weighted({CaseRole.TARGETED: 85, CaseRole.WITNESS: 8,
                            CaseRole.AUTHOR: 7}).pick(rng),
            programme=self.programme(source, age),
            detection_source=self.item(PicklistKind.DETECTION_SOURCE, source),
            referring_partner=partner, opened_on=opened,
        )
        case.created_at = case.updated_at = self.at(opened, rng.randint(9 * 60, 18 * 60))
        end = self.today
        span = (end - opened).days
        weight = self.follow_up_weight(span)
        # Closed: most short follow-ups, fewer long ones; never after today.
        if rng.random() < min(0.85, span / 250) * (1.0 if weight < 1.5 else 0.5):
            length = rng.randint(0, 45) if weight < 0.5 else rng.randint(20, 260)
            if opened + timedelta(days=length) <= self.today:
                end = opened + timedelta(days=length)
                case.closed_on = end
                case.closing_reason = self.weighted_item(PicklistKind.CLOSING_REASON,
                                                         CLOSING_REASONS)
                weight = weight * (length + 14) / (span + 14)
        return _Plan(case=case, age=age, end=end, staff=self.case_staff(), weight=weight)

    def make_cases(self, count: int) -> None:
        ages = _Weighted(dict(zip(AGES, AGE_WEIGHTS, strict=True)))
        work_ages = _Weighted(dict(zip(AGES, WORK_AGE_WEIGHTS, strict=True)))
        sources = (_Weighted(SOURCES_MINOR), _Weighted(SOURCES_ADULT))
        plans = [self.new_case(day, ages, work_ages, sources)
                 for day in self.opening_days(count)]
        self.siblings(plans)
        self.codes(plans)
        self.plans = plans
        self.counts["cases"] = _bulk(Case, [p.case for p in plans])
        situation = _Weighted(SITUATIONS)
        through_types = Case.situation_types.through
        through_staff = Case.assigned_staff.through
        types, staff = [], []
        for plan in plans:
            chosen = {self.item(PicklistKind.SITUATION_TYPE, situation.pick(self.rng))
                      for _ in range(1 if self.rng.random() < 0.7 else 2)}
            types += [(plan.case.pk, item.pk) for item in chosen if item is not None]
            staff += [(plan.case.pk, uid) for uid in plan.staff]
        _copy(through_types, ("case_id", "picklistitem_id"), types)
        self.counts["assigned_staff"] = _copy(through_staff, ("case_id", "user_id"), staff)
        self.case_events()

    def siblings(self, plans: list[_Plan]) -> None:
        """About 4% of minors have a brother or sister followed before them: same town, same
        referents (a family has one referent), parents shared, cases linked."""
        last_minor: dict[str, int] = {}
        for index, plan in enumerate(plans):
            if plan.age >= 18:
                continue
            other = last_minor.get(plan.case.department)
            if other is not None and self.rng.random() < 0.04:
                first = plans[other]
                plan.sibling = other
                plan.case.town = first.case.town
                plan.staff = list(first.staff)
            last_minor[plan.case.department] = index

    def codes(self, plans: list[_Plan]) -> None:
        """Number the cases in order of opening, taking the numbers from the yearly counter
        atomically (as case_code_next does, by blocks)."""
        per_year: dict[int, list[Case]] = defaultdict(list)
        for plan in plans:
            per_year[plan.case.opened_on.year].append(plan.case)
        with connection.cursor() as cursor:
            for year, cases in sorted(per_year.items()):
                cursor.execute(
                    "INSERT INTO tracking_casecodecounter (year, last) VALUES (%s, %s) "
                    "ON CONFLICT (year) DO UPDATE SET last = tracking_casecodecounter.last "
                    "+ EXCLUDED.last RETURNING last",
                    [year, len(cases)],
                )
                (last,) = cursor.fetchone()
                for number, case in enumerate(cases, start=last - len(cases) + 1):
                    case.code = f"{year}-{number:04d}"

    def case_events(self) -> None:
        events, links = [], []
        for plan in self.plans:
            case = plan.case
            events.append(CaseEvent(case_id=case.pk, at=case.created_at, actor_id=plan.staff[0],
                                    kind="opened", detail={"via": "form"}))
            if case.closed_on:
                events.append(CaseEvent(
                    case_id=case.pk, at=self.at(case.closed_on, 17 * 60), actor_id=plan.staff[0],
                    kind="closed",
                    detail={"reason": case.closing_reason.code if case.closing_reason else ""},
                ))
            if plan.sibling is not None:
                links.append(CaseLink(from_case_id=case.pk,
                                      to_case_id=self.plans[plan.sibling].case.pk,
                                      note="Fratrie", created_at=case.created_at))
        self.counts["case_events"] = _bulk(CaseEvent, events)
        self.counts["case_links"] = _bulk(CaseLink, links)

    # --- consents, contacts

    def make_consents(self) -> None:
        rng = self.rng
        rows = []
        for plan in self.plans:
            if rng.random() >= 0.93:
                continue
            case = plan.case
            given_by = (ConsentGiver.PARENT if plan.age < 15 or (plan.age < 18 and rng.random()
                                                                < 0.5)
                        else ConsentGiver.YOUNG_PERSON)
            groups = (case.programme is not None and case.programme.code == "exchange_groups"
                      ) or rng.random() < 0.3
            given_on = self.day_between(case.opened_on, min(case.opened_on + timedelta(days=7),
                                                            plan.end))
            rows.append(Consent(
                case_id=case.pk, given_by=given_by, given_on=given_on, follow_up=True,
                exchange_groups=groups, network_statistics=rng.random() < 0.88,
                recorded_by_id=plan.staff[0], recorded_at=self.at(given_on, 16 * 60),
            ))
            plan.groups_from = given_on if groups else None
            if not groups and plan.age >= 11 and rng.random() < 0.08 and plan.end > given_on:
                # Later agrees to join a group: a newer row is in force.
                later = self.day_between(given_on + timedelta(days=1), plan.end)
                rows.append(Consent(
                    case_id=case.pk, given_by=given_by, given_on=later, follow_up=True,
                    exchange_groups=True, network_statistics=rows[-1].network_statistics,
                    recorded_by_id=plan.staff[0], recorded_at=self.at(later, 16 * 60),
                ))
                plan.groups_from = later
        self.counts["consents"] = _bulk(Consent, rows)

    def make_contacts(self) -> None:
        rng = self.rng
        contacts: list[Contact] = []
        owners: list[tuple[int, str]] = []  # (plan index or -1 - partner index, relationship)
        for index, plan in enumerate(self.plans):
            if plan.sibling is not None or rng.random() >= (0.8 if plan.age < 18 else 0.3):
                continue
            surname = rng.choice(SURNAMES)
            parents = [("mère", MOTHERS), ("père", FATHERS)]
            rng.shuffle(parents)
            for relationship, names in parents[:1 if rng.random() < 0.7 else 2]:
                first = rng.choice(names)
                contacts.append(Contact(
                    kind=ContactKind.PARENT, first_name=first, last_name=surname,
                    phone=self.phone() if rng.random() < 0.9 else "",
                    email=(f"{_ascii(first)}.{_ascii(surname)}{rng.randint(1, 99)}@mail.example"
                           if rng.random() < 0.6 else ""),
                    created_at=plan.case.created_at,
                ))
                owners.append((index, relationship))
        school_partners = [p for p in self.partners if p.kind.code in SCHOOL_KINDS]
        for p_index, partner in enumerate(school_partners):
            for relationship, gender in rng.sample(SCHOOL_STAFF, k=rng.randint(1, 2)):
                contacts.append(Contact(
                    kind=ContactKind.SCHOOL,
                    first_name=rng.choice(MOTHERS if gender == "f" else FATHERS),
                    last_name=rng.choice(SURNAMES), phone=self.phone(), partner=partner,
                    email="", created_at=partner.created_at,
                ))
                owners.append((-1 - p_index, relationship))
        self.counts["contacts"] = _bulk(Contact, contacts)
        school_staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
        parent_of: dict[int, str] = {}
        for contact, (owner, relationship) in zip(contacts, owners, strict=True):
            if owner >= 0:
                self.plans[owner].parents.append(contact.pk)
                parent_of[contact.pk] = relationship
            else:
                partner = school_partners[-1 - owner]
                school_staff[partner.pk].append((contact.pk, relationship))
        self.link_contacts(school_staff, parent_of)

    def link_contacts(self, school_staff: dict[int, list[tuple[int, str]]],
                      parent_of: dict[int, str]) -> None:
        """Parents to their children's cases (brothers and sisters share them), and a
        member of the referring school's staff to some pupils' cases."""
        rng = self.rng
        rows = []
        for plan in self.plans:
            if plan.sibling is not None:
                plan.parents = list(self.plans[plan.sibling].parents)
            rows += [(plan.case.pk, cid, parent_of[cid]) for cid in plan.parents]
            partner_id = plan.case.referring_partner_id
            if partner_id in school_staff and rng.random() < 0.35:
                cid, relationship = rng.choice(school_staff[partner_id])
                plan.school_contacts = [cid]
                rows.append((plan.case.pk, cid, relationship))
        self.counts["case_contacts"] = _copy(CaseContact,
                                             ("case_id", "contact_id", "relationship"), rows)

    # --- interactions

    def interaction_plan(self, total: int) -> list[tuple[int, int]]:
        """(moment as day ordinal * 1440 + minute, plan index or -1), in time order: every
        case gets its first exchange on its opening day, the rest go by follow-up weight."""
        rng = self.rng
        plans = self.plans
        partner_only = round(total * 0.04) if self.partners else 0
        on_cases = total - partner_only if plans else 0
        partner_only = total - on_cases if self.partners else 0
        entries: list[tuple[int, int]] = []
        firsts = (range(len(plans)) if on_cases >= len(plans)
                  else sorted(rng.sample(range(len(plans)), on_cases)))
        for index in firsts:
            opened = plans[index].case.opened_on
            entries.append((opened.toordinal() * 1440 + rng.randint(9 * 60, 19 * 60), index))
        extra = on_cases - len(firsts)
        if extra > 0:
            cum = list(accumulate(p.weight for p in plans))
            for index in rng.choices(range(len(plans)), cum_weights=cum, k=extra):
                plan = plans[index]
                day = self.work_day(plan.case.opened_on, plan.end)
                entries.append((day.toordinal() * 1440 + rng.randint(8 * 60, 20 * 60), index))
        for _ in range(partner_only):
            day = self.work_day(self.start, self.today)
            entries.append((day.toordinal() * 1440 + rng.randint(9 * 60, 18 * 60), -1))
        entries.sort()
        return entries

    def make_interactions(self, total: int) -> None:
        available = self.items[PicklistKind.INTERACTION_KIND]
        kinds = {code: available[code] for code in KINDS if code in available} or dict(available)
        if not kinds:
            return
        self.kind_pick = _Weighted({c: KINDS.get(c, (5, [], None))[0] for c in kinds})
        self.kinds = kinds
        self.channels = {c: _Weighted(dict(KINDS.get(c, (0, [(Channel.PHONE, 1)], None))[1]
                                           or [(Channel.PHONE, 1)])) for c in kinds}
        self.psychologists = frozenset(self.team.psychologists)
        self.encrypt_note = Interaction._meta.get_field("clinical_note").get_prep_value
        self.seen_first: set[int] = set()
        entries = self.interaction_plan(total)
        for chunk in _batches(entries, CHUNK):
            self.interaction_chunk(chunk)

    def interaction_chunk(self, chunk: Sequence[tuple[int, int]]) -> None:
        ids = _reserve_ids(Interaction, len(chunk))
        rows, case_rows, contact_rows = [], [], []
        for pk, (key, index) in zip(ids, chunk, strict=True):
            row, cases, contacts = self.interaction(key, index)
            rows.append((pk, *row, "{}"))  # no custom answers in the demo
            case_rows += [(pk, self.plans[i].case.pk) for i in cases]
            contact_rows += [(pk, contact_id) for contact_id in contacts]
        self.counts["interactions"] += _copy(Interaction, INTERACTION_COLUMNS, rows)
        self.counts["interaction_cases"] += _copy(
            Interaction.cases.through, ("interaction_id", "case_id"), case_rows)
        self.counts["interaction_contacts"] += _copy(
            Interaction.contacts.through, ("interaction_id", "contact_id"), contact_rows)

    def interaction(self, key: int, index: int) -> tuple[tuple[Any, ...], list[int], list[int]]:
        """One exchange as a row of INTERACTION_COLUMNS (id aside), its cases (plan indexes)
        and contacts (ids)."""
        rng = self.rng
        day = date.fromordinal(key // 1440)
        occurred = self.at(day, key % 1440)
        if index < 0:
            return self.partner_interaction(occurred), [], []
        plan = self.plans[index]
        first = index not in self.seen_first
        self.seen_first.add(index)
        code = "interview" if first and "interview" in self.kinds else self.kind_pick.pick(rng)
        staff = self.interviewer(plan)
        cases, contacts, partner_id = [index], [], None
        if first:
            summary = rng.choice(FIRST_EXCHANGE)
        elif code == "question_psy":
            summary = rng.choice(QUESTION_PSY)
        elif code == "meeting" and plan.case.referring_partner_id and plan.school_contacts:
            summary, partner_id = rng.choice(WITH_SCHOOL), plan.case.referring_partner_id
            contacts = list(plan.school_contacts)
        elif plan.parents and rng.random() < 0.3:
            summary = rng.choice(WITH_PARENT)
            contacts = [rng.choice(plan.parents)]
            sibling = plan.sibling
            if (sibling is not None and rng.random() < 0.5
                    and self.plans[sibling].case.opened_on <= day <= self.plans[sibling].end):
                cases.append(sibling)
        elif plan.case.closed_on and (plan.end - day).days <= 5:
            summary = rng.choice(CLOSING)
        else:
            summary = rng.choice(FOLLOW_UP)
        note = None
        if staff in self.psychologists and code in CLINICAL_KINDS and rng.random() < 0.6:
            note = self.encrypt_note(rng.choice(CLINICAL))
            self.counts["clinical_notes"] += 1
        minutes = KINDS.get(code, (0, [], None))[2]
        row = (self.kinds[code].pk, str(self.channels[code].pick(rng)), occurred,
               rng.randint(*minutes) if minutes else None, staff, partner_id, summary, note,
               staff, occurred)
        return row, cases, contacts

    def interviewer(self, plan: _Plan) -> int:
        """Mostly a referent of the case; sometimes a coordinator or admin, who see every
        case. Never a psychologist or listener the case is not assigned to."""
        rng = self.rng
        if self.team.see_all and rng.random() < 0.12:
            return rng.choice(self.team.see_all)
        return plan.staff[0] if len(plan.staff) == 1 or rng.random() < 0.7 else plan.staff[1]

    def partner_interaction(self, occurred: datetime) -> tuple[Any, ...]:
        rng = self.rng
        code = "meeting" if "meeting" in self.kinds and rng.random() < 0.7 else (
            "call" if "call" in self.kinds else next(iter(self.kinds)))
        staff = rng.choice(self.team.see_all + self.team.psychologists or self.team.followers)
        minutes = KINDS.get(code, (0, [], None))[2]
        return (self.kinds[code].pk, str(self.channels[code].pick(rng)), occurred,
                rng.randint(*minutes) if minutes else None, staff, rng.choice(self.partners).pk,
                rng.choice(PARTNER_ONLY), None, staff, occurred)

    # --- exchange groups

    def make_groups(self) -> None:
        rng = self.rng
        count = min(40, max(1, round(len(self.plans) / 60)))
        candidates = [i for i, p in enumerate(self.plans)
                      if p.groups_from is not None and p.age >= 11]
        if not candidates:
            return
        groups, starts, ends = [], [], []
        for number in range(count):
            theme = GROUP_THEMES[number % len(GROUP_THEMES)]
            if number >= len(GROUP_THEMES):
                theme = f"{theme} ({number // len(GROUP_THEMES) + 1})"
            weekday = rng.choice([0, 1, 2, 2, 2, 3, 4, 5])
            begins = self.start if rng.random() < 0.6 else self.day_between(
                self.start, self.start + (self.today - self.start) * 2 // 3)
            ended = count >= 4 and number == count - 1
            stops = self.day_between(begins, self.today) if ended else self.today
            groups.append(ExchangeGroup(
                theme=theme, weekday=weekday, capacity=10 if rng.random() < 0.85 else 8,
                start_time=time(14) if weekday in (2, 5) else time(rng.choice([17, 18])),
                is_active=not ended,
                created_at=datetime.combine(begins - timedelta(days=rng.randint(3, 20)),
                                            time(11), tzinfo=self.tz),
            ))
            starts.append(begins)
            ends.append(stops)
        self.counts["groups"] = _bulk(ExchangeGroup, groups)
        self.group_facilitators(groups)
        rosters = self.rosters(groups, starts, ends, candidates)
        self.group_sessions(groups, starts, ends, rosters)

    def group_facilitators(self, groups: list[ExchangeGroup]) -> None:
        rng = self.rng
        through = ExchangeGroup.facilitators.through
        rows = []
        for group in groups:
            chosen = {rng.choice(self.team.listeners or self.team.followers)}
            if self.team.volunteers:
                chosen.add(rng.choice(self.team.volunteers))
                if rng.random() < 0.3:
                    chosen.add(rng.choice(self.team.volunteers))
            if rng.random() < 0.3:
                chosen.add(rng.choice(self.team.followers))
            rows += [(group.pk, uid) for uid in sorted(chosen)]
        self.counts["group_facilitators"] = _copy(through, ("exchangegroup_id", "user_id"), rows)

    def rosters(self, groups: list[ExchangeGroup], starts: list[date], ends: list[date],
                candidates: list[int]) -> list[list[tuple[int, date, date]]]:
        """Who comes to each group and when: joins after the case opens, leaves by its
        closing; a group takes newcomers only while fewer than capacity + 3 attend."""
        rng = self.rng
        rosters: list[list[tuple[int, date, date]]] = [[] for _ in groups]
        wanted: list[list[tuple[date, int, date]]] = [[] for _ in groups]
        for index in candidates:
            plan = self.plans[index]
            g = rng.randrange(len(groups))
            joins = max(plan.case.opened_on + timedelta(days=rng.randint(3, 30)), starts[g],
                        plan.groups_from or plan.case.opened_on)
            leaves = min(joins + timedelta(days=rng.randint(21, 300)), plan.end, ends[g])
            if joins <= leaves:
                wanted[g].append((joins, index, leaves))
        for g, group in enumerate(groups):
            active: list[date] = []
            for joins, index, leaves in sorted(wanted[g]):
                active = [d for d in active if d >= joins]
                if len(active) < group.capacity + 3:
                    active.append(leaves)
                    rosters[g].append((index, joins, leaves))
        return rosters

    def group_sessions(self, groups: list[ExchangeGroup], starts: list[date], ends: list[date],
                       rosters: list[list[tuple[int, date, date]]]) -> None:
        rng = self.rng
        sessions: list[GroupSession] = []
        for group, begins, stops in zip(groups, starts, ends, strict=True):
            day = begins + timedelta(days=(group.weekday - begins.weekday()) % 7)
            while day <= stops:
                holiday = (day.month == 8 and day.day <= 25) or (
                    (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 1))
                if not holiday and rng.random() < 0.95:
                    sessions.append(GroupSession(group_id=group.pk, held_on=day,
                                                 topic=rng.choice(GROUP_TOPICS)))
                day += timedelta(days=7)
        self.counts["group_sessions"] = _bulk(GroupSession, sessions)
        by_group = {group.pk: (group, roster) for group, roster in zip(groups, rosters,
                                                                      strict=True)}
        rows = []
        for session in sessions:
            group, roster = by_group[session.group_id]
            here = [i for i, joins, leaves in roster if joins <= session.held_on <= leaves]
            present = 0
            for index in here:
                draw = rng.random()
                status = (AttendanceStatus.PRESENT if draw < 0.72 else
                          AttendanceStatus.ABSENT if draw < 0.87 else AttendanceStatus.EXCUSED)
                if status == AttendanceStatus.PRESENT:
                    if present >= group.capacity:
                        status = AttendanceStatus.EXCUSED
                    else:
                        present += 1
                rows.append((session.pk, self.plans[index].case.pk, str(status)))
        self.counts["attendances"] = _copy(Attendance, ("session_id", "case_id", "status"), rows)

    # --- awareness sessions, impact assessments

    def make_awareness(self) -> None:
        rng = self.rng
        count = min(1500, max(4, len(self.plans) // 6))
        schools = [p for p in self.partners if p.kind.code in SCHOOL_KINDS]
        others = [p for p in self.partners if p.kind.code not in SCHOOL_KINDS]
        rows = []
        for _ in range(count):
            day = self.work_day(self.start, self.today)
            while day.month in (7, 8) and rng.random() < 0.8:
                day = self.work_day(self.start, self.today)
            audience = _Weighted({"pupils": 80, "parents": 10, "professionals": 10}).pick(rng)
            pool = schools if audience != "professionals" else others or schools
            partner = rng.choice(pool) if pool and rng.random() < 0.9 else None
            department = partner.department if partner else self.departments.pick(rng)
            town = partner.town if partner else self.towns[department].pick(rng)
            programme = (self.item(PicklistKind.PROGRAMME, "cyber_prevention")
                         if audience == "pupils" and rng.random() < 0.6 else None)
            # Mostly classes of pupils; fewer and smaller sessions for parents and professionals.
            counts = {
                "pupils": rng.randint(12, 45) if audience == "pupils" else 0,
                "parents": rng.randint(4, 20) if audience == "parents" else 0,
                "teachers": (rng.randint(0, 2) if audience == "pupils"
                             else rng.randint(0, 5)),
                "other_professionals": rng.randint(3, 15) if audience == "professionals" else 0,
            }
            rows.append(AwarenessSession(
                held_on=day, partner=partner, town=town, department=department,
                programme=programme, created_at=self.at(day, 18 * 60), **counts,
            ))
        self.counts["awareness_sessions"] = _bulk(AwarenessSession, rows)
        through = AwarenessSession.facilitators.through
        links = []
        for session in rows:
            chosen = {rng.choice(self.team.psychologists or self.team.followers)}
            if rng.random() < 0.4:
                chosen.add(rng.choice(self.team.followers))
            if self.team.volunteers and rng.random() < 0.3:
                chosen.add(rng.choice(self.team.volunteers))  # shares their life story
            links += [(session.pk, uid) for uid in sorted(chosen)]
        _copy(through, ("awarenesssession_id", "user_id"), links)

    def make_assessments(self) -> None:
        """Intake scores for most cases, then reviews every few months that tend to show
        progress on the five axes."""
        rng = self.rng
        axes = ("peers", "family", "school_work", "help", "confidence")
        psychologists = frozenset(self.team.psychologists)
        rows = []
        for plan in self.plans:
            if rng.random() >= 0.65:
                continue
            case = plan.case
            by = next((s for s in plan.staff if s in psychologists), plan.staff[0])
            day = self.day_between(case.opened_on,
                                   min(case.opened_on + timedelta(days=14), plan.end))
            scores = {a: rng.choices([1, 2, 3, 4], weights=[3, 4, 3, 1])[0] for a in axes}
            rows.append(ImpactAssessment(case_id=case.pk, assessed_on=day, moment="intake",
                                         assessed_by_id=by, **scores))
            while (plan.end - day).days >= 60 and rng.random() < 0.7:
                day = self.day_between(day + timedelta(days=60),
                                       min(day + timedelta(days=120), plan.end))
                scores = {a: min(5, max(1, s + rng.choices([-1, 0, 1, 2],
                                                           weights=[1, 4, 4, 1])[0]))
                          for a, s in scores.items()}
                rows.append(ImpactAssessment(case_id=case.pk, assessed_on=day,
                                             moment="review", assessed_by_id=by, **scores))
        self.counts["assessments"] = _bulk(ImpactAssessment, rows)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


def generate_activity(
    *, schema_name: str, cases: int, interactions: int, seed: int = 0,
    start: date | None = None, staff_ids_by_role: dict[str, list[int]],
    departments: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Fill one association with a year of invented activity ending today.

    `staff_ids_by_role` maps role codes ("psychologist", "listener", "coordinator", "admin",
    "volunteer" …) to user ids that are active members of the association. `departments`
    weighs where the young people live (default: mostly Seine-Saint-Denis, the rest of
    Île-de-France, La Réunion). Same seed, same data (ids and codes aside). Runs in one
    transaction; returns how many rows of each kind were written.
    """
    today = timezone.localdate()
    start = start or today - timedelta(days=364)
    if start > today:
        raise ValueError("start must not be in the future")
    if cases < 0 or interactions < 0:
        raise ValueError("cases and interactions must be zero or more")
    team = _Team.of(staff_ids_by_role)
    rng = random.Random(seed)  # noqa: S311 — invented demo data, not a secret
    with schema_context(schema_name):
        counts = _generate(schema_name, rng=rng, start=start, team=team, cases=cases,
                           interactions=interactions,
                           departments=departments or DEFAULT_DEPARTMENTS)
        _place_in_workflow()
        _demo_custom_fields()
    keys = ("partners", "cases", "assigned_staff", "case_events", "case_links", "consents",
            "contacts", "case_contacts", "interactions", "interaction_cases",
            "interaction_contacts", "clinical_notes", "groups", "group_facilitators",
            "group_sessions", "attendances", "awareness_sessions", "assessments")
    return {key: counts.get(key, 0) for key in keys}


DEMO_FIELDS: list[dict[str, Any]] = [
    {"key": "niveau_scolaire", "label": "Niveau scolaire", "kind": "choice",
     "help_text": "Au moment du signalement",
     "choices": [{"code": code, "label": label, "archived": False} for code, label in (
         ("primaire", "Primaire"), ("college", "Collège"), ("lycee", "Lycée"),
         ("apres_lycee", "Études ou formation après le lycée"),
         ("hors_scolarite", "Hors scolarité"))]},
    {"key": "cyberharcelement", "label": "Cyberharcèlement", "kind": "yes_no",
     "help_text": "Des faits ont-ils lieu en ligne ?", "choices": []},
]


def _demo_custom_fields() -> None:
    """Two custom fields of cases, as an association would add them, answered on the
    generated cases (school level from the age; online facts for about a third)."""
    from tracking.models import CustomField

    for position, spec in enumerate(DEMO_FIELDS, start=1):
        CustomField.objects.get_or_create(target="case", key=spec["key"], defaults={
            **spec, "position": position})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tracking_case SET custom = custom || jsonb_build_object(
                'niveau_scolaire', CASE
                    WHEN birth_year IS NULL THEN NULL
                    WHEN extract(year FROM opened_on) - birth_year <= 10 THEN 'primaire'
                    WHEN extract(year FROM opened_on) - birth_year <= 14 THEN 'college'
                    WHEN extract(year FROM opened_on) - birth_year <= 17 THEN 'lycee'
                    WHEN id % 4 = 0 THEN 'hors_scolarite'
                    ELSE 'apres_lycee' END,
                'cyberharcelement', (id % 3 = 0))
            WHERE NOT custom ? 'niveau_scolaire'
            """
        )
        cursor.execute("UPDATE tracking_case SET custom = custom - 'niveau_scolaire' "
                       "WHERE custom -> 'niveau_scolaire' = 'null'::jsonb")


def _place_in_workflow() -> None:
    """Put every generated case on a stage of the workflow in force: closed cases on the
    closing stage, open ones spread over the open stages (later stages for older cases)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH stages AS (
                SELECT s.id, s.is_open, s.position,
                       row_number() OVER (PARTITION BY s.is_open ORDER BY s.position) AS n,
                       count(*) OVER (PARTITION BY s.is_open) AS total
                FROM tracking_stage s JOIN tracking_workflowversion v ON v.id = s.version_id
                WHERE v.status = 'published'
            )
            UPDATE tracking_case c SET
                stage_id = CASE WHEN c.closed_on IS NOT NULL
                    THEN (SELECT id FROM stages WHERE NOT is_open ORDER BY position LIMIT 1)
                    ELSE (SELECT id FROM stages WHERE is_open
                          AND n = 1 + least(total - 1, (current_date - c.opened_on) / 30))
                    END,
                stage_entered_at = coalesce(c.closed_on, c.opened_on + ((current_date
                    - c.opened_on) / 2))::timestamptz
            WHERE c.stage_id IS NULL
            """
        )


def _generate(schema_name: str, *, rng: random.Random, start: date, team: _Team, cases: int,
              interactions: int, departments: Mapping[str, float]) -> dict[str, int]:
    with transaction.atomic():
        generator = _Generator(rng=rng, start=start, team=team, departments=departments)
        phases: list[tuple[str, Callable[[], None]]] = [
            ("partners", lambda: generator.make_partners(min(400, max(10, cases // 6)))),
            ("cases", lambda: generator.make_cases(cases)),
            ("consents", generator.make_consents),
            ("contacts", generator.make_contacts),
            ("interactions", lambda: generator.make_interactions(interactions)),
            ("groups", generator.make_groups),
            ("awareness", generator.make_awareness),
            ("assessments", generator.make_assessments),
        ]
        for name, phase in phases:
            began = time_counter()
            phase()
            logger.debug("generate_activity %s: %s, %.1f s", schema_name, name,
                        time_counter() - began)
        began = time_counter()
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: they are checked here.
    logger.debug("generate_activity %s: commit (foreign-key checks), %.1f s", schema_name,
                time_counter() - began)
    return dict(generator.counts)
