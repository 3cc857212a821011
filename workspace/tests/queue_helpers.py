"""Review rows written directly, many at once, for queue and assignment tests."""

from itertools import count

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
from departments.models import Department
from tests.factories import UserFactory

_numbers = count(1)


def make_review(service, department_code: str, *, status=ReviewStatus.PENDING, due=None, applicant=None,
                stage: int = 1, assignee=None, decided_at=None, yellow=False, red=False) -> Review:
    """One submitted application of ``service`` with one review for the department."""
    number = next(_numbers)
    applicant = applicant or UserFactory(full_name=f"Applicant {number}")
    application = Application.objects.create(
        reference=f"A-2026-{900000 + number:06d}", applicant=applicant,
        service=service, service_version_id=service.current_version_id, status=ApplicationStatus.IN_REVIEW,
        submitted_at=timezone.now(), current_stage=stage,
    )
    now = timezone.now()
    return Review.objects.create(
        application=application, service=service, department=Department.objects.get(code=department_code), stage=stage,
        applicant_name=applicant.full_name,
        sla_days=5,
        status=status, assignee=assignee, due_date=due, pending_since=now, routed_at=now,
        decided_at=decided_at, yellow_at=now if yellow or red else None, red_at=now if red else None,
        reason="Not allowed" if status == ReviewStatus.REJECTED else "",
    )


def count_queries(client, url):
    """The queries of a second GET of ``url`` (the first request of a session also writes it)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return queries


class RawEditor:
    """Stands in for a migration's schema editor where a data migration only runs SQL."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
