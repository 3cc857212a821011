"""The test run's two database roles, as in production (registered in the root conftest).

`make test` gives MIGRATE_DATABASE_URL (the owner: a superuser here) and DATABASE_URL (the
application role). The test process connects as the owner: it creates the test database, empties
it between tests and, in the tamper tests, edits it as someone with the database's keys would. The
application role is granted its privileges on the test database once per run
(``application_role``); the real Celery workers connect as it, and so do the tests that take
``as_application_role``."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

# When DATABASE_URL names the owner itself (a bare `pytest`), this role stands in for the application's.
FALLBACK_ROLE = "portal_app"


def pytest_configure(config):
    import os

    from django.db.backends.postgresql.operations import DatabaseOperations

    # The owner's address is the test process's alone: once its settings have read it, it leaves the
    # environment, so what the tests start (manage.py, workers, settings profiles) connects as
    # DATABASE_URL says, as in production.
    if settings.DATABASES:
        os.environ.pop("MIGRATE_DATABASE_URL", None)

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        # The audit table refuses TRUNCATE (audit 0009). Between tests the database is emptied as a
        # superuser would do it: with triggers off, for the flush's own transaction only.
        return original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush


def application_credentials() -> dict:
    """USER and PASSWORD of the application role on the test database."""
    application = settings.APPLICATION_DATABASE
    if application.get("USER") and application["USER"] != connection.settings_dict.get("USER"):
        return {"USER": application["USER"], "PASSWORD": application.get("PASSWORD") or ""}
    return {"USER": FALLBACK_ROLE, "PASSWORD": ""}


@pytest.fixture(scope="session")
def application_role(django_db_setup, django_db_blocker) -> dict | None:
    """The application role, granted its privileges on the test database (``manage.py db_roles``);
    None on SQLite."""
    if connection.vendor != "postgresql":
        return None
    credentials = application_credentials()
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "APPLICATION_DATABASE", {**settings.APPLICATION_DATABASE, **credentials})
        call_command("db_roles", stdout=StringIO())
    return credentials


@pytest.fixture
def as_application_role(application_role, transactional_db):
    """The test's default connection is the application role's (committed data, as a worker sees it)."""
    if application_role is None:
        pytest.skip("needs PostgreSQL")
    database = connection.settings_dict
    kept = {key: database.get(key) for key in ("USER", "PASSWORD")}
    connection.close()
    database.update(application_role)
    yield application_role
    connection.close()
    database.update(kept)
