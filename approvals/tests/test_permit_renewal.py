"""Renewing a permit (approvals.permit_life): the draft of kind renewal and what it carries, who
reviews it, the renewed permit's number and dates, the old one superseded from the renewed one's
start, refusals, the grace after the end, one renewal at a time, and reminders stopping."""

from datetime import date, timedelta

import pytest

from approvals import workflow
from approvals.models import Application, ApplicationKind, ApplicationStatus, NotificationKind, ReviewStatus
from approvals.permit_flow import permit_revoke
from approvals.permit_life import permit_cancel, permit_reminders_send, permit_renew_start
from approvals.tests.test_permit_life import approve_all, at, produced
from audit.models import Action, AuditEvent
from catalogue.models import Requirement
from catalogue.schema import service_publish
from core.errors import InvalidTransition
from permits.models import Permit, PermitState, PermitStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

END = date(2027, 6, 30)


def renewing(service, *, reviewers=("health",), asks=("seats",), grace=None):
    """The service with its renewal settings, published."""
    service.renewal_asks = list(asks)
    if grace is not None:
        service.renew_grace_days = grace
    service.save()
    Requirement.objects.filter(service=service).update(reviews_renewals=False)
    Requirement.objects.filter(service=service, department__code__in=reviewers).update(reviews_renewals=True)
    service_publish(service=service)
    service.refresh_from_db()
    return service


@pytest.fixture
def permit(restaurant, submit, officers):
    renewing(restaurant)
    return produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)


def renewed(permit, citizen, officers, *, day: date, answers=None) -> Permit:
    """Renew ``permit`` on ``day``: start, answer, submit, the reviewers approve."""
    with at(day):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
        if answers:
            workflow.application_save_answers(application_id=renewal.pk, actor=citizen, data=answers)
        workflow.application_submit(application_id=renewal.pk, actor=citizen)
        return approve_all(renewal, officers)


def test_a_renewal_is_a_draft_of_the_same_service_carrying_the_answers(permit, citizen):
    with at(END - timedelta(days=30)):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen, ip="203.0.113.9")
    assert (renewal.kind, renewal.renews_id, renewal.status) == (ApplicationKind.RENEWAL, permit.pk, ApplicationStatus.DRAFT)
    assert renewal.service_version_id == permit.application.service.current_version_id
    assert renewal.answers == {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": 40,
                               "site_address": "1 Harbour Road"}
    assert renewal.schema.renewal_asks == ["seats"]
    started = AuditEvent.objects.get(action=Action.PERMIT_RENEWAL_STARTED)
    assert (started.object_id, started.details["number"], started.details["renewal"], started.ip) == (
        str(permit.pk), permit.number, renewal.pk, "203.0.113.9")
    created = AuditEvent.objects.filter(action=Action.APPLICATION_CREATED, application_id=renewal.pk).get()
    assert created.details["renews"] == permit.number


def test_only_the_reviewers_of_renewals_review_and_the_renewed_permit_continues_the_series(permit, citizen, officers):
    with at(END - timedelta(days=30)):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
        workflow.application_save_answers(application_id=renewal.pk, actor=citizen, data={"seats": "60"})
        workflow.application_submit(application_id=renewal.pk, actor=citizen)
    assert list(renewal.reviews.values_list("department__code", "status")) == [("health", ReviewStatus.PENDING)]
    with at(END - timedelta(days=29)):
        new = approve_all(renewal, officers)
    assert new.number == f"{permit.number}-2"
    assert (new.valid_from, new.valid_until) == (END + timedelta(days=1), END + timedelta(days=1 + 1095))
    assert new.replaces_id == permit.pk
    renewal.refresh_from_db()
    assert renewal.answers["seats"] == 60 and renewal.status == ApplicationStatus.APPROVED
    permit.refresh_from_db()
    assert (permit.status, permit.superseded_from) == (PermitStatus.VALID, END + timedelta(days=1))
    assert permit.state(END) == PermitState.VALID
    assert permit.state(END + timedelta(days=1)) == PermitState.SUPERSEDED
    event = AuditEvent.objects.get(action=Action.PERMIT_RENEWED)
    assert (event.object_id, event.details["renewed_by"], event.details["superseded_from"]) == (
        str(permit.pk), new.number, (END + timedelta(days=1)).isoformat())


def test_a_renewal_of_a_renewal_takes_the_next_number_of_the_series(permit, citizen, officers):
    second = produced(renewed(permit, citizen, officers, day=END - timedelta(days=10)))
    third = renewed(second, citizen, officers, day=second.valid_until - timedelta(days=10))
    assert (second.number, third.number) == (f"{permit.number}-2", f"{permit.number}-3")
    assert third.valid_from == second.valid_until + timedelta(days=1)


def test_a_permit_renewed_after_its_end_within_the_grace_starts_the_day_it_is_approved(permit, citizen, officers):
    day = END + timedelta(days=90)  # the last day of the default grace
    new = renewed(permit, citizen, officers, day=day)
    assert (new.valid_from, new.valid_until) == (day, day + timedelta(days=1095))
    permit.refresh_from_db()
    assert permit.superseded_from == day


def test_beyond_the_grace_a_permit_is_not_renewed(permit, citizen):
    with at(END + timedelta(days=91)), pytest.raises(InvalidTransition) as refused:
        permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert refused.value.message == ("This permit ended on 30 Jun 2027 and could be renewed until 28 Sep 2027. "
                                     "Apply for a new permit instead.")
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()


def test_the_grace_is_the_services(restaurant, permit, citizen):
    renewing(restaurant, grace=0)
    with at(END + timedelta(days=1)), pytest.raises(InvalidTransition):
        permit_renew_start(permit_id=permit.pk, actor=citizen)


def test_without_reviewers_of_renewals_a_renewal_is_approved_at_submission(restaurant, permit, citizen):
    renewing(restaurant, reviewers=())
    with at(END - timedelta(days=5)):
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
        workflow.application_submit(application_id=renewal.pk, actor=citizen)
    renewal.refresh_from_db()
    assert (renewal.status, renewal.reviews.count()) == (ApplicationStatus.APPROVED, 0)
    assert Permit.objects.get(application=renewal).number == f"{permit.number}-2"


def test_another_persons_permit_does_not_exist_for_them(permit):
    stranger = UserFactory(email="li.lei@example.org")
    with at(END - timedelta(days=30)), pytest.raises(Permit.DoesNotExist):
        permit_renew_start(permit_id=permit.pk, actor=stranger)
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()


def test_revoked_cancelled_and_renewed_permits_are_refused(permit, citizen, officers):
    with at(END - timedelta(days=40)):
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing", cancelled_from=END - timedelta(days=20))
        with pytest.raises(InvalidTransition) as refused:
            permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert refused.value.message == "A permit its holder cancelled cannot be renewed. Apply for a new permit instead."


def test_a_revoked_permit_is_refused(permit, citizen, officers):
    permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Unsafe kitchen")
    with at(END - timedelta(days=40)), pytest.raises(InvalidTransition) as refused:
        permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert refused.value.message == "Only a valid permit can be renewed; this one is revoked."


def test_a_renewed_permit_is_not_renewed_twice(permit, citizen, officers):
    renewed(permit, citizen, officers, day=END - timedelta(days=30))
    with at(END - timedelta(days=20)), pytest.raises(InvalidTransition) as refused:
        permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert refused.value.message == "This permit is already renewed."


def test_a_second_start_answers_the_renewal_in_progress_and_a_withdrawn_one_may_start_again(permit, citizen):
    with at(END - timedelta(days=30)):
        first = permit_renew_start(permit_id=permit.pk, actor=citizen)
        assert permit_renew_start(permit_id=permit.pk, actor=citizen).pk == first.pk
        workflow.application_submit(application_id=first.pk, actor=citizen)
        assert permit_renew_start(permit_id=permit.pk, actor=citizen).pk == first.pk
        workflow.application_withdraw(application_id=first.pk, actor=citizen)
        again = permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert again.pk != first.pk
    assert Application.objects.filter(renews=permit).count() == 2


def test_reminders_stop_for_a_permit_being_renewed(permit, citizen):
    with at(END - timedelta(days=95)):
        permit_renew_start(permit_id=permit.pk, actor=citizen)
    with at(END - timedelta(days=90)):
        assert permit_reminders_send() == 0
    assert not permit.reminders.exists()
    assert not citizen.notifications.filter(kind=NotificationKind.PERMIT_EXPIRING).exists()
