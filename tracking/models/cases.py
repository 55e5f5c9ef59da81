"""Case tracking: what an association records about the young people it follows.

Schema: tenant (every table here lives in each association's own schema). People
(staff) are public accounts referenced by id: `staff` foreign keys point at
public.tenants_user, which PostgreSQL reaches through the search_path.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from encrypted_fields.fields import EncryptedCharField as _EncryptedChar
from encrypted_fields.fields import EncryptedTextField as _EncryptedText

from tracking.school_year import age_bracket

STAFF = settings.AUTH_USER_MODEL
# References from an association's schema to people (public.tenants_user) carry no database
# foreign key (db_constraint=False): each such key would add two triggers to the shared
# users table per association — thousands at scale, slowing every change of an account and
# every new schema — and Citus' schema-based sharding allows no key from a tenant table to a
# distributed one. Accounts are never deleted (PROTECT in the ORM;
# no account is ever removed), so the references stay valid.

def staff_key(**options: Any) -> models.ForeignKey[Any, Any]:
    """A reference to a person (an account), from an association's schema."""
    return models.ForeignKey(STAFF, on_delete=models.PROTECT, db_constraint=False, **options)


class _EmptyNotNull:
    """The library stores "" as NULL (nothing to encrypt); read it back as ""."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)  # type: ignore[misc]
        return "" if value is None else value


class EncryptedCharField(_EmptyNotNull, _EncryptedChar):
    """Encrypted at rest (Fernet; keys derived from SECRET_KEY, see settings)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)


class EncryptedTextField(_EmptyNotNull, _EncryptedText):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)


class PicklistKind(models.TextChoices):
    DETECTION_SOURCE = "detection_source", _("Source de détection")
    SITUATION_TYPE = "situation_type", _("Type de situation")
    PROGRAMME = "programme", _("Programme")
    INTERACTION_KIND = "interaction_kind", _("Type d'échange")
    PARTNER_TYPE = "partner_type", _("Type de partenaire")
    CLOSING_REASON = "closing_reason", _("Motif de clôture")


class PicklistItem(models.Model):
    """An item of one of the association's lists. Archived, never deleted while used;
    `network_code` lets pooled statistics compare like with like."""

    kind = models.CharField(_("liste"), max_length=32, choices=PicklistKind.choices)
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("libellé"), max_length=120)
    network_code = models.CharField(_("code réseau"), max_length=60, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    is_archived = models.BooleanField(_("archivé"), default=False)

    class Meta:
        ordering = ("kind", "position", "label")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="picklist_code_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Partner(models.Model):
    """A partner organisation: school, town hall, association, social centre …"""

    name = models.CharField(_("nom"), max_length=200)
    kind = models.ForeignKey(
        PicklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"),
        limit_choices_to={"kind": PicklistKind.PARTNER_TYPE},
    )
    town = models.CharField(_("commune"), max_length=120, blank=True)
    department = models.CharField(_("département"), max_length=3, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_archived = models.BooleanField(_("archivé"), default=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("partenaire")

    def __str__(self) -> str:
        return self.name


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
        PicklistItem, related_name="+", blank=True, verbose_name=_("types de situation"),
        limit_choices_to={"kind": PicklistKind.SITUATION_TYPE},
    )
    role = models.CharField(_("rôle du jeune"), max_length=10, choices=CaseRole.choices,
                            default=CaseRole.TARGETED)
    programme = models.ForeignKey(
        PicklistItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("programme"), limit_choices_to={"kind": PicklistKind.PROGRAMME},
    )
    detection_source = models.ForeignKey(
        PicklistItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("source de détection"),
        limit_choices_to={"kind": PicklistKind.DETECTION_SOURCE},
    )
    referring_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="referred_cases",
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
        PicklistItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("motif de clôture"), limit_choices_to={"kind": PicklistKind.CLOSING_REASON},
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The case's stage in the workflow in force (tracking/services/workflows.py).
    stage = models.ForeignKey("tracking.Stage", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="cases", verbose_name=_("étape"))
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: a write states the version it read (services.case_update).
    version = models.PositiveIntegerField(default=1)
    # Values of the association's custom fields, by key (tracking/models/fields.py).
    custom = models.JSONField(_("champs personnalisés"), default=dict, blank=True)
    # Retention (tracking/services/retention.py): a case without contact for the
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
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def age_bracket(self, on: date | None = None) -> str:
        return age_bracket(self.birth_year, on or timezone.localdate())


class CaseGrant(models.Model):
    """A per-case grant to one staff member on top of their role's defaults."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")
    user = staff_key(related_name="+")
    can_edit = models.BooleanField(default=False)
    granted_by = staff_key(related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.case} → {self.user_id}"


class CaseLink(models.Model):
    """Cases of the same situation (a targeted pupil and the authors)."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
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

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
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


class ContactKind(models.TextChoices):
    PARENT = "parent", _("Parent ou responsable légal")
    SCHOOL = "school", _("Personnel de l'établissement")
    LOCAL = "local", _("Acteur local")
    OTHER = "other", _("Autre")


class Contact(models.Model):
    kind = models.CharField(_("type"), max_length=10, choices=ContactKind.choices)
    first_name = EncryptedCharField(_("prénom"), max_length=80, blank=True, default="")
    last_name = EncryptedCharField(_("nom"), max_length=80, blank=True, default="")
    phone = EncryptedCharField(_("téléphone"), max_length=30, blank=True, default="")
    email = EncryptedCharField(_("e-mail"), max_length=200, blank=True, default="")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="contacts", verbose_name=_("organisation"))
    cases = models.ManyToManyField(Case, through="CaseContact", related_name="contacts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"#{self.pk}"


class CaseContact(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    relationship = models.CharField(_("lien"), max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "contact"], name="case_contact_unique")
        ]

    def __str__(self) -> str:
        return self.relationship


class Channel(models.TextChoices):
    PHONE = "phone", _("Téléphone")
    VIDEO = "video", _("Visio")
    IN_PERSON = "in_person", _("En présentiel")
    CHAT = "chat", _("Messagerie")


class Interaction(models.Model):
    """Every exchange with a young person, a parent, a partner or a volunteer."""

    # Read by psychologists only (Capability.CLINICAL). Every export made for someone else
    # leaves these out (tracking.permissions.clinical_columns): declare any new one here.
    CLINICAL_FIELDS: ClassVar[tuple[str, ...]] = ("clinical_note",)

    kind = models.ForeignKey(
        PicklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"),
        limit_choices_to={"kind": PicklistKind.INTERACTION_KIND},
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("date et heure"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    staff = staff_key(related_name="+",
                              verbose_name=_("intervenant"))
    cases = models.ManyToManyField(Case, related_name="interactions", blank=True,
                                   verbose_name=_("jeunes"))
    contacts = models.ManyToManyField(Contact, related_name="interactions", blank=True,
                                      verbose_name=_("contacts"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="interactions", verbose_name=_("partenaire"))
    summary = models.TextField(_("résumé"), max_length=5000, blank=True)
    clinical_note = EncryptedTextField(_("note clinique"), blank=True, default="")
    created_by = staff_key(related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    custom = models.JSONField(_("champs personnalisés"), default=dict, blank=True)

    class Meta:
        ordering = ("-occurred_at", "-id")
        indexes = [models.Index(fields=["occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind_id}"


class ExchangeGroup(models.Model):
    """A weekly online exchange group (a series)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    theme = models.CharField(_("thème"), max_length=160)
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("heure"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacité"), default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    facilitators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        STAFF, db_constraint=False, related_name="+", blank=True,
                                          verbose_name=_("animateurs"),
                                          db_table="tracking_group_facilitators")
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("weekday", "theme")

    def __str__(self) -> str:
        return self.theme


class GroupSession(models.Model):
    group = models.ForeignKey(ExchangeGroup, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("sujet"), max_length=200, blank=True)

    class Meta:
        ordering = ("-held_on",)
        constraints = [
            models.UniqueConstraint(fields=["group", "held_on"], name="group_session_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.held_on}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Présent")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excusé")


class Attendance(models.Model):
    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="attendances")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField(_("présence"), max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.case_id} {self.status}"


class AwarenessSession(models.Model):
    """An information / awareness session, counted by audience."""

    held_on = models.DateField(_("date"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="awareness_sessions", verbose_name=_("partenaire"))
    town = models.CharField(_("commune"), max_length=120, blank=True)
    department = models.CharField(_("département"), max_length=3, blank=True)
    programme = models.ForeignKey(
        PicklistItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("programme"), limit_choices_to={"kind": PicklistKind.PROGRAMME},
    )
    facilitators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        STAFF, db_constraint=False, related_name="+", blank=True,
                                          verbose_name=_("intervenants"),
                                          db_table="tracking_awareness_facilitators")
    pupils = models.PositiveIntegerField(_("élèves"), default=0,
                                         validators=[MaxValueValidator(100_000)])
    parents = models.PositiveIntegerField(_("parents"), default=0,
                                          validators=[MaxValueValidator(100_000)])
    teachers = models.PositiveIntegerField(_("enseignants"), default=0,
                                           validators=[MaxValueValidator(100_000)])
    other_professionals = models.PositiveIntegerField(
        _("autres professionnels"), default=0, validators=[MaxValueValidator(100_000)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-held_on",)

    def __str__(self) -> str:
        return f"{self.held_on} {self.town}"


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

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
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

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = staff_key(null=True, related_name="+")
    kind = models.CharField(max_length=32)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class AuditLog(models.Model):
    """Every read of a case or a clinical note, every change, every export. Append-only:
    a database trigger (migration 0002) refuses UPDATE and DELETE."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = staff_key(null=True, related_name="+")
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class CaseCodeCounter(models.Model):
    """Last case number given per year: codes read `2025-0042`."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Referral(models.Model):
    """A referral received through the public form (/signaler), kept with its case."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="referral")
    referrer_kind = models.CharField(max_length=16)
    referrer_name = EncryptedCharField(max_length=120)
    referrer_contact = EncryptedCharField(max_length=200)
    description = EncryptedTextField()
    received_at = models.DateTimeField(default=timezone.now)
    # When the team was told (tracking/tasks.py): a notice delivered twice is sent once.
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"referral {self.case_id}"
