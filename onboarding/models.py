"""Sign-ups of associations, invitations to a team, the first-run checklist.
Schema: public (shared).

Tokens (e-mail verification, invitations) are never stored: only their SHA-256, so a
leaked database holds no usable link. A new token replaces the old one, which dies.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Association, Role, User

# The versions of the texts a person accepts when signing up; a new text, a new version.
TERMS_VERSION = "2026-1"
DPA_VERSION = "2026-1"


# Sign-up statuses that hold their identifier and address (failed and expired free them).
HOLDING = ("pending", "verified", "provisioning", "ready")


class SignUp(models.Model):
    """One association's request to open a workspace, from the form to the ready
    workspace. Kept afterwards: it holds the identifier and the accepted texts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de vérification de l'adresse e-mail")
        VERIFIED = "verified", _("Adresse vérifiée, création en file d'attente")
        PROVISIONING = "provisioning", _("Création de l'espace en cours")
        READY = "ready", _("Espace prêt")
        FAILED = "failed", _("Échec de la création")
        EXPIRED = "expired", _("Expirée")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association_name = models.CharField(_("nom de l'association"), max_length=200)
    identifier_kind = models.CharField(max_length=5)
    identifier = models.CharField(_("identifiant"), max_length=14)
    # RNA number or SIREN: one legal person, whichever of its SIRETs was typed.
    identity_key = models.CharField(max_length=10)
    slug = models.SlugField(_("adresse"), max_length=40)
    contact_name = models.CharField(_("nom de la personne à contacter"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    # make_password() of the chosen password, applied only to a new account.
    password_hash = models.CharField(max_length=256, blank=True)
    terms_version = models.CharField(max_length=20)
    terms_accepted_at = models.DateTimeField()
    dpa_version = models.CharField(max_length=20)
    dpa_accepted_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_sent_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    provisioning_started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    association = models.OneToOneField(Association, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="signup")
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    entered_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        constraints = [
            models.UniqueConstraint(fields=["identity_key"],
                                    condition=models.Q(status__in=HOLDING),
                                    name="signup_one_per_identity"),
            models.UniqueConstraint(fields=["slug"], condition=models.Q(status__in=HOLDING),
                                    name="signup_one_per_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.association_name} ({self.status})"

    @property
    def provisioning_seconds(self) -> float | None:
        """From submitting the form to a usable workspace (e-mail round trip included)."""
        if self.ready_at is None:
            return None
        return (self.ready_at - self.created_at).total_seconds()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, *, now: datetime) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True,
                           expires_at__gt=now)


class Invitation(models.Model):
    """An invitation to join one association with one role, by e-mail. Never deleted:
    accepted, revoked or expired, it stays as a record."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT,
                                    related_name="invitations")
    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    send_count = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at",)
        constraints = [
            # One open invitation per person and association (expired ones are revoked
            # when a new one is sent).
            models.UniqueConstraint(
                fields=["association", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.association_id} ({self.role})"

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"


class Checklist(models.Model):
    """The first-run checklist of an association: which steps an admin marked as done by
    hand ("keep the ready workflow"), and whether it was dismissed. The other ticks are
    computed from real state (onboarding.selectors.checklist_get)."""

    association = models.OneToOneField(Association, on_delete=models.PROTECT,
                                       related_name="checklist")
    confirmed_steps = models.JSONField(default=list, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")

    def __str__(self) -> str:
        return f"checklist {self.association_id}"
