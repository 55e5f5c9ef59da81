"""Retention of the platform's audit trail (public schema): entries older than twelve
months — the longest period an association may choose for its own log — are purged by
the nightly job. Each association's own audit log follows its own policy and is guarded
by a trigger (tracking/privacy/retention.py, tracking/migrations/0010_retention.py).

No such trigger here: removing an association (tests/tenants/offboarding/test_backup.py shows how an
operator does it) deletes its platform entries first, since their key to the association
is PROTECT; a trigger would have to know about that case too."""

from __future__ import annotations

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

from relier_platform.tenancy import current_schema
from tenants.tenancy.services import audit

PLATFORM_AUDIT_KEEP_MONTHS = 12


def platform_audit_purge() -> int:
    """Delete the platform audit entries older than PLATFORM_AUDIT_KEEP_MONTHS; record how
    many went. Runs in public; idempotent. The cut-off is PostgreSQL's, as for the
    associations' logs."""
    if current_schema() != get_public_schema_name():
        raise RuntimeError("platform_audit_purge must run in the public schema")
    months = PLATFORM_AUDIT_KEEP_MONTHS
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM tenants_auditentry "
            "WHERE at < now() - make_interval(months => %s) RETURNING 1) "
            "SELECT count(*), now() - make_interval(months => %s) FROM gone",
            [months, months])
        count, cutoff = cursor.fetchone()
        if count:
            audit("retention.audit_purge", deleted=count, months=months,
                  before=cutoff.isoformat())
    return int(count)
