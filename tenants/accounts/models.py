"""Accounts (people), their memberships and roles, hand-off tokens and rate counters.
Schema: public (shared)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.tenancy.models import Association


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person, across every association (public schema)."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    display_name = models.CharField(_("nom affiché"), max_length=150, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(
        _("opérateur de la plateforme"), default=False,
        help_text=_("Peut se connecter à l'administration de la plateforme."),
    )
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return self.display_name or self.email


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    COORDINATOR = "coordinator", _("Coordinateur")
    PSYCHOLOGIST = "psychologist", _("Psychologue")
    LISTENER = "listener", _("Écoutant")
    VOLUNTEER = "volunteer", _("Bénévole")
    READ_ONLY = "read_only", _("Lecture seule")


class Membership(models.Model):
    """A person's place in one association, with one role. Deactivated, never deleted."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "association"], name="membership_one_per_association"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.association} · {self.get_role_display()}"


class HandoffToken(models.Model):
    """A single-use pass from one association's host to another's (tenants/accounts/handoff.py)."""

    nonce = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"handoff {self.pk} → {self.target_id}"


class RateCounter(models.Model):
    """One window of one rate limit (tenants/accounts/ratelimit.py), counted in PostgreSQL so that
    the limits hold while Redis is down. The key is an HMAC of (limit, schema, who): no
    address is stored in clear. Expired windows are purged every hour."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}"
