"""How long an association keeps what it records (GDPR storage limitation).

Schema: tenant. One row per association schema (id 1): after how many months without
contact a case is archived, how many months after archiving it is anonymised, and how many
months audit entries are kept. The bounds are CHECK constraints too: the audit log's
database trigger reads `audit_keep_months` to decide which rows a purge may delete, so
the floor of six months holds even for SQL that bypasses the application.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# (default, lowest, highest), in months.
ARCHIVE_AFTER = (24, 12, 60)
ANONYMISE_AFTER = (12, 1, 36)
AUDIT_KEEP = (12, 6, 12)
# Admins see the cases a step will reach within this many days.
WARNING_DAYS = 30


def _between(field: str, bounds: tuple[int, int, int]) -> models.CheckConstraint:
    _default, low, high = bounds
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": low, f"{field}__lte": high}),
                                  name=f"retention_{field}_bounds")


class RetentionPolicy(models.Model):
    """The association's retention settings (a single row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    archive_after_months = models.PositiveSmallIntegerField(
        _("archiver un dossier sans contact depuis (mois)"), default=ARCHIVE_AFTER[0])
    anonymise_after_months = models.PositiveSmallIntegerField(
        _("anonymiser un dossier archivé depuis (mois)"), default=ANONYMISE_AFTER[0])
    audit_keep_months = models.PositiveSmallIntegerField(
        _("conserver le journal d'audit (mois)"), default=AUDIT_KEEP[0])
    updated_at = models.DateTimeField(default=timezone.now)
    # An account id (public.tenants_user), no database key: see tracking.cases.models.
    updated_by_id = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("durées de conservation")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="retention_single_row"),
            _between("archive_after_months", ARCHIVE_AFTER),
            _between("anonymise_after_months", ANONYMISE_AFTER),
            _between("audit_keep_months", AUDIT_KEEP),
        ]

    def __str__(self) -> str:
        return (f"{self.archive_after_months}/{self.anonymise_after_months}/"
                f"{self.audit_keep_months}")
