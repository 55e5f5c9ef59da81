"""The lists a new association starts with, modelled on the reference practice.
(code, French label, network code) — network codes are shared by every association."""

from __future__ import annotations

DEFAULT_PICKLISTS: dict[str, list[tuple[str, str, str]]] = {
    "detection_source": [
        ("school", "Établissement scolaire", "school"),
        ("parents", "Parents, famille", "family"),
        ("partner", "Partenaire", "partner"),
        ("online_campaign", "Campagne en ligne", "online_campaign"),
        ("prevention_forum", "Forum de prévention", "prevention_forum"),
        ("employment_service", "Service public de l'emploi", "employment_service"),
        ("self_referral", "Le jeune lui-même", "self_referral"),
        ("referral_form", "Formulaire de signalement", "referral_form"),
        ("other", "Autre", "other"),
    ],
    "situation_type": [
        ("bullying", "Harcèlement", "bullying"),
        ("cyber_violence", "Cyberviolence", "cyber_violence"),
        ("discrimination", "Discrimination", "discrimination"),
        ("intimidation", "Intimidation", "intimidation"),
        ("other", "Autre", "other"),
    ],
    "programme": [
        ("individual", "Accompagnement individuel", "individual"),
        ("exchange_groups", "Groupes d'échange", "exchange_groups"),
        ("cyber_prevention", "Prévention des cyberviolences en milieu scolaire",
         "cyber_prevention"),
        ("back_to_work", "Retour à l'emploi", "back_to_work"),
    ],
    "interaction_kind": [
        ("interview", "Entretien", "interview"),
        ("drop_in", "Permanence", "drop_in"),
        ("call", "Appel", "call"),
        ("message", "Message", "message"),
        ("question_psy", "Question Psy", "question_psy"),
        ("meeting", "Réunion", "meeting"),
    ],
    "partner_type": [
        ("primary_school", "École élémentaire", "primary_school"),
        ("middle_school", "Collège", "middle_school"),
        ("high_school", "Lycée", "high_school"),
        ("town_hall", "Mairie", "town_hall"),
        ("association", "Association", "association"),
        ("social_centre", "Centre social", "social_centre"),
        ("employment_agency", "Agence pour l'emploi", "employment_agency"),
        ("health", "Structure de santé", "health"),
        ("other", "Autre", "other"),
    ],
    "closing_reason": [
        ("resolved", "Situation apaisée", "resolved"),
        ("referred", "Orienté vers un autre acteur", "referred"),
        ("no_news", "Sans nouvelles", "no_news"),
        ("family_request", "À la demande du jeune ou de la famille", "family_request"),
        ("moved", "Déménagement", "moved"),
        ("other", "Autre", "other"),
    ],
    # The programme toward employment (tracking/employment): the product reads the network
    # codes of the job and of "still in post" to check the order of the milestones.
    "employment_milestone": [
        ("orientation", "Orientation par l'agence pour l'emploi", "orientation"),
        ("first_interview", "Premier entretien", "first_interview"),
        ("training", "Formation", "training"),
        ("job_or_internship", "Emploi ou stage", "job_or_internship"),
        ("in_post_3_months", "Toujours en poste à 3 mois", "in_post_3_months"),
        ("in_post_6_months", "Toujours en poste à 6 mois", "in_post_6_months"),
    ],
}

# The ready workflow of a new association, modelled on the reference practice.
# Stages: (key, name, colour, open?, initial?, time limit in hours)
DEFAULT_STAGES: list[tuple[str, str, str, bool, bool, int | None]] = [
    ("received", "Signalement reçu", "#6b4fa0", True, True, 48),
    ("first_contact", "Premier contact", "#1d4f91", True, False, 24 * 7),
    ("assessment", "Évaluation", "#00707a", True, False, 24 * 30),
    ("support", "Accompagnement", "#1e6b35", True, False, None),
    ("review", "Bilan", "#8a4b00", True, False, 24 * 14),
    ("closed", "Clôturé", "#4a5560", False, False, None),
]
STAFF_ROLES = ["admin", "coordinator", "psychologist", "listener"]
# Transitions: (from, to, label, roles, required fields)
DEFAULT_TRANSITIONS: list[tuple[str, str, str, list[str], list[str]]] = [
    ("received", "first_contact", "Premier contact établi", STAFF_ROLES, []),
    ("first_contact", "assessment", "Évaluer la situation", STAFF_ROLES, ["birth_year"]),
    ("first_contact", "closed", "Un échange a suffi", STAFF_ROLES, []),
    ("assessment", "support", "Commencer l'accompagnement", STAFF_ROLES,
     ["assigned_staff", "situation_types"]),
    ("assessment", "closed", "Clôturer après évaluation", STAFF_ROLES, []),
    ("support", "review", "Faire le bilan", STAFF_ROLES, []),
    ("review", "support", "Reprendre l'accompagnement", STAFF_ROLES, []),
    ("review", "closed", "Clôturer", STAFF_ROLES, ["impact"]),
]
