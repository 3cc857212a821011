"""On PostgreSQL the audit table refuses DELETE and any UPDATE other than sealing an unsealed
event (setting seq, prev_hash and hash once, nothing else)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only: DELETE refused';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.at <> OLD.at
       OR NEW.actor_id IS DISTINCT FROM OLD.actor_id OR NEW.actor_label <> OLD.actor_label
       OR NEW.action <> OLD.action OR NEW.object_type <> OLD.object_type OR NEW.object_id <> OLD.object_id
       OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
       OR NEW.application_id IS DISTINCT FROM OLD.application_id
       OR NEW.department_code <> OLD.department_code OR NEW.ip IS DISTINCT FROM OLD.ip
       OR NEW.purpose <> OLD.purpose OR NEW.details::text <> OLD.details::text THEN
        RAISE EXCEPTION 'audit events are append-only: UPDATE refused';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
