"""Stage history stays append-only, with one narrow exception for the erasure of a young
person's data (tracking/privacy/services.py): inside the erasure's own transaction, which
names the case with `SET LOCAL relier.erasure_case`, the free-text comment of that case's
stage changes may be blanked — and nothing else: any other change, any other case, any
DELETE or TRUNCATE is refused as before."""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION tracking_stagechange_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('relier.erasure_case', true) = OLD.case_id::text
       AND NEW.comment = ''
       AND (NEW.id, NEW.case_id, NEW.at, NEW.actor_id, NEW.from_stage_id, NEW.to_stage_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.case_id, OLD.at, OLD.actor_id, OLD.from_stage_id, OLD.to_stage_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS tracking_stagechange_no_update_delete ON tracking_stagechange;
CREATE TRIGGER tracking_stagechange_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_stagechange
    FOR EACH ROW EXECUTE FUNCTION tracking_stagechange_append_only();
CREATE TRIGGER tracking_stagechange_no_truncate
    BEFORE TRUNCATE ON tracking_stagechange
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS tracking_stagechange_no_truncate ON tracking_stagechange;
DROP TRIGGER IF EXISTS tracking_stagechange_no_update_delete ON tracking_stagechange;
CREATE TRIGGER tracking_stagechange_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_stagechange
    FOR EACH ROW EXECUTE FUNCTION tracking_append_only();
DROP FUNCTION IF EXISTS tracking_stagechange_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("tracking", "0008_staff_references_without_db_keys")]

    operations = [migrations.RunSQL(TRIGGER, REVERSE)]
