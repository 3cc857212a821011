"""The read replica, on a real PostgreSQL streaming replica this test starts (tests.postgres_servers):
the pages marked replica-readable read from it, a citizen's pages and every write stay on the
primary, /healthz shows its lag, and a replica further behind than REPLICA_MAX_LAG_SECONDS sends
every page back to the primary.

The test database's rows (made by the usual fixtures) are copied to the private primary with
pg_dump; the test's Django then talks to the pair ("default" the primary, "replica" the standby)
and the queries of each connection are captured."""

import re
import time
from contextlib import contextmanager
from itertools import count

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from approvals import workflow
from approvals.permit_flow import permit_render
from audit.models import Action, AuditEvent
from core import replica
from dashboards.stats import stats_rebuild
from permits.models import Permit
from tests.factories import UserFactory
from tests.postgres_servers import POSTGRES_BIN, SERVER_USER, copy_database, free_port, postgres_present, replicated_pair
from tests.services import require_tool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

require_tool(postgres_present(), f"the PostgreSQL server binaries are not in {POSTGRES_BIN} (POSTGRES_BIN)")

_databases = count(1)


@pytest.fixture(scope="module")
def pair():
    with replicated_pair() as started:
        yield started


@contextmanager
def _portal_on(pair):
    """The test database as it is now, copied to a new database on the private primary; Django's
    "default" connects to it there and "replica" to the same database on the standby."""
    name = f"portal_{next(_databases)}"
    copy_database(connections["default"].settings_dict, port=pair.primary_port, name=name)
    pair.wait_until_replayed()

    default = connections["default"].settings_dict
    kept = {key: default[key] for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD")}
    at = {"NAME": name, "HOST": "127.0.0.1", "USER": SERVER_USER, "PASSWORD": ""}
    connections["default"].close()
    default.update(at, PORT=str(pair.primary_port))
    # The replica's alias is made here, as a deployment's settings would make it from
    # REPLICA_DATABASE_URL; its connection is one the test case did not know of when it began
    # (which Django's test case allows).
    standby = {**default, **at, "PORT": str(pair.replica_port)}
    databases = settings.DATABASES
    settings.DATABASES = {**databases, "replica": standby}
    connections["replica"] = connections["default"].__class__(standby, "replica")
    replica.forget_state()
    try:
        yield
    finally:
        connections["replica"].close()
        del connections["replica"]
        settings.DATABASES = databases
        connections["default"].close()
        default.update(kept)
        replica.forget_state()


@pytest.fixture
def on_pair(pair):
    return lambda: _portal_on(pair)


@contextmanager
def queries():
    """The SQL each connection ran in the block, by alias."""
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as standby:
        ran = {}
        yield ran
    ran.update(default=[q["sql"] for q in primary.captured_queries],
               replica=[q["sql"] for q in standby.captured_queries])


def tables(statements) -> set[str]:
    return {name for sql in statements for name in re.findall(r'(?:FROM|INTO|UPDATE|JOIN) "(\w+)"', sql)}


@pytest.fixture
def issued_permit(submit, officers):
    """The permit of an application every department approved, rendered and signed."""
    application = submit()
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve")
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"
    return permit


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.gov", full_name="Zhou Min", role=Role.MANAGER)


def test_permit_verification_reads_from_the_replica_only(client, on_pair, issued_permit):
    with on_pair(), queries() as ran:
        response = client.get(reverse("permits:verify", args=[issued_permit.number]))
    assert response.status_code == 200
    assert ran["default"] == []  # an anonymous visitor: no session, nothing written
    assert ran["replica"][0] == replica.LAG_SQL  # the first request measures the lag
    assert "permits_permit" in tables(ran["replica"][1:])


def test_the_apis_permit_verification_reads_from_the_replica_only(client, on_pair, issued_permit):
    number, code = issued_permit.number, issued_permit.verify_code
    with on_pair(), queries() as ran:
        by_number = client.get(reverse("api:permit-verify", args=[number]))
        by_code = client.get(reverse("api:permit-verify-code", args=[number, code]))
    assert (by_number.status_code, by_number.json()) == (200, {"number": number, "valid": True})
    assert (by_code.status_code, by_code.json()["number"], by_code.json()["state"]) == (200, number, "valid")
    assert ran["default"] == []  # a public call: no token, no session, nothing written
    assert ran["replica"][0] == replica.LAG_SQL  # the first request measures the lag
    assert "permits_permit" in tables(ran["replica"][1:])


def test_the_dashboard_reads_from_the_replica_and_audits_on_the_primary(client, on_pair, manager, routed_once):
    with on_pair():
        client.force_login(manager)
        with queries() as ran:
            response = client.get(reverse("dashboards:dashboard"))
        assert response.status_code == 200
        assert AuditEvent.objects.filter(action=Action.DASHBOARD_VIEWED, actor=manager).count() == 1
    # The figures come from the replica. The primary reads the visitor's session and account, records
    # the visit (the check for a repeat and the insert, in one transaction), and once the view has
    # written, serves the rest of its reads: the header's count of the visitor's notifications.
    assert {"dashboards_daystat", "dashboards_backlogstat", "departments_department"} <= tables(ran["replica"])
    assert tables(ran["default"]) == {"django_session", "accounts_user", "otp_totp_totpdevice", "audit_auditevent",
                                      "approvals_notification"}


@pytest.fixture
def routed_once(submit, officers):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    stats_rebuild()
    return application


def test_a_citizens_pages_after_a_submit_stay_on_the_primary(client, on_pair, submit, citizen):
    with on_pair():
        client.force_login(citizen)
        with queries() as ran:
            application = submit()  # written to the primary, not yet on the standby when read
            response = client.get(reverse("approvals:detail", args=[application.pk]))
        assert response.status_code == 200
        assert application.reference in response.content.decode()
    assert ran["replica"] == []
    assert "approvals_application" in tables(ran["default"])


def test_a_read_after_a_write_in_a_replica_readable_block_goes_to_the_primary(on_pair, issued_permit):
    with on_pair(), replica.replica_reads() as alias, queries() as ran:
        Permit.objects.filter(pk=issued_permit.pk).update(number=issued_permit.number)
        assert Permit.objects.get(pk=issued_permit.pk).number == issued_permit.number
    assert alias == "replica"
    assert ran["replica"] == []
    assert len(ran["default"]) == 2


def test_health_shows_the_lag_and_a_replica_behind_sends_reads_to_the_primary(client, on_pair, pair, settings,
                                                                            issued_permit):
    with on_pair():
        caught_up = client.get("/healthz").json()["replica"]
        assert caught_up == {"status": "ok", "lag_seconds": 0.0, "max_lag_seconds": 5.0, "reads_from": "replica"}

        pair.sql(pair.replica_port, "SELECT pg_wal_replay_pause()")
        try:
            settings.REPLICA_MAX_LAG_SECONDS = 0.5
            UserFactory(email="written.while.paused@example.org")  # received by the standby, not replayed
            time.sleep(1.0)
            behind = client.get("/healthz").json()["replica"]
            replica.forget_state()
            with queries() as ran:
                response = client.get(reverse("permits:verify", args=[issued_permit.number]))
        finally:
            pair.sql(pair.replica_port, "SELECT pg_wal_replay_resume()")
    assert behind["status"] == "behind"
    assert behind["lag_seconds"] >= 1.0
    assert (behind["max_lag_seconds"], behind["reads_from"]) == (0.5, "primary")
    assert response.status_code == 200
    assert ran["replica"] == [replica.LAG_SQL]  # asked how far behind, then left alone
    assert "permits_permit" in tables(ran["default"])


def test_a_replica_that_does_not_answer_sends_reads_to_the_primary(client, on_pair, issued_permit):
    with on_pair():
        standby = connections["replica"]
        standby.close()
        standby.settings_dict["PORT"] = str(free_port())  # nothing listens there
        health = client.get("/healthz")
        replica.forget_state()
        with CaptureQueriesContext(connections["default"]) as primary:  # the replica's cannot even connect
            response = client.get(reverse("permits:verify", args=[issued_permit.number]))
        assert standby.connection is None  # the lag query failed to connect; nothing else tried
    assert health.status_code == 200  # the portal still answers, from the primary
    assert health.json()["replica"] == {"status": "unavailable", "lag_seconds": None, "max_lag_seconds": 5.0,
                                        "reads_from": "primary"}
    assert response.status_code == 200
    assert "permits_permit" in tables(q["sql"] for q in primary.captured_queries)
