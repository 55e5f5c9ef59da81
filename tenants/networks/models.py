"""Networks, their members and coordinators, contributions, publications and the published
cells. Schema: public. Published cells hold only what disclosure control let through."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.accounts.models import User
from tenants.tenancy.models import Association


class Network(models.Model):
    """A network of associations (founding association, funder, regional body)."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The data-sharing agreement an association accepts to join; a new text, a new version.
    agreement_version = models.CharField(_("version de la convention"), max_length=20,
                                         default="2026-1")
    # Disclosure control (tenants/networks/disclosure.py): counts below it are shown as "< N".
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


# --- Network indicators (see indicators.py and publication.py beside this module) ------


class IndicatorContribution(models.Model):
    """One association's count in one cell of a network indicator, for one school year:
    an aggregate on network codes (never a person, a free text or an identifier). Read
    only by the pooling step (tenants.networks.publication), never shown as such; replaced at each
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
    # narrowest interval the audit found (tenants.networks.publication.audit_summary).
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
    # A keyed fingerprint of the true value (tenants.networks.publication.cell_seal), never shown:
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
