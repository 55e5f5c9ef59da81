"""Associations (tenants), domains, accounts and memberships. Schema: public (shared)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_context


class Association(TenantMixin):
    """A partner association: one PostgreSQL schema. The row for the platform site itself
    has schema `public` and is never listed as an association."""

    slug = models.SlugField(_("adresse"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    # Offboarding (tenants/offboarding.py): requested by an admin (or an operator), then
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

        from tenants.provisioning import clone_template_schema

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


def domain_cache_key(hostname: str) -> str:
    return f"domain:{hostname}"


def forget_hosts(*hostnames: str) -> None:
    """Drop cached host → association lookups (tenants.middleware); keys live in public.

    Now, and again once the current transaction commits: a request served between the
    write and the commit reads the rows as they were (no domain yet, during a provisioning)
    and may have cached that answer."""
    keys = [domain_cache_key(h) for h in hostnames]

    def forget() -> None:
        with schema_context("public"):
            cache.delete_many(keys)

    forget()
    if connection.in_atomic_block:
        transaction.on_commit(forget, robust=True)


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


class Network(models.Model):
    """A network of associations (founding association, funder, regional body)."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The data-sharing agreement an association accepts to join; a new text, a new version.
    agreement_version = models.CharField(_("version de la convention"), max_length=20,
                                         default="2026-1")
    # Disclosure control (tenants/disclosure.py): counts below it are shown as "< N".
    small_count_threshold = models.PositiveSmallIntegerField(
        _("seuil des petits effectifs"), default=11,
        validators=[MinValueValidator(5), MaxValueValidator(11)])
    round_to_five = models.BooleanField(_("arrondir à 5"), default=False)
    # The narrowest interval a solver may narrow a hidden cell to (tenants/disclosure_audit);
    # 0: half the threshold, rounded up — never less.
    protection_width = models.PositiveSmallIntegerField(
        _("largeur de protection"), default=0,
        help_text=_("0 : la moitié du seuil, arrondie au-dessus (jamais moins)."))

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    """An association's explicit agreement to share its anonymised aggregates with a
    network: who agreed, when, to which version; withdrawn, never deleted (its figures
    leave every later publication). Joining again makes a new row."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="memberships")
    association = models.ForeignKey(Association, on_delete=models.PROTECT,
                                    related_name="network_memberships")
    agreement_version = models.CharField(_("version de la convention"), max_length=20)
    agreed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion à un réseau")
        constraints = [
            models.UniqueConstraint(fields=["network", "association"],
                                    condition=models.Q(withdrawn_at__isnull=True),
                                    name="network_one_active_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.association} · {self.network}"


class NetworkCoordinator(models.Model):
    """A person who sees a network's pooled, anonymised indicators — and nothing else."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="network_roles")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="coordinators")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("coordinateur réseau")
        verbose_name_plural = _("coordinateurs réseau")
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="coordinator_one_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.network}"


class HandoffToken(models.Model):
    """A single-use pass from one association's host to another's (tenants/handoff.py)."""

    nonce = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"handoff {self.pk} → {self.target_id}"


class AuditEntry(models.Model):
    """Platform-level audit trail (append-only): associations created, memberships changed,
    hand-offs. Tenant-level activity is audited inside each schema (tracking)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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


# --- Network indicators (see tenants/indicators.py and tenants/publication.py) ---------


class IndicatorContribution(models.Model):
    """One association's count in one cell of a network indicator, for one school year:
    an aggregate on network codes (never a person, a free text or an identifier). Read
    only by the pooling step (tenants.publication), never shown as such; replaced at each
    of the association's publications, removed when it shares with no network any more."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(max_length=40)
    period = models.CharField(max_length=9)  # "2025-2026"
    row = models.CharField(max_length=30)
    column = models.CharField(max_length=30)
    value = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["association", "indicator", "period", "row", "column"],
                                    name="contribution_one_per_cell"),
        ]
        indexes = [models.Index(fields=["period", "indicator"])]

    def __str__(self) -> str:
        return f"{self.association_id} {self.indicator} {self.period} {self.row}/{self.column}"


class ContributionRun(models.Model):
    """One computation of an association's contribution (log of the publication task)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminée")
        FAILED = "failed", _("échouée")
        SKIPPED = "skipped", _("aucun réseau")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    cells = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["association", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.association_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class NetworkPublication(models.Model):
    """One publication of a network's pooled figures, with the rules it applied."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="publications")
    published_at = models.DateTimeField(default=timezone.now)
    associations = models.PositiveIntegerField(default=0)  # how many contributed
    periods = models.JSONField(default=list)
    small_count_threshold = models.PositiveSmallIntegerField()
    round_to_five = models.BooleanField(default=False)
    protection_width = models.PositiveSmallIntegerField(default=0)
    # By school year: the cut-off day, and per table how many cells are hidden and the
    # narrowest interval the audit found (tenants.publication.audit_summary).
    audit = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-published_at",)

    def __str__(self) -> str:
        return f"{self.network_id} {self.published_at:%Y-%m-%d %H:%M}"


class PublishedCell(models.Model):
    """A pooled cell after disclosure control: a value, or none and the reason why."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(max_length=40)
    period = models.CharField(max_length=9)
    row = models.CharField(max_length=30)
    column = models.CharField(max_length=30)
    value = models.PositiveIntegerField(null=True)
    reason = models.CharField(max_length=20, blank=True)
    # A keyed fingerprint of the true value (tenants.publication.cell_seal), never shown:
    # the next publication knows whether a hidden value changed, without keeping it.
    seal = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "indicator", "period", "row", "column"],
                                    name="published_cell_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.indicator} {self.period} {self.row}/{self.column}"


class PublishedStatistic(models.Model):
    """A pooled average or median, published only when the count behind it is."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(max_length=40)
    period = models.CharField(max_length=9)
    key = models.CharField(max_length=30)
    value = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    reason = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "indicator", "period", "key"],
                                    name="published_statistic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.indicator} {self.period} {self.key}"


class OutboxTask(models.Model):
    """A Celery task a page asked for, written in the page's own transaction (public
    schema; tenants/outbox.py). It is sent to the broker after commit; while the broker is
    down it waits here, and the sweeper sends it once the broker is back. Holds ids and a
    schema name only, never personal data."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    schema_name = models.CharField(max_length=63)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # The id of the request that asked for it: the task's log lines carry it too.
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("tâche à envoyer")
        verbose_name_plural = _("tâches à envoyer")
        indexes: ClassVar = [
            models.Index(fields=["created_at"], name="outbox_unsent",
                         condition=models.Q(sent_at__isnull=True)),
            models.Index(fields=["sent_at"], name="outbox_sent",
                         condition=models.Q(sent_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.schema_name})"


class RateCounter(models.Model):
    """One window of one rate limit (tenants/ratelimit.py), counted in PostgreSQL so that
    the limits hold while Redis is down. The key is an HMAC of (limit, schema, who): no
    address is stored in clear. Expired windows are purged every hour."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}"
