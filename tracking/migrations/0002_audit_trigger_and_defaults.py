"""Append-only audit log (a trigger refuses UPDATE and DELETE) and the default lists."""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION tracking_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tracking_auditlog is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_auditlog_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_auditlog
    FOR EACH ROW EXECUTE FUNCTION tracking_auditlog_append_only();
CREATE TRIGGER tracking_auditlog_no_truncate
    BEFORE TRUNCATE ON tracking_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_auditlog_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS tracking_auditlog_no_update_delete ON tracking_auditlog;
DROP TRIGGER IF EXISTS tracking_auditlog_no_truncate ON tracking_auditlog;
DROP FUNCTION IF EXISTS tracking_auditlog_append_only();
"""


def add_defaults(apps, schema_editor):
    from tracking.lists.defaults import DEFAULT_PICKLISTS

    PicklistItem = apps.get_model("tracking", "PicklistItem")
    for kind, items in DEFAULT_PICKLISTS.items():
        for position, (code, label, network_code) in enumerate(items):
            PicklistItem.objects.get_or_create(
                kind=kind, code=code,
                defaults={"label": label, "network_code": network_code, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [
        migrations.RunSQL(TRIGGER, REVERSE),
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
