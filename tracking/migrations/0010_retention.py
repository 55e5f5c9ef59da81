"""Retention (issue #8): cases archived then anonymised after the association's periods,
and audit entries kept 6 to 12 months.

The audit log stays append-only for everyone but the retention purge. UPDATE and TRUNCATE
are still refused by the trigger of migration 0002; DELETE is now checked by a statement
trigger that sees every deleted row at once (a transition table) and refuses the whole
statement unless

1. the transaction set `relier.audit_purge = 'on'` (only `audit_purge` in
   tracking/privacy/retention.py does, with set_config(..., is_local => true)): a guard
   against accidental deletes (an ORM cascade, a stray queryset .delete());
2. every deleted row is older than this schema's `audit_keep_months` (its policy row,
   read through TG_TABLE_SCHEMA so that the search_path cannot point elsewhere; never less
   than six months, whatever that row says). This is the real guarantee: the flag can be
   set by anyone with SQL access, the age of the rows cannot be argued with.

Refusing in an AFTER trigger rolls the DELETE back; checking once per statement (max(at))
instead of once per row keeps a purge of many rows cheap.
"""


import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PURGE_ONLY = """
DROP TRIGGER IF EXISTS tracking_auditlog_no_update_delete ON tracking_auditlog;
CREATE TRIGGER tracking_auditlog_no_update
    BEFORE UPDATE ON tracking_auditlog
    FOR EACH ROW EXECUTE FUNCTION tracking_auditlog_append_only();
CREATE OR REPLACE FUNCTION tracking_auditlog_purge_only() RETURNS trigger AS $$
DECLARE
    keep integer;
    youngest timestamptz;
BEGIN
    IF coalesce(current_setting('relier.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'tracking_auditlog is append-only (DELETE refused outside the '
                        'retention purge)';
    END IF;
    EXECUTE format('SELECT audit_keep_months FROM %I.tracking_retentionpolicy WHERE id = 1',
                   TG_TABLE_SCHEMA) INTO keep;
    keep := greatest(coalesce(keep, 12), 6);
    SELECT max(at) INTO youngest FROM gone;
    IF youngest >= now() - make_interval(months => keep) THEN
        RAISE EXCEPTION 'tracking_auditlog keeps % months: an entry of % is too recent to '
                        'be deleted', keep, youngest;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_auditlog_purge_only
    AFTER DELETE ON tracking_auditlog
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_auditlog_purge_only();
"""

APPEND_ONLY_AGAIN = """
DROP TRIGGER IF EXISTS tracking_auditlog_purge_only ON tracking_auditlog;
DROP FUNCTION IF EXISTS tracking_auditlog_purge_only();
DROP TRIGGER IF EXISTS tracking_auditlog_no_update ON tracking_auditlog;
CREATE TRIGGER tracking_auditlog_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_auditlog
    FOR EACH ROW EXECUTE FUNCTION tracking_auditlog_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tracking', '0009_privacy_stagechange_erasure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('archive_after_months', models.PositiveSmallIntegerField(default=24, verbose_name='archiver un dossier sans contact depuis (mois)')),
                ('anonymise_after_months', models.PositiveSmallIntegerField(default=12, verbose_name='anonymiser un dossier archivé depuis (mois)')),
                ('audit_keep_months', models.PositiveSmallIntegerField(default=12, verbose_name="conserver le journal d'audit (mois)")),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_by_id', models.IntegerField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'durées de conservation',
            },
        ),
        migrations.AddField(
            model_name='case',
            name='anonymised_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='anonymisé le'),
        ),
        migrations.AddField(
            model_name='case',
            name='archived_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='archivé le'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('archived_at__isnull', False)), fields=['archived_at'], name='case_archived_at'),
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='retention_single_row'),
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('archive_after_months__gte', 12), ('archive_after_months__lte', 60)), name='retention_archive_after_months_bounds'),
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('anonymise_after_months__gte', 1), ('anonymise_after_months__lte', 36)), name='retention_anonymise_after_months_bounds'),
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('audit_keep_months__gte', 6), ('audit_keep_months__lte', 12)), name='retention_audit_keep_months_bounds'),
        ),
        migrations.RunSQL(PURGE_ONLY, APPEND_ONLY_AGAIN),
    ]
