"""After the applicant answers a correction, the review goes back to the officer who asked for it."""

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import Notification, NotificationKind, ReviewStatus
from departments.models import Membership

pytestmark = pytest.mark.django_db


def _ask_and_answer(submit, officers, citizen, *, asker_key="health"):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.get(department__code="health")
    asker = officers[asker_key]
    workflow.review_claim(review_id=review.pk, actor=asker)
    workflow.review_decide(review_id=review.pk, actor=asker, decision="correction", correction_fields=["seats"],
                           message="Count the seats again")
    return application, review, asker


def test_the_answered_review_goes_back_to_the_officer_who_asked(client, submit, officers, citizen):
    application, review, asker = _ask_and_answer(submit, officers, citizen)
    Notification.objects.all().delete()
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    review.refresh_from_db()
    assert (review.status, review.assignee_id, review.paused_on) == (ReviewStatus.IN_PROGRESS, asker.pk, None)
    assert review.due_date is not None  # the clock runs again
    assert list(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED).values_list("recipient_id", flat=True)) \
        == [asker.pk]

    client.force_login(asker)
    mine = client.get(reverse("departments:queue") + "?tab=mine").content.decode()
    pending = client.get(reverse("departments:queue") + "?tab=pending").content.decode()
    assert application.reference in mine
    assert application.reference not in pending


def test_a_supervisor_who_asked_gets_it_back_too(submit, officers, citizen):
    application, review, asker = _ask_and_answer(submit, officers, citizen, asker_key="health_supervisor")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == (ReviewStatus.IN_PROGRESS, asker.pk)


@pytest.mark.parametrize("gone", ["left the department", "deactivated"])
def test_when_the_asker_is_gone_it_goes_to_the_unassigned_pile(client, submit, officers, citizen, gone):
    application, review, asker = _ask_and_answer(submit, officers, citizen)
    if gone == "deactivated":
        asker.is_active = False
        asker.save(update_fields=["is_active"])
    else:
        Membership.objects.filter(user=asker).delete()
    Notification.objects.all().delete()
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == (ReviewStatus.PENDING, None)
    recipients = set(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED).values_list("recipient_id", flat=True))
    assert asker.pk not in recipients

    client.force_login(officers["health_supervisor"])
    pending = client.get(reverse("departments:queue") + "?tab=pending").content.decode()
    assert application.reference in pending
