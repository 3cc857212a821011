"""The image's entrypoint: `migrate` runs as the owner of the tables and leaves the application role
granted; every other command runs without the owner's address in its environment."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.database_roles import application_credentials

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = str(ROOT / "scripts" / "docker-entrypoint.sh")


def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "DJANGO_SETTINGS_MODULE": "portal.settings.test", **env}
    return subprocess.run([ENTRYPOINT, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


def test_every_other_command_runs_without_the_owners_address():
    done = entrypoint("sh", "-c", 'echo "${MIGRATE_DATABASE_URL:-none}"', MIGRATE_DATABASE_URL="postgres://owner@db/portal")
    assert (done.returncode, done.stdout) == (0, "none\n")


def test_the_metrics_directory_starts_empty(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    for name in ("counter_41.db", "histogram_42.db", "notes.txt"):
        (directory / name).write_bytes(b"left by the last run")
    done = entrypoint("sh", "-c", 'ls -A "$PROMETHEUS_MULTIPROC_DIR"', PROMETHEUS_MULTIPROC_DIR=str(directory))
    assert (done.returncode, done.stdout) == (0, "notes.txt\n")  # only the metrics' files are removed
    made = tmp_path / "new" / "metrics"
    done = entrypoint("sh", "-c", 'stat -c %a "$PROMETHEUS_MULTIPROC_DIR"', PROMETHEUS_MULTIPROC_DIR=str(made))
    assert (done.returncode, done.stdout) == (0, "700\n")


def test_migrate_needs_the_owners_address():
    environment = {key: value for key, value in os.environ.items() if key != "MIGRATE_DATABASE_URL"}
    done = subprocess.run([ENTRYPOINT, "migrate"], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode != 0
    assert "the migrate job connects as the owner of the tables: set MIGRATE_DATABASE_URL" in done.stderr


@pytest.mark.postgres
def test_migrate_migrates_as_the_owner_grants_the_application_role_and_makes_the_keys(db, tmp_path):
    owner = connection.settings_dict
    role = application_credentials()
    name = f"portal_entrypoint_{uuid.uuid4().hex[:8]}"
    server = f"{owner.get('HOST') or '127.0.0.1'}:{owner.get('PORT') or 5432}"
    owner_auth = owner["USER"] + (f":{owner['PASSWORD']}" if owner.get("PASSWORD") else "")
    app_auth = role["USER"] + (f":{role['PASSWORD']}" if role["PASSWORD"] else "")
    admin = f"postgres://{owner_auth}@{server}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        done = entrypoint("migrate", MIGRATE_DATABASE_URL=f"postgres://{owner_auth}@{server}/{name}",
                          DATABASE_URL=f"postgres://{app_auth}@{server}/{name}", PORTAL_VAR_DIR=str(tmp_path))
        assert done.returncode == 0, done.stderr[-2000:]
        keys = tmp_path / "keys" / "audit-chain.keys"
        assert "on the audit log only INSERT, SELECT and sealing.\nChain keys: " + str(keys) in done.stdout
        assert keys.stat().st_mode & 0o777 == 0o600
        with psycopg.connect(f"postgres://{app_auth}@{server}/{name}", autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table audit_auditevent"):
                conn.execute("TRUNCATE audit_auditevent")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
