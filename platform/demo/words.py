"""The invented words of the demonstration data: common French first names, made-up
surnames and partner names, real communes, what exchanges say, and the weights of ages,
sources and situations."""

from __future__ import annotations

from tracking.models import Channel

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
SITUATION_THEMES = {
    "parents": "Parents : analyser une situation de harcèlement",
    "ambassadors": "Élèves ambassadeurs : situations vécues au collège",
}
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
