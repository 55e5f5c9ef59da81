"""Associations (tenants), their domains and the platform's audit trail. Schema: public."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_context

from relier_platform.cache import LocalMemo


class Association(TenantMixin):
    """A partner association: one PostgreSQL schema. The row for the platform site itself
    has schema `public` and is never listed as an association."""

    slug = models.SlugField(_("adresse"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    # Offboarding (tenants/offboarding/services.py): requested by an admin (or an operator), then
    # confirmed by an operator after the grace period; the row stays as a tombstone.
    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        CLOSING = "closing", _("fermeture demandée")
        CLOSED = "closed", _("fermée")

    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.ACTIVE)
    closure_requested_at = models.DateTimeField(_("fermeture demandée le"), null=True,
                                                blank=True)
    closure_requested_by = models.ForeignKey(
        "tenants.User", verbose_name=_("fermeture demandée par"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    closure_not_before = models.DateTimeField(_("suppression possible à partir du"),
                                              null=True, blank=True)
    closure_confirmed_at = models.DateTimeField(_("fermeture confirmée le"), null=True,
                                                blank=True)
    closure_confirmed_by = models.ForeignKey(
        "tenants.User", verbose_name=_("fermeture confirmée par"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    export_file = models.CharField(_("export"), max_length=300, blank=True, default="")
    export_sha256 = models.CharField(_("empreinte SHA-256 de l'export"), max_length=64,
                                     blank=True, default="")
    export_made_at = models.DateTimeField(_("export fait le"), null=True, blank=True)

    # Schemas are cloned from the template (settings.TENANT_BASE_SCHEMA), inside the
    # provisioning transaction; they are never dropped by deleting a row.
    auto_create_schema = True
    auto_drop_schema = False
    clone_mode = "DATA"

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if self.pk:
            forget_hosts(*self.domains.values_list("domain", flat=True))

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """Clone the migrated template schema.

        The template's `django_migrations` rows are copied with it (clone_mode DATA), so
        there is nothing to fake afterwards: django-tenants' extra `migrate --fake` pass,
        which alone costs more than the clone, is skipped.
        """
        from django_tenants.utils import schema_exists

        from tenants.tenancy.provisioning import clone_template_schema

        if check_if_exists and schema_exists(self.schema_name):
            return False
        clone_template_schema(self.schema_name)
        return True


class Domain(DomainMixin):
    """A host name that leads to an association (or to the platform site)."""

    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def save(self, *args: Any, **kwargs: Any) -> None:
        previous = (
            Domain.objects.filter(pk=self.pk).values_list("domain", flat=True).first()
            if self.pk else None
        )
        super().save(*args, **kwargs)
        forget_hosts(self.domain, *([previous] if previous else []))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        forget_hosts(self.domain)
        return result


# This process's copy of host → association (tenants.tenancy.middleware), in front of the
# cache: see relier_platform.cache.LocalMemo.
HOSTS = LocalMemo("hosts")


def domain_cache_key(hostname: str) -> str:
    return f"domain:{hostname}"


def forget_hosts(*hostnames: str) -> None:
    """Drop cached host → association lookups (tenants.tenancy.middleware); keys live in public.

    Now, and again once the current transaction commits: a request served between the
    write and the commit reads the rows as they were (no domain yet, during a provisioning)
    and may have cached that answer."""
    keys = [domain_cache_key(h) for h in hostnames]

    def forget() -> None:
        HOSTS.forget(*hostnames)
        with schema_context("public"):
            cache.delete_many(keys)

    forget()
    if connection.in_atomic_block:
        transaction.on_commit(forget, robust=True)


class AuditEntry(models.Model):
    """Platform-level audit trail (append-only): associations created, memberships changed,
    hand-offs. Tenant-level activity is audited inside each schema (tracking)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    association = models.ForeignKey(
        Association, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
