"""Two beats consuming the audit chain at the same moment (threads with their own connections on
real PostgreSQL): the summaries end exact, each event is consumed once, nothing is counted twice."""

import pytest

from approvals import workflow
from audit.chain import audit_seal
from dashboards.models import DayStat, StatsCursor
from dashboards.stats import stats_consume, stats_rebuild
from tests.concurrent import run_together
from tests.engine_fixtures import submitted_application

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_beats_at_once_count_every_change_once(restaurant, citizen, officers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    stats_rebuild()
    applications = [submitted_application(restaurant, citizen) for _ in range(4)]
    for application in applications:
        workflow.application_route(application_ids=[application.pk])
        review = application.reviews.get(department__code="tax")
        workflow.review_decide(review_id=review.pk, actor=officers["tax"], decision="approve")
    audit_seal()
    consumed = run_together(lambda: stats_consume(batch=7), lambda: stats_consume(batch=7))
    last_seq = StatsCursor.objects.get().seq
    assert sum(consumed) == last_seq  # every sealed event read once, by one beat or the other
    assert stats_rebuild(dry_run=True).total == 0
    all_departments = DayStat.objects.filter(department_id=0)
    assert sum(all_departments.values_list("submitted", flat=True)) == 4
    assert sum(DayStat.objects.values_list("approved", flat=True)) == 4
