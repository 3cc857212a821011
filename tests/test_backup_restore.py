"""The backup and restore procedure of docs/backup.md, run whole: `manage.py backup` of a database
with issued permits, uploads and a sealed audit trail, then `manage.py restore` in a process of its
own into a new database and a new media root, as an operator runs it (the owner through
MIGRATE_DATABASE_URL, the application role through DATABASE_URL). The restore's own checks
(the audit chain, the dashboards' summaries, every file's SHA-256) must pass, and a backup that
does not match its manifest is refused before anything is touched."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg.sql import SQL, Identifier

from approvals import workflow
from approvals.models import Attachment
from approvals.permit_flow import permit_render
from audit.chain import audit_seal
from audit.models import AuditEvent
from permits.tests.conftest import approve_all
from tests.engine_fixtures import pdf_upload
from tests.factories import UserFactory
from tests.services import require_tool

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
AUDIT_TABLE = "audit_auditevent"


@pytest.fixture(autouse=True)
def _postgresql_client_tools():
    require_tool(bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "pg_dump and pg_restore on PATH")


def url(database: dict, *, name: str, user: str, password: str) -> str:
    secret = f":{password}" if password else ""
    return f"postgres://{user}{secret}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


def sql(name: str, statement: str, params=()) -> list[tuple]:
    owner = connection.settings_dict
    with psycopg.connect(host=owner["HOST"] or "127.0.0.1", port=owner["PORT"] or 5432, user=owner["USER"],
                         password=owner["PASSWORD"] or None, dbname=name, autocommit=True) as conn:
        return conn.execute(statement, params).fetchall()


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def audit_privileges(name: str, role: str) -> dict:
    """What ``role`` may do on the audit log of database ``name``: per table privilege, and the
    columns it may UPDATE."""
    table = {privilege: sql(name, "SELECT has_table_privilege(%s, %s, %s)", (role, AUDIT_TABLE, privilege))[0][0]
             for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")}
    columns = [column for (column,) in sql(
        name, "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
              "AND has_column_privilege(%s, attrelid, attnum, 'UPDATE') ORDER BY attname", (AUDIT_TABLE, role))]
    return {"table": table, "update_columns": columns}


@pytest.fixture
def new_database(transactional_db, application_role):
    """An empty database beside the test database (named after the run's own), dropped afterwards."""
    name = f"{settings.APPLICATION_DATABASE['NAME']}_restore_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_restore(backup: Path, *, database: str, media: Path, application_role: dict) -> subprocess.CompletedProcess:
    owner = connection.settings_dict
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "MEDIA_ROOT": str(media),
                   "AUDIT_ANCHOR_DIR": settings.AUDIT_ANCHOR_DIR,
                   "MIGRATE_DATABASE_URL": url(owner, name=database, user=owner["USER"], password=owner["PASSWORD"]),
                   "DATABASE_URL": url(owner, name=database, user=application_role["USER"],
                                       password=application_role["PASSWORD"])}
    return subprocess.run([sys.executable, "manage.py", "restore", str(backup)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def portal_with_history(submit, officers, citizen, settings):
    """Two issued permits (rendered and signed), a draft with an upload, a sealed audit trail and
    the dashboards' summaries up to date."""
    permits = []
    for _ in range(2):
        permit = approve_all(submit(), officers)
        assert permit_render(permit_id=permit.pk) == "rendered"
        permits.append(permit)
    draft = workflow.application_start(applicant=UserFactory(email="li.lei@example.org"), service=permits[0].application.service)
    workflow.application_attach(application_id=draft.pk, actor=draft.applicant, field_key="floor_plan",
                                uploaded=pdf_upload("site.pdf"))
    audit_seal()
    call_command("rebuild_stats", stdout=open(os.devnull, "w"))
    return permits


def test_a_backup_restored_into_a_new_database_and_storage_passes_every_check(
        portal_with_history, new_database, application_role, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))
    assert (backup.stat().st_mode & 0o777, (backup / "database.dump").stat().st_mode & 0o777) == (0o700, 0o600)
    stored = files_under(Path(settings.MEDIA_ROOT))
    assert files_under(backup / "files") == stored
    # Two permits, and the draft's upload with its disarmed copy.
    assert len([name for name in stored if name.startswith("permits/")]) == 2
    assert len([name for name in stored if name.startswith("attachments/")]) == 2 * Attachment.objects.count()

    media = tmp_path / "restored-media"
    done = run_restore(backup, database=new_database, media=media, application_role=application_role)
    assert done.returncode == 0, done.stderr
    events = AuditEvent.objects.count()
    lines = done.stdout.splitlines()
    assert lines[0] == f"Restored the database and {len(stored)} files from {backup}."
    assert f"OK: {events} events verified, 0 not yet sealed; no checkpoint in {settings.AUDIT_ANCHOR_DIR} yet." in lines
    assert "drift: 0 summary rows (day 0, duration 0, month 0, backlog 0)" in lines
    assert lines[-1] == f"OK: {len(stored)} files match the SHA-256 their rows record."

    # The same rows, and the same files under the same names, byte for byte.
    for table in ("permits_permit", "approvals_attachment", AUDIT_TABLE, "approvals_application"):
        count = SQL("SELECT count(*) FROM {}").format(Identifier(table))
        assert sql(new_database, count) == sql(connection.settings_dict["NAME"], count)
    assert files_under(media) == stored
    for name in stored:
        assert (media / name).read_bytes() == Path(settings.MEDIA_ROOT, name).read_bytes()
    # The audit log's privileges are those the migrations' owner grants (db_roles), not the dump's.
    role = application_role["USER"]
    expected = {"table": {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False},
                "update_columns": ["hash", "key_id", "prev_hash", "seq"]}
    assert audit_privileges(new_database, role) == expected
    assert audit_privileges(connection.settings_dict["NAME"], role) == expected
    # Its tables belong to the owner who restored them, none to the application role.
    assert sql(new_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
               (role,)) == [(0,)]


@pytest.fixture
def backup(transactional_db, submit, tmp_path):
    """A backup of a database with one submitted application and its upload."""
    submit()
    directory = tmp_path / "backup"
    call_command("backup", str(directory), stdout=open(os.devnull, "w"))
    return directory


def refusal(directory: Path) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(directory), stdout=open(os.devnull, "w"))
    return str(refused.value)


def test_a_changed_or_truncated_backup_is_refused_before_anything_is_restored(backup, tmp_path):
    upload = sorted((backup / "files" / "attachments").rglob("*"))[-1]
    name = upload.relative_to(backup).as_posix()
    cases = {}
    changed = shutil.copytree(backup, tmp_path / "changed")
    data = bytearray((changed / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (changed / name).write_bytes(bytes(data))
    cases["changed"] = (changed, f"{name}: its SHA-256 differs from the manifest's (changed)")
    truncated = shutil.copytree(backup, tmp_path / "truncated")
    dump = (truncated / "database.dump").read_bytes()
    (truncated / "database.dump").write_bytes(dump[:len(dump) // 2])
    cases["truncated"] = (truncated, f"database.dump: {len(dump) // 2} bytes where the manifest says {len(dump)} "
                                     f"(truncated or changed)")
    missing = shutil.copytree(backup, tmp_path / "missing")
    (missing / name).unlink()
    cases["missing"] = (missing, f"{name}: missing")
    extra = shutil.copytree(backup, tmp_path / "extra")
    (extra / "files" / "permits").mkdir()
    (extra / "files" / "permits" / "P-1.pdf").write_bytes(b"%PDF-1.7 not ours")
    cases["extra"] = (extra, "files/permits/P-1.pdf: not in the manifest")
    tables = len(connection.introspection.table_names())
    for kind, (directory, problem) in cases.items():
        assert refusal(directory) == f"The backup does not match its manifest; nothing was restored.\n{problem}", kind
        with pytest.raises(CommandError, match="does not match its manifest"):
            call_command("restore", str(directory), check_only=True)
    assert len(connection.introspection.table_names()) == tables
    unfinished = shutil.copytree(backup, tmp_path / "unfinished")
    (unfinished / "manifest.json").unlink()
    assert refusal(unfinished) == f"{unfinished} has no manifest.json: not a backup, or one that did not finish."
    # A whole backup is refused by a database that is not empty (this one), before any file is stored.
    assert refusal(backup) == (f"The database {connection.settings_dict['NAME']} already has {tables} tables: "
                               f"restore into a new, empty database.")
    call_command("restore", str(backup), check_only=True, stdout=open(os.devnull, "w"))


def test_a_backup_goes_into_a_new_directory_only(backup):
    with pytest.raises(CommandError) as refused:
        call_command("backup", str(backup))
    assert str(refused.value) == f"{backup} is not empty: a backup goes into a new directory."
