"""Rectifying a bad rating: one case per department that decided, opened with the rating; a named
owner, a deadline in working days, one reminder and one escalation, an account that is required,
and the applicant's second rating, once."""

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, transaction

from accounts.models import Role
from approvals import ratings, rectifications
from approvals.models import (
    Notification,
    NotificationKind,
    Rating,
    Rectification,
    RectificationStatus,
)
from approvals.notifications import build_email
from approvals.rectification_selectors import rectifications_by_month
from audit.models import Action, AuditEvent
from catalogue.models import Service
from catalogue.schema import service_publish
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from departments.models import Department
from tests.factories import UserFactory, officer
from tests.rectification_fixtures import ACCOUNT, RATED_ON, case_of, decide

pytestmark = pytest.mark.django_db

FRIDAY = RATED_ON


@pytest.mark.parametrize("score", [1, 2])
def test_a_bad_rating_opens_one_case_per_department_that_decided(rejected, citizen, officers, score):
    with time_machine.travel(FRIDAY, tick=False):
        rating = ratings.rating_give(application_id=rejected.pk, actor=citizen, score=score)
    cases = Rectification.objects.select_related("department").order_by("department__code")
    assert [(c.department.code, c.owner_id, c.status, c.due_date, c.remind_on, c.rating_id) for c in cases] == [
        ("health", officers["health_supervisor"].pk, "open", date(2026, 12, 11), date(2026, 12, 9), rating.pk),
        ("registration", officers["registration_supervisor"].pk, "open", date(2026, 12, 11), date(2026, 12, 9),
         rating.pk),
    ]
    told = Notification.objects.filter(kind=NotificationKind.RECTIFICATION_ASSIGNED).order_by("recipient_id")
    assert sorted((n.recipient_id, n.params["due_date"], n.params["score"]) for n in told) == sorted([
        (officers["health_supervisor"].pk, "2026-12-11", score),
        (officers["registration_supervisor"].pk, "2026-12-11", score)])
    events = AuditEvent.objects.filter(action=Action.RECTIFICATION_OPENED).order_by("department_code")
    assert [(e.department_code, e.subject_id, e.application_id, e.details) for e in events] == [
        ("health", citizen.pk, rejected.pk, {"owner": officers["health_supervisor"].pk, "due_date": "2026-12-11",
                                             "score": score}),
        ("registration", citizen.pk, rejected.pk, {"owner": officers["registration_supervisor"].pk,
                                                   "due_date": "2026-12-11", "score": score}),
    ]


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_rating_of_three_or_more_opens_none(rejected, citizen, score):
    ratings.rating_give(application_id=rejected.pk, actor=citizen, score=score)
    assert not Rectification.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.RECTIFICATION_OPENED).exists()


def test_the_deadline_is_the_services_rectify_days_in_working_days(restaurant, submit, citizen, officers):
    Service.objects.filter(pk=restaurant.pk).update(rectify_days=3)
    service_publish(service=Service.objects.get(pk=restaurant.pk))
    restaurant.refresh_from_db()  # the one submit() applies to, now at its new version
    application = submit()
    assert application.schema.rectify_days == 3
    decide(application, officers, "health", "reject", reason="No ventilation")
    with time_machine.travel(FRIDAY, tick=False):
        ratings.rating_give(application_id=application.pk, actor=citizen, score=2)
    case = Rectification.objects.get()
    assert (case.department.code, case.due_date, case.remind_on) == ("health", date(2026, 12, 9), date(2026, 12, 8))


def test_the_owner_is_the_longest_standing_supervisor_else_an_officer(rejected, citizen, officers):
    later = officer(Department.objects.get(code="health"), role="supervisor", email="second.supervisor@example.gov")
    assert later.pk > officers["health_supervisor"].pk
    officers["registration_supervisor"].role = Role.OFFICER  # a membership left behind when the role changed
    officers["registration_supervisor"].save(update_fields=["role"])
    ratings.rating_give(application_id=rejected.pk, actor=citizen, score=1)
    assert case_of(rejected, "health").owner_id == officers["health_supervisor"].pk
    # No one acts as supervisor there: the officer of longest standing owns it.
    assert case_of(rejected, "registration").owner_id == officers["registration"].pk


def test_a_department_without_staff_has_no_owner_yet(db):
    lonely = Department.objects.create(code="lonely", name={"en": "Lonely", "zh-hans": "孤"})
    assert rectifications.owners_of([lonely.pk]) == {lonely.pk: None}


def test_reminder_and_escalation_are_sent_once_with_two_scans(rated, officers, citizen):
    manager = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    assert rectifications.rectification_scan(today=date(2026, 12, 8)) == {
        "rectification_reminders": 0, "rectification_escalations": 0}
    for _scan in range(2):
        sent = rectifications.rectification_scan(today=date(2026, 12, 9))
        assert sent == ({"rectification_reminders": 2, "rectification_escalations": 0} if _scan == 0 else
                        {"rectification_reminders": 0, "rectification_escalations": 0})
    reminders = Notification.objects.filter(kind=NotificationKind.RECTIFICATION_DUE)
    assert sorted(n.recipient_id for n in reminders) == sorted(
        [officers["health_supervisor"].pk, officers["registration_supervisor"].pk])
    rectifications.rectification_close(rectification_id=case_of(rated, "registration").pk,
                                       actor=officers["registration_supervisor"], account=ACCOUNT)
    for _scan in range(2):
        sent = rectifications.rectification_scan(today=date(2026, 12, 14))
        assert sent == ({"rectification_reminders": 0, "rectification_escalations": 1} if _scan == 0 else
                        {"rectification_reminders": 0, "rectification_escalations": 0})
    escalated = Notification.objects.filter(kind=NotificationKind.RECTIFICATION_OVERDUE)
    assert sorted(n.recipient_id for n in escalated) == sorted([officers["health_supervisor"].pk, manager.pk])
    email = build_email(escalated.get(recipient=manager))
    assert email.subject == f"[{rated.reference}] Rectification overdue"
    assert f"The rectification of the bad rating of application {rated.reference} was due on 2026-12-11" in email.body
    assert f"/officer/rectifications/{case_of(rated, 'health').pk}/" in email.body
    event = AuditEvent.objects.get(action=Action.RECTIFICATION_ESCALATED)
    assert (event.department_code, event.object_id, event.details) == (
        "health", str(case_of(rated, "health").pk), {"due_date": "2026-12-11"})


def test_an_overdue_case_is_escalated_without_a_late_reminder(rated):
    assert rectifications.rectification_scan(today=date(2026, 12, 12)) == {
        "rectification_reminders": 0, "rectification_escalations": 2}
    assert Rectification.objects.filter(reminded_at__isnull=True, escalated_at__isnull=False).count() == 2


def test_closing_writes_the_account_and_asks_the_applicant_again(rated, officers, citizen):
    case = case_of(rated, "health")
    with time_machine.travel("2026-12-10 15:00 +0800", tick=False):
        closed = rectifications.rectification_close(rectification_id=case.pk, actor=officers["health_supervisor"],
                                                    account=f"  {ACCOUNT}  ", ip="198.51.100.7")
    closed.refresh_from_db()
    assert (closed.status, closed.account, closed.closed_by_id, closed.closed_in_time()) == (
        "closed", ACCOUNT, officers["health_supervisor"].pk, True)
    asked = Notification.objects.get(kind=NotificationKind.RECTIFICATION_CLOSED)
    assert (asked.recipient_id, asked.application_id) == (citizen.pk, rated.pk)
    email = build_email(asked)
    assert ("Health Bureau wrote what it did about your rating of application "
            f"{rated.reference}. Please read it and rate the service again.") in email.body
    assert f"/applications/{rated.pk}/" in email.body
    event = AuditEvent.objects.get(action=Action.RECTIFICATION_CLOSED)
    assert (event.actor_id, event.subject_id, event.department_code, event.ip, event.details) == (
        officers["health_supervisor"].pk, citizen.pk, "health", "198.51.100.7",
        {"in_time": True, "characters": len(ACCOUNT)})


@pytest.mark.parametrize(("account", "message"), [
    ("", "Write what your department did about the rating before you close the case: the applicant reads it."),
    ("   \n ", "Write what your department did about the rating before you close the case: the applicant reads it."),
    ("Done.", "Say what was done in at least 20 characters (it has 5)."),
    ("x" * 4001, "Keep the account to 4000 characters or fewer (it has 4001)."),
])
def test_closing_without_a_proper_account_is_refused_and_changes_nothing(rated, officers, account, message):
    case = case_of(rated, "health")
    with pytest.raises(ValidationFailed) as refused:
        rectifications.rectification_close(rectification_id=case.pk, actor=officers["health_supervisor"],
                                           account=account)
    assert refused.value.errors == {"account": [message]}
    case.refresh_from_db()
    assert (case.status, case.account, case.closed_at) == ("open", "", None)
    assert not AuditEvent.objects.filter(action=Action.RECTIFICATION_CLOSED).exists()


def test_closing_twice_is_refused(rated, officers):
    case = case_of(rated, "health")
    rectifications.rectification_close(rectification_id=case.pk, actor=officers["health_supervisor"], account=ACCOUNT)
    with pytest.raises(InvalidTransition, match="This case was already rectified on"):
        rectifications.rectification_close(rectification_id=case.pk, actor=officers["health_supervisor"],
                                           account=ACCOUNT + " Again.")
    case.refresh_from_db()
    assert case.account == ACCOUNT
    assert AuditEvent.objects.filter(action=Action.RECTIFICATION_CLOSED).count() == 1


def test_someone_of_another_department_finds_no_case(rated, officers):
    case = case_of(rated, "health")
    for outsider in (officers["registration_supervisor"], officers["tax"], officers["health"]):
        with pytest.raises(Rectification.DoesNotExist):
            rectifications.rectification_close(rectification_id=case.pk, actor=outsider, account=ACCOUNT)
    case.refresh_from_db()
    assert case.status == "open"


def test_a_supervisor_gives_the_case_to_a_colleague_who_may_then_close_it(rated, officers, citizen):
    case = case_of(rated, "health")
    rectifications.rectification_reassign(rectification_id=case.pk, actor=officers["health_supervisor"],
                                          owner_id=officers["health"].pk, ip="198.51.100.8")
    case.refresh_from_db()
    assert case.owner_id == officers["health"].pk
    assert Notification.objects.filter(kind=NotificationKind.RECTIFICATION_ASSIGNED, recipient=officers["health"],
                                       params__rectification=case.pk).count() == 1
    event = AuditEvent.objects.get(action=Action.RECTIFICATION_REASSIGNED)
    assert (event.actor_id, event.department_code, event.details) == (
        officers["health_supervisor"].pk, "health",
        {"previous_owner": officers["health_supervisor"].pk, "owner": officers["health"].pk})
    with pytest.raises(NotAllowed):
        rectifications.rectification_reassign(rectification_id=case.pk, actor=officers["health"],
                                              owner_id=officers["health_supervisor"].pk)
    rectifications.rectification_close(rectification_id=case.pk, actor=officers["health"], account=ACCOUNT)


@pytest.mark.parametrize("who", ["tax", "citizen", "same"])
def test_a_case_goes_only_to_a_colleague_of_the_department(rated, officers, citizen, who):
    case = case_of(rated, "health")
    owner_id = {"tax": officers["tax"].pk, "citizen": citizen.pk, "same": officers["health_supervisor"].pk}[who]
    with pytest.raises(ValidationFailed) as refused:
        rectifications.rectification_reassign(rectification_id=case.pk, actor=officers["health_supervisor"],
                                              owner_id=owner_id)
    assert refused.value.errors == {"owner": [
        f"{officers['health_supervisor'].full_name} owns this case already." if who == "same"
        else "Choose a colleague of this department."]}
    case.refresh_from_db()
    assert case.owner_id == officers["health_supervisor"].pk


def test_the_applicant_rates_again_once_and_the_first_rating_is_kept(rated, officers, citizen):
    case = case_of(rated, "health")
    with pytest.raises(InvalidTransition, match="has not written what it did yet"):
        rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=citizen, score=4)
    rectifications.rectification_close(rectification_id=case.pk, actor=officers["health_supervisor"], account=ACCOUNT)
    for score in (0, 6, True, "4"):
        with pytest.raises(ValidationFailed) as refused:
            rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=citizen, score=score)
        assert refused.value.errors == {"score": ["Choose a score from 1 to 5."]}
    with pytest.raises(ValidationFailed):
        rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=citizen,
                                               score=4, comment="x" * 1001)
    with pytest.raises(Rectification.DoesNotExist):
        rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=UserFactory(), score=4)
    rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=citizen,
                                           score=4, comment=" Better now. ", ip="198.51.100.9")
    case.refresh_from_db()
    assert (case.status, case.follow_up_score, case.follow_up_comment) == ("followed_up", 4, "Better now.")
    assert Rating.objects.get().score == 1
    with pytest.raises(InvalidTransition, match="already rated the service after this rectification"):
        rectifications.rectification_follow_up(rectification_id=case.pk, application_id=rated.pk, actor=citizen, score=5)
    event = AuditEvent.objects.get(action=Action.RECTIFICATION_FOLLOWED_UP)
    assert (event.actor_id, event.department_code, event.details) == (
        citizen.pk, "health", {"score": 4, "first_score": 1})


def test_the_database_keeps_the_rules(rated):
    case = case_of(rated, "health")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.filter(pk=case.pk).update(status=RectificationStatus.CLOSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.filter(pk=case.pk).update(follow_up_score=6)


def test_rectifications_by_month(rated, officers):
    health, registration = case_of(rated, "health"), case_of(rated, "registration")
    with time_machine.travel("2026-12-10 15:00 +0800", tick=False):
        rectifications.rectification_close(rectification_id=health.pk, actor=officers["health_supervisor"],
                                           account=ACCOUNT)
    rows = rectifications_by_month(months=[date(2026, 11, 1), date(2026, 12, 1)], today=date(2026, 12, 20))
    assert rows == [
        {"department_id": health.department_id, "month": date(2026, 12, 1), "opened": 1, "closed_in_time": 1,
         "overdue": 0},
        {"department_id": registration.department_id, "month": date(2026, 12, 1), "opened": 1, "closed_in_time": 0,
         "overdue": 1},
    ] if health.department_id < registration.department_id else [
        {"department_id": registration.department_id, "month": date(2026, 12, 1), "opened": 1, "closed_in_time": 0,
         "overdue": 1},
        {"department_id": health.department_id, "month": date(2026, 12, 1), "opened": 1, "closed_in_time": 1,
         "overdue": 0},
    ]
    assert rectifications_by_month(months=[date(2026, 12, 1)], department_ids=[health.department_id],
                                   today=date(2026, 12, 20)) == [
        {"department_id": health.department_id, "month": date(2026, 12, 1), "opened": 1, "closed_in_time": 1,
         "overdue": 0}]
    assert rectifications_by_month(months=[date(2026, 11, 1)], today=date(2026, 12, 20)) == []
    assert rectifications_by_month(months=[date(2026, 12, 1)], service_ids=[0], today=date(2026, 12, 20)) == []
