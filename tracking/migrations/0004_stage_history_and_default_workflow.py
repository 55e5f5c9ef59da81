"""Stage history is append-only; every association starts with the ready workflow."""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION tracking_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_stagechange_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_stagechange
    FOR EACH ROW EXECUTE FUNCTION tracking_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS tracking_stagechange_no_update_delete ON tracking_stagechange;
DROP FUNCTION IF EXISTS tracking_append_only();
"""


def add_default_workflow(apps, schema_editor):
    from tracking.lists.defaults import DEFAULT_STAGES, DEFAULT_TRANSITIONS

    WorkflowVersion = apps.get_model("tracking", "WorkflowVersion")
    Stage = apps.get_model("tracking", "Stage")
    Transition = apps.get_model("tracking", "Transition")
    if WorkflowVersion.objects.exists():
        return
    version = WorkflowVersion.objects.create(number=1, status="published")
    stages = {}
    for position, (key, name, colour, is_open, is_initial, hours) in enumerate(DEFAULT_STAGES):
        stages[key] = Stage.objects.create(
            version=version, key=key, name=name, colour=colour, is_open=is_open,
            is_initial=is_initial, time_limit_hours=hours, position=position,
        )
    for source, target, label, roles, required in DEFAULT_TRANSITIONS:
        Transition.objects.create(
            version=version, from_stage=stages[source], to_stage=stages[target], label=label,
            roles=roles, required_fields=required,
        )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0003_workflows")]

    operations = [
        migrations.RunSQL(TRIGGER, REVERSE),
        migrations.RunPython(add_default_workflow, migrations.RunPython.noop),
    ]
