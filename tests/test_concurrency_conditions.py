"""A correction that changes what applies, racing the departments' decisions, on real PostgreSQL:
the citizen lowers the seats (the fire review, which asked for the correction, is no longer
needed and is cancelled) while the two other departments of the last stage approve at the same
moment. Whatever the order, each application gets exactly one permit, once every review that
applies is approved."""

import pytest

from approvals import workflow
from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
from audit.models import Action, AuditEvent
from departments.models import Department
from permits.models import Permit
from tests.factories import FIELDS, VALID_ANSWERS, officer, restaurant_service
from tests.test_concurrency import race_rounds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPLICATIONS = 30
NO_DOCUMENT_FIELDS = [f for f in FIELDS if f[1] != "file"]
# Only fire sees the seats: lowering them reopens no approval, it only ends the fire review.
REVIEWS = [
    ("registration", 1, 5, ["business_name", "cuisine"]),
    ("health", 2, 5, ["business_name"]),
    ("tax", 2, 5, ["business_name"]),
    ("fire", 2, 5, ["seats", "site_address"]),
]


def test_a_correction_cancelling_a_review_races_the_last_approvals(citizen):
    service = restaurant_service(slug="race-conditions", fields=NO_DOCUMENT_FIELDS, reviews=REVIEWS,
                                 review_when={"fire": {"seats": {"gt": 50}}})
    people = {code: officer(Department.objects.get(code=code)) for code, *_rest in REVIEWS}
    applications = []
    for _ in range(APPLICATIONS):
        application = workflow.application_start(applicant=citizen, service=service,
                                                 answers={**VALID_ANSWERS, "seats": "80"})
        workflow.application_submit(application_id=application.pk, actor=citizen)
        applications.append(application)
    ids = {(app_id, code): pk for app_id, pk, code in Review.objects.filter(application__in=applications)
           .values_list("application_id", "pk", "department__code")}
    for application in applications:
        workflow.review_decide(review_id=ids[application.pk, "registration"], actor=people["registration"],
                               decision="approve")
        workflow.review_decide(review_id=ids[application.pk, "fire"], actor=people["fire"], decision="correction",
                               correction_fields=["seats"], message="Count the seats again.")

    def approve(application, code):
        return lambda: workflow.review_decide(review_id=ids[application.pk, code], actor=people[code],
                                              decision="approve")

    def correct(application):
        return lambda: workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                                     data={"seats": "20"})

    lanes = ["citizen", "health", "tax"]
    rounds = [{"citizen": correct(a), "health": approve(a, "health"), "tax": approve(a, "tax")} for a in applications]
    assert race_rounds(lanes, rounds) == []

    pks = [a.pk for a in applications]
    assert set(Application.objects.filter(pk__in=pks).values_list("status", flat=True)) == {ApplicationStatus.APPROVED}
    assert sorted(Permit.objects.values_list("application_id", flat=True)) == sorted(pks)
    assert set(Review.objects.filter(application__in=pks, department__code="fire").values_list("status", flat=True)) == {
        ReviewStatus.CANCELLED}
    assert AuditEvent.objects.filter(action=Action.REVIEW_CANCELLED).count() == APPLICATIONS
    assert AuditEvent.objects.filter(action=Action.PERMIT_ISSUED).count() == APPLICATIONS
