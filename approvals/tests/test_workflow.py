from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import workflow
from approvals.models import Application, ApplicationStatus, Notification, NotificationKind, Review, ReviewStatus
from approvals.once_only import once_only_figures
from audit.models import Action, AuditEvent
from core.errors import Conflict, InvalidTransition, ValidationFailed
from permits.models import Permit
from tests.engine_fixtures import pdf_upload, submitted_application
from tests.factories import VALID_ANSWERS, UserFactory, officer

pytestmark = pytest.mark.django_db


def statuses(application):
    return {r.department.code: r.status for r in application.reviews.select_related("department")}


def decide(review_code, application, officers, decision="approve", **kwargs):
    review = application.reviews.get(department__code=review_code)
    return workflow.review_decide(review_id=review.pk, actor=officers[review_code], decision=decision, **kwargs)


def test_submit_fans_out_one_review_per_department(submit, citizen, officers):
    application = submit()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.reference == f"A-{timezone.localdate().year}-{application.pk:06d}"
    assert application.current_stage == 1
    assert statuses(application) == {
        "registration": ReviewStatus.PENDING, "health": ReviewStatus.PENDING, "tax": ReviewStatus.PENDING,
        "fire": ReviewStatus.WAITING,
    }
    assert application.answers == {**VALID_ANSWERS, "seats": 40}
    assert list(Notification.objects.filter(recipient=citizen).values_list("kind", flat=True)) == [NotificationKind.SUBMITTED]
    assert list(AuditEvent.objects.filter(application_id=application.pk).values_list("action", flat=True)) == [
        Action.APPLICATION_CREATED, Action.ANSWERS_SAVED, Action.ATTACHMENT_UPLOADED, Action.APPLICATION_SUBMITTED,
    ]


def test_submit_counts_once_only_from_its_own_rows_without_reading_them_back(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    workflow.application_submit(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    assert application.once_only == {"fields_asked": len(VALID_ANSWERS), "fields_taken": 0, "documents_uploaded": 1,
                                     "documents_reused": 0}
    assert application.once_only == once_only_figures(application)


def test_submit_statements(restaurant, citizen, settings, tmp_path):
    """The submit's statements, warm: the lock with the files' questions, the certificates chosen,
    the person's name locked, the reviews, the application, the audit event and the notification."""
    settings.MEDIA_ROOT = str(tmp_path)
    submitted_application(restaurant, citizen)  # warms the per-process caches (schema, department ids)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    with CaptureQueriesContext(connection) as queries:
        workflow.application_submit(application_id=application.pk, actor=citizen)
    statements = [q["sql"].split()[0] for q in queries.captured_queries
                  if q["sql"].split()[0] not in ("SAVEPOINT", "RELEASE")]  # the test's own transaction
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "INSERT", "INSERT"], "\n".join(
        q["sql"] for q in queries.captured_queries)


def test_submit_refuses_invalid_answers_and_changes_nothing(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_save_answers(application_id=application.pk, actor=citizen,
                                          data={**VALID_ANSWERS, "seats": "0", "cuisine": "martian"})
    assert set(excinfo.value.errors) == {"seats", "cuisine"}
    application.refresh_from_db()
    assert application.answers == {}

    workflow.application_save_answers(application_id=application.pk, actor=citizen, data={"business_name": "X"})
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_submit(application_id=application.pk, actor=citizen)
    assert set(excinfo.value.errors) == {"cuisine", "seats", "site_address", "floor_plan"}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.reference is None
    assert Review.objects.count() == 0


def test_unknown_answer_key_is_refused(restaurant, citizen):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_save_answers(application_id=application.pk, actor=citizen, data={"salary": "1"})
    assert excinfo.value.errors == {"salary": ["This question is not part of the form."]}


def test_upload_checked_by_content_not_name(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    fake = pdf_upload("plan.pdf")
    fake.file.write(b"")  # keep name, replace content below
    from django.core.files.uploadedfile import SimpleUploadedFile

    renamed = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan", uploaded=renamed)
    assert excinfo.value.errors["floor_plan"] == ["Upload the floor plan as a PDF or PNG file."]
    big = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan", uploaded=big)
    assert excinfo.value.errors["floor_plan"] == ["Upload the floor plan as a file of 1 MB or less."]
    assert application.attachments.count() == 0


def test_another_citizens_application_does_not_exist(submit, restaurant):
    application = submit()
    stranger = UserFactory(email="stranger@example.org")
    with pytest.raises(Application.DoesNotExist):
        workflow.application_withdraw(application_id=application.pk, actor=stranger)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW


def test_stages_then_fan_in_issues_exactly_one_permit(submit, officers):
    application = submit()
    decide("registration", application, officers)
    decide("health", application, officers, conditions="Kitchen inspection within 30 days")
    application.refresh_from_db()
    assert application.current_stage == 1
    assert statuses(application)["fire"] == ReviewStatus.WAITING

    decide("tax", application, officers)
    application.refresh_from_db()
    assert application.current_stage == 2
    assert statuses(application)["fire"] == ReviewStatus.PENDING
    assert Permit.objects.count() == 0

    decide("fire", application, officers)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    permit = Permit.objects.get()
    assert permit.application_id == application.pk
    assert permit.number == f"P-{application.submitted_at.year}-{application.pk:06d}"
    assert (permit.valid_until - permit.valid_from).days == 1095
    assert application.reviews.get(department__code="health").conditions == "Kitchen inspection within 30 days"

    with pytest.raises(Conflict):
        decide("fire", application, officers)
    assert Permit.objects.count() == 1


def test_rejection_cancels_open_reviews(submit, officers, citizen):
    application = submit()
    decide("registration", application, officers)
    with pytest.raises(ValidationFailed):
        decide("health", application, officers, decision="reject")
    decide("health", application, officers, decision="reject", reason="No ventilation in the kitchen")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert statuses(application) == {
        "registration": ReviewStatus.APPROVED, "health": ReviewStatus.REJECTED, "tax": ReviewStatus.CANCELLED,
        "fire": ReviewStatus.CANCELLED,
    }
    rejected = Notification.objects.get(recipient=citizen, kind=NotificationKind.REJECTED)
    assert rejected.params["reason"] == "No ventilation in the kitchen"
    assert Permit.objects.count() == 0


def test_officer_of_another_department_cannot_decide(submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")
    with pytest.raises(Review.DoesNotExist):
        workflow.review_decide(review_id=review.pk, actor=officers["tax"], decision="approve")
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_claimed_review_cannot_be_decided_by_a_colleague(submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")

    colleague = officer(review.department, email="second.health@example.gov")
    workflow.review_claim(review_id=review.pk, actor=officers["health"])
    with pytest.raises(Conflict):
        workflow.review_claim(review_id=review.pk, actor=colleague)
    with pytest.raises(Conflict):
        workflow.review_decide(review_id=review.pk, actor=colleague, decision="approve")
    # The supervisor may decide a review held by someone else.
    workflow.review_decide(review_id=review.pk, actor=officers["health_supervisor"], decision="approve")
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert review.decided_by == officers["health_supervisor"]


def test_stale_version_is_a_conflict(submit, officers):
    application = submit()
    review = application.reviews.get(department__code="tax")
    workflow.review_claim(review_id=review.pk, actor=officers["tax"])
    with pytest.raises(Conflict):
        workflow.review_decide(review_id=review.pk, actor=officers["tax"], decision="approve", expected_version=0)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_PROGRESS


def test_correction_rules(submit, officers, citizen):
    application = submit()
    with pytest.raises(ValidationFailed) as excinfo:
        decide("registration", application, officers, decision="correction", correction_fields=["seats"], message="x")
    assert "seats" in excinfo.value.errors["correction_fields"][0]
    with pytest.raises(ValidationFailed):
        decide("registration", application, officers, decision="correction", correction_fields=["cuisine"])

    decide("health", application, officers)  # health approved business_name, seats, floor_plan
    decide("tax", application, officers)  # tax approved business_name only
    decide("registration", application, officers, decision="correction", correction_fields=["business_name"],
           message="The name must match the registered trade name.")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_CORRECTION
    registration = application.reviews.get(department__code="registration")
    assert registration.paused_on == timezone.localdate()

    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "50"})
    assert excinfo.value.errors == {"seats": ["No department asked you to change this."]}
    application.refresh_from_db()
    assert application.answers["seats"] == 40

    workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                  data={"business_name": "Golden Dragon Ltd"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["business_name"] == "Golden Dragon Ltd"
    # Registration asked (back with its officer); health and tax had approved a changed field;
    # fire waits for stage 1.
    assert statuses(application) == {
        "registration": ReviewStatus.IN_PROGRESS, "health": ReviewStatus.PENDING, "tax": ReviewStatus.PENDING,
        "fire": ReviewStatus.WAITING,
    }
    assert application.reviews.get(department__code="registration").paused_on is None


def test_resubmit_only_reopens_departments_whose_fields_changed(submit, officers, citizen):
    application = submit()
    decide("tax", application, officers)
    decide("health", application, officers, decision="correction", correction_fields=["seats"], message="Count again")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    application.refresh_from_db()
    assert statuses(application)["tax"] == ReviewStatus.APPROVED  # tax does not see seats
    assert statuses(application)["health"] == ReviewStatus.IN_PROGRESS  # back with the officer who asked


def test_re_review_after_changed_fields_starts_a_fresh_clock(submit, officers, citizen):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    tax = application.reviews.get(department__code="tax")
    Review.objects.filter(pk=tax.pk).update(yellow_at=timezone.now(), red_at=timezone.now())
    decide("tax", application, officers)
    decide("registration", application, officers, decision="correction", correction_fields=["business_name"],
           message="Use the registered name")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"business_name": "Golden Dragon Ltd"})
    tax.refresh_from_db()
    assert tax.status == ReviewStatus.PENDING
    assert (tax.routed_at, tax.due_date, tax.yellow_at, tax.red_at, tax.decided_by) == (None, None, None, None, None)


def test_withdraw(submit, citizen, officers):
    application = submit()
    decide("tax", application, officers)
    workflow.application_withdraw(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert statuses(application) == {
        "registration": ReviewStatus.CANCELLED, "health": ReviewStatus.CANCELLED, "tax": ReviewStatus.APPROVED,
        "fire": ReviewStatus.CANCELLED,
    }
    with pytest.raises(InvalidTransition):
        workflow.application_withdraw(application_id=application.pk, actor=citizen)
    with pytest.raises(Conflict):
        decide("health", application, officers)


def test_route_starts_clock_once(submit, officers, time_machine):
    time_machine.move_to(timezone.make_aware(timezone.datetime(2026, 11, 20, 10, 0)))  # a Friday
    application = submit()
    assert workflow.application_route(application_ids=[application.pk]) == 3
    assert workflow.application_route(application_ids=[application.pk]) == 0
    tax = application.reviews.get(department__code="tax")
    assert tax.due_date == date(2026, 11, 24)  # 2 working days after Friday: Mon, Tue
    health = application.reviews.get(department__code="health")
    assert health.due_date == date(2026, 11, 27)
    assert health.red_on == date(2026, 12, 4)
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED).count() == 3
