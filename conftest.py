"""Root pytest configuration: which real services this run has, and what it skips without them.

`make test` points DATABASE_URL at PostgreSQL and REDIS_URL at Redis. With STRICT=1 (CI) a
missing service ends the run at once; otherwise tests that need it are skipped and the summary
says so loudly."""

import os

import pytest

from tests.client import PortalClient
from tests.services import postgres_configured, redis_reachable, redis_url

# Fixtures shared across apps: the approval engine's (service, citizen, officers, submit), filings
# after approval (a service told to two bodies, their staff, an approved application), a real
# OpenID Connect provider run by node (tests/oidc_provider), and the database roles (the owner for
# the test process, the application role where it matters), and the reference register service
# (tests/register_service), a badly rated application being rectified, and an S3-compatible server
# (tests/s3_server).
pytest_plugins = ["tests.engine_fixtures", "tests.filing_fixtures", "tests.oidc_provider.fixtures",
                  "tests.database_roles", "tests.register_service.fixtures", "tests.bundle_fixtures",
                  "tests.complaint_fixtures", "tests.rectification_fixtures", "tests.fee_fixtures", "tests.s3_server",
                  "tests.appointment_fixtures"]

STRICT = os.environ.get("STRICT") == "1"


@pytest.fixture
def client():
    """pytest-django's client, whose force_login also completes a staff account's second factor
    (tests.client.PortalClient)."""
    return PortalClient()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: rate limits and the audit log's count of repeated
    refusals (audit.services.access_denied) live there, and row ids repeat between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's LocaleMiddleware activates its
    language for the thread and nothing switches it back, so a test reading strings outside a
    request would otherwise see the language of the test before it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def admin_client(db, admin_user):
    client = PortalClient()
    client.force_login(admin_user)
    return client

_skipped_for = {}


def pytest_configure(config):
    missing = []
    if not postgres_configured():
        missing.append("PostgreSQL (DATABASE_URL is not postgres://)")
    if not redis_reachable():
        missing.append(f"Redis ({redis_url()} does not answer)")
    config._portal_missing = missing
    if STRICT and missing:
        pytest.exit("STRICT=1 and a required service is missing: " + "; ".join(missing), returncode=3)


def pytest_collection_modifyitems(config, items):
    # The load test's scenario runs when asked for (-m load: make bench-load), not in the suite.
    if "load" not in (config.option.markexpr or ""):
        left_out = [item for item in items if item.get_closest_marker("load")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker("load")]
    postgres, redis = postgres_configured(), redis_reachable()
    for item in items:
        if not postgres and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL"))
            _skipped_for.setdefault("PostgreSQL", []).append(item.nodeid)
        elif not (postgres and redis) and item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL and Redis for a real Celery worker"))
            _skipped_for.setdefault("PostgreSQL + Redis", []).append(item.nodeid)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"portal: database={engine} redis={'yes' if redis_reachable() else 'NO'} strict={STRICT}"]


def pytest_terminal_summary(terminalreporter):
    for service, nodeids in _skipped_for.items():
        terminalreporter.write_sep("!", f"SKIPPED {len(nodeids)} tests: {service} not available", red=True, bold=True)
