"""Filings after approval on real PostgreSQL: the last departments approving at the same moment
tell each body exactly once, and two acknowledgements at once record one."""

import pytest

from approvals import workflow
from approvals.filings import AlreadyAcknowledged, filing_acknowledge
from approvals.models import Application, ApplicationStatus, Filing, Notification, NotificationKind
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.concurrent import run_together
from tests.factories import FIELDS, VALID_ANSWERS, officer, restaurant_service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FINAL = ["health", "fire", "tax"]


def test_racing_final_approvals_tell_each_body_exactly_once(citizen):
    service = restaurant_service(
        slug="race-told", fields=[f for f in FIELDS if f[1] != "file"],
        reviews=[("registration", 1, 5, list(VALID_ANSWERS)), *[(code, 2, 5, list(VALID_ANSWERS)) for code in FINAL]],
        filings=[("subdistrict", ["business_name"], ["name"]), ("statistics", ["cuisine"], [])])
    people = {code: officer(Department.objects.get(code=code)) for code in ["registration", *FINAL, "subdistrict",
                                                                           "statistics"]}
    applications = []
    for _ in range(30):
        application = workflow.application_start(applicant=citizen, service=service, answers=VALID_ANSWERS)
        workflow.application_submit(application_id=application.pk, actor=citizen)
        workflow.review_decide(review_id=application.reviews.get(stage=1).pk, actor=people["registration"],
                               decision="approve")
        applications.append(application)

    for application in applications:
        reviews = dict(application.reviews.filter(stage=2).values_list("department__code", "pk"))
        run_together(*[lambda review=reviews[code], who=people[code]: workflow.review_decide(
            review_id=review, actor=who, decision="approve") for code in FINAL])

    ids = [a.pk for a in applications]
    assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {ApplicationStatus.APPROVED}
    assert sorted(Filing.objects.values_list("application_id", "department__code")) == sorted(
        (pk, code) for pk in ids for code in ("statistics", "subdistrict"))
    assert AuditEvent.objects.filter(action=Action.FILING_CREATED).count() == 60
    assert Notification.objects.filter(kind=NotificationKind.FILING_RECEIVED).count() == 60


def test_two_acknowledgements_at_once_record_one(approved, told_staff):
    filing = Filing.objects.get(application=approved, department__code="subdistrict")

    def acknowledge(who):
        try:
            return filing_acknowledge(filing_id=filing.pk, actor=told_staff[who]).acknowledged_by
        except AlreadyAcknowledged:
            return "already"

    results = run_together(lambda: acknowledge("subdistrict"), lambda: acknowledge("subdistrict_supervisor"))

    filing.refresh_from_db()
    assert sorted(map(str, results)) == sorted([str(filing.acknowledged_by), "already"])
    assert AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).count() == 1
