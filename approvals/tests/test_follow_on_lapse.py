"""A renewal or an amendment whose permit can no longer be followed lapses (approvals.follow_ons,
approvals.follow_on_ends): a revocation closes those in progress at once; an amendment whose permit
ends before it is decided is closed by the nightly beat, refused at submission, and issues nothing
if its last approval comes on the day after; the holder is told why, and nothing else is touched."""

from datetime import timedelta

import pytest
from django.core import mail

from approvals import workflow
from approvals.follow_on_ends import follow_ons_lapse
from approvals.models import Application, ApplicationStatus, Notification, NotificationKind, ReviewStatus
from approvals.notifications import notification_send_email
from approvals.permit_flow import permit_revoke
from approvals.permit_life import permit_amend_start, permit_renew_start
from approvals.tests.test_permit_amendment import DAY, amending, amendment_submitted
from approvals.tests.test_permit_life import approve_all, at, produced
from approvals.tests.test_permit_renewal import END, renewing
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition
from permits.models import Permit, PermitState

pytestmark = pytest.mark.django_db(transaction=False)

AFTER_END = END + timedelta(days=1)


@pytest.fixture
def permit(restaurant, submit, officers):
    amending(restaurant)
    renewing(restaurant)
    return produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)


def mail_to_holder(application: Application) -> str:
    """The body of the mail the closing notification sends."""
    notice = Notification.objects.get(application=application, kind=NotificationKind.WITHDRAWN)
    assert notification_send_email(notification_id=notice.pk) == "sent"
    return mail.outbox[-1].body


def closed_because(application: Application) -> tuple:
    application.refresh_from_db()
    event = AuditEvent.objects.get(action=Action.APPLICATION_WITHDRAWN, application_id=application.pk)
    notice = Notification.objects.get(application=application, kind=NotificationKind.WITHDRAWN)
    return (application.status, event.actor_id, event.details["because"], event.details["permit_number"],
            notice.params["because"])


def test_revoking_a_permit_closes_its_amendment_under_review(permit, citizen, officers):
    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"})
    assert list(amendment.reviews.values_list("status", flat=True)) == [ReviewStatus.PENDING]
    with at(DAY + timedelta(days=1)):
        permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    assert closed_because(amendment) == (ApplicationStatus.WITHDRAWN, None, "permit_revoked", permit.number,
                                         "permit_revoked")
    assert list(amendment.reviews.values_list("status", flat=True)) == [ReviewStatus.CANCELLED]
    assert Permit.objects.filter(application=amendment).count() == 0
    assert (f"Application {amendment.reference} was closed without a decision: permit {permit.number}, which it "
            "renews or changes, was revoked.") in mail_to_holder(amendment)


def test_revoking_a_permit_closes_a_renewal_draft_and_its_holder_cannot_submit_one_again(permit, citizen, officers):
    with at(DAY):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
        permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    assert closed_because(renewal) == (ApplicationStatus.WITHDRAWN, None, "permit_revoked", permit.number,
                                       "permit_revoked")
    assert Application.objects.exclude(status=ApplicationStatus.WITHDRAWN).filter(renews=permit).count() == 0


def test_a_draft_amendment_of_a_permit_that_ended_is_refused_at_submission_with_nothing_submitted(permit, citizen):
    with at(END - timedelta(days=3)):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen)
        workflow.application_save_answers(application_id=amendment.pk, actor=citizen,
                                          data={"site_address": "8 Garden Street"})
    with at(AFTER_END), pytest.raises(InvalidTransition) as refused:
        workflow.application_submit(application_id=amendment.pk, actor=citizen)
    assert str(refused.value.message) == (
        f"Permit {permit.number} has ended: its details can no longer be changed. Withdraw this application and "
        "renew the permit instead.")
    amendment.refresh_from_db()
    assert (amendment.status, amendment.submitted_at, amendment.reviews.count()) == (ApplicationStatus.DRAFT, None, 0)


def test_an_amendment_approved_the_day_after_its_permit_ended_issues_nothing(permit, citizen, officers):
    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"}, day=END - timedelta(days=2))
    with at(AFTER_END):
        review = amendment.reviews.get()
        workflow.review_decide(review_id=review.pk, actor=officers["fire"], decision="approve")
    assert closed_because(amendment) == (ApplicationStatus.WITHDRAWN, None, "permit_ended", permit.number,
                                         "permit_ended")
    assert amendment.reviews.get().status == ReviewStatus.APPROVED  # the department's decision stands
    assert Permit.objects.count() == 1
    permit.refresh_from_db()
    assert (permit.superseded_from, permit.state(AFTER_END)) == (None, PermitState.EXPIRED)


def test_the_nightly_beat_closes_amendments_of_ended_permits_once_and_leaves_renewals(permit, citizen, officers):
    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"}, day=END - timedelta(days=2))
    with at(END, hour=0, minute=20):
        assert follow_ons_lapse() == 0  # the permit is valid all of its last day
    with at(AFTER_END, hour=0, minute=20):
        assert follow_ons_lapse() == 1
        assert follow_ons_lapse() == 0
    assert closed_because(amendment) == (ApplicationStatus.WITHDRAWN, None, "permit_ended", permit.number,
                                         "permit_ended")
    assert (f"Application {amendment.reference} was closed without a decision: permit {permit.number}, whose "
            "details it changes, ended first. Apply to renew the permit instead.") in mail_to_holder(amendment)
    # Renewing an ended permit is what the grace period is for: the beat leaves a renewal alone.
    with at(AFTER_END):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
    with at(AFTER_END + timedelta(days=1), hour=0, minute=20):
        assert follow_ons_lapse() == 0
    renewal.refresh_from_db()
    assert renewal.status == ApplicationStatus.DRAFT
