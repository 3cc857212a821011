"""The portal behind PgBouncer in transaction pooling mode (docs/scaling.md): PgBouncer, started by
the test on a free port in front of the test database with two server connections, carries a
submission through its approval to the issued permit and the pages that show it, and two officers'
final approvals at the same moment, with the settings portal.settings.base.for_transaction_pooling
gives (DATABASE_TRANSACTION_POOLING=1)."""

import psycopg
import pytest
from django.db import connections
from django.urls import reverse

from approvals import workflow
from approvals.models import Application, ApplicationStatus, ReviewStatus
from approvals.permit_flow import permit_render
from permits.models import Permit
from portal.settings.base import for_transaction_pooling
from tests.concurrent import run_together
from tests.postgres_servers import PGBOUNCER, pgbouncer, pgbouncer_present
from tests.services import require_tool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
POOL_SIZE = 2


@pytest.fixture
def through_pgbouncer(transactional_db):
    """Every connection the test makes (its own and its threads') goes through PgBouncer; yields
    a function reading PgBouncer's figures for the test database (SHOW POOLS and SHOW STATS)."""
    require_tool(pgbouncer_present(), f"PgBouncer is not installed ({PGBOUNCER}): apt-get install pgbouncer")
    default = connections["default"].settings_dict
    kept = dict(default)
    with pgbouncer(host=default["HOST"] or "127.0.0.1", port=default["PORT"] or 5432, dbname=default["NAME"],
                   user=default["USER"], pool_size=POOL_SIZE) as port:
        connections["default"].close()
        default.update(for_transaction_pooling(default), HOST="127.0.0.1", PORT=str(port))

        def figures() -> dict:
            with psycopg.connect(host="127.0.0.1", port=port, user=default["USER"], dbname="pgbouncer",
                                 autocommit=True, prepare_threshold=None) as admin:
                pools = _rows(admin.execute("SHOW POOLS"))
                stats = _rows(admin.execute("SHOW STATS"))
            pool = next(row for row in pools if row["database"] == default["NAME"])
            stat = next(row for row in stats if row["database"] == default["NAME"])
            return {"pool_mode": pool["pool_mode"], "server_connections": pool["sv_active"] + pool["sv_idle"]
                    + pool["sv_used"] + pool["sv_tested"] + pool["sv_login"], "transactions": stat["total_xact_count"]}

        try:
            yield figures
        finally:
            connections["default"].close()
            default.clear()
            default.update(kept)


def _rows(cursor) -> list[dict]:
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _approve_stage(application, stage, officers):
    for review in application.reviews.filter(stage=stage).select_related("department"):
        workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve")


def test_submit_approve_and_issue_through_pgbouncer(through_pgbouncer, submit, officers, citizen, client):
    application = submit()
    connection = connections["default"]
    assert connection.settings_dict["PORT"] != "5432"
    assert connection.connection.prepare_threshold is None  # nothing prepared on a server connection
    with connection.cursor() as cursor:
        # The time zone Django sets on connecting is one PgBouncer carries to every server
        # connection it lends this client (one of the parameters it tracks).
        cursor.execute("SHOW TIME ZONE")
        assert cursor.fetchone() == ("UTC",)
    workflow.application_route(application_ids=[application.pk])
    _approve_stage(application, 1, officers)
    _approve_stage(application, 2, officers)
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ISSUED
    client.force_login(citizen)
    page = client.get(reverse("approvals:detail", args=[application.pk]))
    assert page.status_code == 200
    assert permit.number in page.content.decode()
    verified = client.get(reverse("permits:verify", args=[permit.number]))
    assert verified.status_code == 200

    shown = through_pgbouncer()
    assert shown["pool_mode"] == "transaction"
    assert shown["server_connections"] <= POOL_SIZE
    assert shown["transactions"] > 20  # every step went through it


def test_two_decisions_at_once_through_pgbouncer_open_the_next_stage_once(through_pgbouncer, submit, officers):
    """The last two stage-1 approvals at the same moment, each from its own connection through
    PgBouncer: the stage closes once, the next one opens once, and its approval issues one permit."""
    application = submit()
    first, *last_two = application.reviews.filter(stage=1).select_related("department").order_by("pk")
    assert len(last_two) == 2
    workflow.review_decide(review_id=first.pk, actor=officers[first.department.code], decision="approve")

    def approve(review):
        return lambda: workflow.review_decide(review_id=review.pk, actor=officers[review.department.code],
                                              decision="approve")

    run_together(*(approve(review) for review in last_two))
    assert sorted(application.reviews.values_list("stage", "status")) == [
        (1, ReviewStatus.APPROVED), (1, ReviewStatus.APPROVED), (1, ReviewStatus.APPROVED), (2, ReviewStatus.PENDING)]
    _approve_stage(application, 2, officers)
    application = Application.objects.get(pk=application.pk)
    assert application.status == ApplicationStatus.APPROVED
    assert Permit.objects.filter(application=application).count() == 1
    assert through_pgbouncer()["server_connections"] <= POOL_SIZE
