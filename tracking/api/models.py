"""API keys and the answers kept for idempotent requests. Schema: tenant."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import staff_key


class ApiScope(models.TextChoices):
    """What a key may do; a call outside its scopes is refused (403)."""

    REFERRALS_WRITE = "referrals:write", _("Envoyer des signalements")
    CASES_READ = "cases:read", _("Lire les dossiers")
    CASES_WRITE = "cases:write", _("Modifier les dossiers")
    FIGURES_READ = "figures:read", _("Lire les chiffres d'activité")


class ApiKey(models.Model):
    """A key of the association's API. Only a SHA-256 digest of the key is stored: the key
    is shown once, at creation. `prefix` (the key's first characters, not secret) names it
    in lists and finds its row. Never deleted: a revoked key stays, with who revoked it."""

    name = models.CharField(_("nom"), max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("portées"), default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # Null when an operator made it with `manage.py api_key_create`.
    created_by = staff_key(null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoked_by = staff_key(null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("clé d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def usable(self, *, at: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        now = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotentRequest(models.Model):
    """A write sent with an `Idempotency-Key` header, and the answer it got: the same key
    with the same body gets that answer again (no second referral), with another body a
    conflict (409). Per caller: a key of the API, or a member's account."""

    caller = models.CharField(max_length=40)  # "key:<id>" or "user:<id>"
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, path and body
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"],
                                               name="idempotent_request_once")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
