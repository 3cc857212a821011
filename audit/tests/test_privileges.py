"""The application role (DATABASE_URL) may add, read and seal audit events and nothing more: it
cannot truncate the log, delete from it, change a sealed event, or switch the triggers off, as the
owner of the tables could (and as the portal could while it connected as the owner). The owner's
TRUNCATE is refused by a trigger. `manage.py db_roles` grants all this, again and again alike."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from audit.chain import audit_seal, audit_verify
from audit.models import Action, AuditEvent
from audit.services import Event, audit_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as error:
        run(sql, params)
    return str(error.value).splitlines()[0]


def sealed_event() -> AuditEvent:
    audit_record(Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=7, application_id=7,
                       purpose="review"))
    assert audit_seal() == 1
    return AuditEvent.objects.get()


def test_the_application_role_adds_reads_and_seals_and_can_change_nothing_sealed(as_application_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == as_application_role["USER"]
    event = sealed_event()
    assert audit_verify().ok

    table = "audit_auditevent"
    assert refused(f"TRUNCATE {table}") == f"permission denied for table {table}"
    assert refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]) == f"permission denied for table {table}"
    assert refused("UPDATE audit_auditevent SET purpose = 'curiosity' WHERE id = %s", [event.pk]) == (
        f"permission denied for table {table}")
    # The chain columns it may set, but only on an event not yet sealed.
    assert refused("UPDATE audit_auditevent SET hash = repeat('f', 64) WHERE id = %s", [event.pk]) == (
        "audit events are append-only: UPDATE refused")
    assert [refused(switch_off) for switch_off in (
        f"ALTER TABLE {table} DISABLE TRIGGER audit_event_append_only",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"DROP TRIGGER audit_event_append_only ON {table}",
        f"DROP TRIGGER audit_event_refuse_truncate ON {table}",
    )] == [f"must be owner of table {table}"] * 2 + [f"must be owner of relation {table}"] * 2
    assert refused("SET session_replication_role = replica") == (
        'permission denied to set parameter "session_replication_role"')
    assert refused("INSERT INTO django_migrations (app, name, applied) VALUES ('audit', 'x', now())") == (
        "permission denied for table django_migrations")
    # The database's notes of the checkpoints: added, never changed.
    assert refused("DELETE FROM audit_auditanchor") == "permission denied for table audit_auditanchor"
    assert refused("UPDATE audit_auditanchor SET head = ''") == "permission denied for table audit_auditanchor"

    assert AuditEvent.objects.get().purpose == "review" and audit_verify().ok


def test_the_application_role_writes_the_other_tables(as_application_role):
    user = User.objects.create_user(email="lin@example.gov", password="a long password 1")
    User.objects.filter(pk=user.pk).update(full_name="Lin Wei")
    assert User.objects.get(pk=user.pk).full_name == "Lin Wei"
    User.objects.filter(pk=user.pk).delete()
    assert not User.objects.exists()


def test_even_the_owner_may_not_truncate_the_log():
    sealed_event()
    assert refused("TRUNCATE audit_auditevent") == "audit events are append-only: TRUNCATE refused"
    # Nor by cascading from the people the events name.
    assert refused("TRUNCATE accounts_user CASCADE") == "audit events are append-only: TRUNCATE refused"
    assert AuditEvent.objects.count() == 1


def test_db_roles_grants_again_alike_and_refuses_the_owner_itself(application_role, settings):
    settings.APPLICATION_DATABASE = {**settings.APPLICATION_DATABASE, **application_role}
    out = StringIO()
    call_command("db_roles", stdout=out)
    call_command("db_roles", stdout=out)
    tables = connection.introspection.table_names()
    role = application_role["USER"]
    assert out.getvalue().splitlines() == [
        f"Role {role} updated: {len(tables)} tables granted; on the audit log only INSERT, SELECT and sealing."] * 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                       "WHERE grantee = %s AND table_name = 'audit_auditevent' ORDER BY 1", [role])
        assert [p for (p,) in cursor.fetchall()] == ["INSERT", "SELECT"]
        cursor.execute("SELECT column_name FROM information_schema.column_privileges WHERE grantee = %s "
                       "AND table_name = 'audit_auditevent' AND privilege_type = 'UPDATE' ORDER BY 1", [role])
        assert [c for (c,) in cursor.fetchall()] == ["hash", "key_id", "prev_hash", "seq"]

    settings.APPLICATION_DATABASE = {**settings.APPLICATION_DATABASE, "USER": connection.settings_dict["USER"]}
    with pytest.raises(CommandError) as error:
        call_command("db_roles")
    owner = connection.settings_dict["USER"]
    assert str(error.value) == (f"DATABASE_URL and MIGRATE_DATABASE_URL name the same role ({owner}): the portal "
                                f"would connect as the owner of its tables. Give DATABASE_URL a role of its own.")
