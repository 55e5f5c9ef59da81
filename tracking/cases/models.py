"""Case tracking: what an association records about the young people it follows.

Schema: tenant (every table here lives in each association's own schema). People
(staff) are public accounts referenced by id: `staff` foreign keys point at
public.tenants_user, which PostgreSQL reaches through the search_path.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tracking.columns import (
    STAFF,
    EncryptedCharField,
    EncryptedTextField,
    ObjectPermission,
    staff_key,
)
from tracking.lists.models import PicklistKind
from tracking.school_year import age_bracket


class Gender(models.TextChoices):
    GIRL = "girl", _("Fille")
    BOY = "boy", _("Garçon")
    OTHER = "other", _("Autre")
    UNKNOWN = "", _("Non renseigné")


class CaseRole(models.TextChoices):
    TARGETED = "targeted", _("Ciblé")
    WITNESS = "witness", _("Témoin")
    AUTHOR = "author", _("Auteur")


class Case(models.Model):
    """The file of one young person followed by the association."""

    code = models.CharField(_("numéro"), max_length=12, unique=True)
    # The case's identifier in the system it was imported from (a Monday.com item id …):
    # importing the same file again updates the case instead of opening another one.
    external_id = models.CharField(_("identifiant externe"), max_length=100, unique=True,
                                   null=True, blank=True)
    first_name = EncryptedCharField(_("prénom"), max_length=80, blank=True, default="")
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    gender = models.CharField(_("genre"), max_length=8, choices=Gender.choices, blank=True)
    town = models.CharField(_("commune"), max_length=120, blank=True)
    department = models.CharField(_("département"), max_length=3, blank=True)
    situation_types = models.ManyToManyField(
        "tracking.PicklistItem", related_name="+", blank=True, verbose_name=_("types de situation"),
        limit_choices_to={"kind": PicklistKind.SITUATION_TYPE},
    )
    role = models.CharField(_("rôle du jeune"), max_length=10, choices=CaseRole.choices,
                            default=CaseRole.TARGETED)
    programme = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("programme"), limit_choices_to={"kind": PicklistKind.PROGRAMME},
    )
    detection_source = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("source de détection"),
        limit_choices_to={"kind": PicklistKind.DETECTION_SOURCE},
    )
    referring_partner = models.ForeignKey(
        "tracking.Partner", on_delete=models.PROTECT, null=True, blank=True,
        related_name="referred_cases",
        verbose_name=_("partenaire orienteur"),
    )
    assigned_staff: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        STAFF, db_constraint=False, related_name="+", blank=True,
        verbose_name=_("intervenants référents"),
        db_table="tracking_case_assigned_staff",
    )
    opened_on = models.DateField(_("ouvert le"), default=timezone.localdate)
    closed_on = models.DateField(_("clôturé le"), null=True, blank=True)
    closing_reason = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("motif de clôture"), limit_choices_to={"kind": PicklistKind.CLOSING_REASON},
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The case's stage in the workflow in force (tracking/workflows/services.py).
    stage = models.ForeignKey("tracking.Stage", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="cases", verbose_name=_("étape"))
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: a write states the version it read (services.case_update).
    version = models.PositiveIntegerField(default=1)
    # Values of the association's custom fields, by key (tracking/fields/models.py).
    custom = models.JSONField(_("champs personnalisés"), default=dict, blank=True)
    # Retention (tracking/privacy/retention.py): a case without contact for the
    # association's period is archived (hidden from lists, read by admins only, every read
    # audited), then anonymised a further period later.
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    class Meta:
        ordering = ("-opened_on", "-id")
        verbose_name = _("dossier")
        indexes = [
            models.Index(fields=["archived_at"], condition=models.Q(archived_at__isnull=False),
                         name="case_archived_at"),
            models.Index(fields=["opened_on"]),
            # The case list's default order ("recent": -opened_on, -id) and "oldest": the
            # first page is read from this index, whatever order cases were inserted in
            # (imported files): without it PostgreSQL sorted every open case
            # (bench/RESULTS.md, "3. Request path").
            models.Index(fields=["opened_on", "id"], name="case_opened_id_idx"),
            models.Index(fields=["closed_on"]),
            models.Index(fields=["birth_year"]),
            GinIndex(fields=["custom"], name="case_custom_gin", opclasses=["jsonb_path_ops"]),
            # The case list's search (`?q=`: code or town contains, case-insensitive:
            # UPPER(…) LIKE '%…%') reads these trigram indexes instead of every case.
            # pg_trgm lives in public (migration 0025_case_search_indexes).
            GinIndex(OpClass(Upper("code"), name="gin_trgm_ops"), name="case_code_trgm"),
            GinIndex(OpClass(Upper("town"), name="gin_trgm_ops"), name="case_town_trgm"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def age_bracket(self, on: date | None = None) -> str:
        return age_bracket(self.birth_year, on or timezone.localdate())


class CaseUserObjectPermission(ObjectPermission):
    """A per-case grant to one staff member on top of their role's defaults: django-guardian's
    object permission with a direct key to the case. `view_case` opens the case;
    `change_case` (always given with `view_case`) lets them edit it too.

    One row per permission; `granted_by` and `granted_at` say who gave it and when."""

    content_object = models.ForeignKey("tracking.Case", on_delete=models.CASCADE,
                                       related_name="grants")
    granted_by = staff_key(related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta(ObjectPermission.Meta):
        verbose_name = _("accès accordé à un dossier")

    def __str__(self) -> str:
        return f"{self.content_object_id} → {self.user_id} ({self.permission_id})"


class CaseLink(models.Model):
    """Cases of the same situation (a targeted pupil and the authors)."""

    from_case = models.ForeignKey(
        "tracking.Case", on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey("tracking.Case", on_delete=models.CASCADE, related_name="links_in")
    note = models.CharField(_("nature du lien"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="case_link_unique"),
            models.CheckConstraint(condition=~models.Q(from_case=models.F("to_case")),
                                   name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} ↔ {self.to_case_id}"


class ConsentGiver(models.TextChoices):
    YOUNG_PERSON = "young_person", _("Le jeune")
    PARENT = "parent", _("Un parent ou responsable légal")
    OTHER = "other", _("Autre")


class Consent(models.Model):
    """Who agreed, when, to what. The latest row of a case is in force."""

    case = models.ForeignKey("tracking.Case", on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("donné par"), max_length=16, choices=ConsentGiver.choices)
    given_on = models.DateField(_("date"))
    follow_up = models.BooleanField(_("suivi"), default=True)
    exchange_groups = models.BooleanField(_("groupes d'échange"), default=False)
    network_statistics = models.BooleanField(_("statistiques du réseau"), default=False)
    recorded_by = staff_key(related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-given_on", "-id")

    def __str__(self) -> str:
        return f"{self.case_id} {self.given_on}"


class ImpactAxis(models.TextChoices):
    PEERS = "peers", _("Liens avec les pairs")
    FAMILY = "family", _("Liens familiaux")
    SCHOOL_WORK = "school_work", _("École ou travail")
    HELP = "help", _("Aide et professionnels")
    CONFIDENCE = "confidence", _("Confiance en soi")


def _score() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class ImpactAssessment(models.Model):
    """Scores 1–5 on the five axes of durably reconnecting the young person."""

    class Moment(models.TextChoices):
        INTAKE = "intake", pgettext_lazy("impact moment", "Accueil")
        REVIEW = "review", _("Bilan")

    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("date"))
    moment = models.CharField(_("moment"), max_length=8, choices=Moment.choices)
    peers = _score()
    family = _score()
    school_work = _score()
    help = _score()
    confidence = _score()
    assessed_by = staff_key(related_name="+")

    class Meta:
        ordering = ("assessed_on", "id")

    def __str__(self) -> str:
        return f"{self.case_id} {self.assessed_on}"


class CaseEvent(models.Model):
    """The case's own history: opening, edits, closing, grants (feeds the timeline)."""

    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = staff_key(null=True, related_name="+")
    kind = models.CharField(max_length=32)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseCodeCounter(models.Model):
    """Last case number given per year: codes read `2025-0042`."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Referral(models.Model):
    """A referral received through the public form (/signaler), kept with its case."""

    case = models.OneToOneField("tracking.Case", on_delete=models.PROTECT, related_name="referral")
    referrer_kind = models.CharField(max_length=16)
    referrer_name = EncryptedCharField(max_length=120)
    referrer_contact = EncryptedCharField(max_length=200)
    description = EncryptedTextField()
    received_at = models.DateTimeField(default=timezone.now)
    # When the team was told (tracking/tasks.py): a notice delivered twice is sent once.
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"referral {self.case_id}"
