"""Conditions in the engine: a submission routes only the reviews that apply and keeps only the
answers asked; a correction that changes what applies adds or cancels reviews, and the fan-in
stays exact."""

import pytest
from django.utils import timezone, translation

from approvals import workflow
from approvals.applicable import not_needed
from approvals.models import ApplicationStatus, Attachment, Review, ReviewStatus
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from permits.models import Permit
from tests.engine_fixtures import pdf_upload
from tests.factories import FIELDS, REVIEWS, officer, restaurant_service

pytestmark = pytest.mark.django_db

FIRE_WHEN = {"seats": {"gt": 50}}
SMALL = {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": "20"}
LARGE = {**SMALL, "seats": "80", "site_address": "1 Harbour Road"}
FIRE_FIELDS = [*FIELDS, ("fire_plan", "file", "documents", True, {"accept": ["application/pdf"], "max_size_mb": 1})]
FIRE_REVIEWS = [*REVIEWS[:3], ("fire", 2, 5, ["seats", "site_address", "floor_plan", "fire_plan"], ["name"])]


@pytest.fixture
def service(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return restaurant_service(slug="conditional-restaurant", fields=FIRE_FIELDS, reviews=FIRE_REVIEWS,
                              review_when={"fire": FIRE_WHEN})


@pytest.fixture
def staff(service):
    return {req.department.code: officer(req.department) for req in service.requirements.select_related("department")}


def draft(service, citizen, answers, files=("floor_plan",)):
    application = workflow.application_start(applicant=citizen, service=service)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=dict(answers))
    for key in files:
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key=key, uploaded=pdf_upload())
    return application


def submitted(service, citizen, answers, files=("floor_plan",)):
    application = draft(service, citizen, answers, files)
    workflow.application_submit(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    return application


def statuses(application):
    return {r.department.code: r.status for r in application.reviews.select_related("department")}


def decide(code, application, staff, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    return workflow.review_decide(review_id=review.pk, actor=staff[code], decision=decision, **kwargs)


def actions(application, *wanted):
    return list(AuditEvent.objects.filter(application_id=application.pk, action__in=wanted)
                .order_by("id").values_list("action", "department_code"))


# --- Submission ---------------------------------------------------------------------------------------


def test_a_small_restaurant_is_routed_to_three_departments_and_told_why_not_the_fourth(service, citizen):
    # An answer and a file left from before seats were lowered: neither is kept, neither is sent.
    application = submitted(service, citizen, {**SMALL, "site_address": "1 Harbour Road"},
                            files=("floor_plan", "fire_plan"))
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.current_stage == 1
    assert statuses(application) == {"registration": ReviewStatus.PENDING, "health": ReviewStatus.PENDING,
                                     "tax": ReviewStatus.PENDING}
    assert application.answers == {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": 20}
    assert list(application.attachments.values_list("field_key", flat=True)) == ["floor_plan"]
    assert application.once_only == {"fields_asked": 3, "fields_taken": 0, "documents_uploaded": 1,
                                     "documents_reused": 0}
    removed = AuditEvent.objects.get(application_id=application.pk, action=Action.ATTACHMENT_REMOVED)
    assert (removed.details["field"], removed.details["reason"]) == ("fire_plan", "not_asked")
    submitted_event = AuditEvent.objects.get(application_id=application.pk, action=Action.APPLICATION_SUBMITTED)
    assert submitted_event.details["not_asked"] == ["fire_plan", "site_address"]
    event = AuditEvent.objects.get(application_id=application.pk, action=Action.REVIEW_NOT_NEEDED)
    assert (event.department_code, event.details["when"]) == ("fire", FIRE_WHEN)
    with translation.override("en"):
        [why] = not_needed(application.schema, application.answers, ["floor_plan"], application.reviews.all())
    assert (why.department, why.department_name, why.why) == ("fire", "Fire Bureau", "Seats is 50 or less")
    with translation.override("zh-hans"):
        [why] = not_needed(application.schema, application.answers, ["floor_plan"], application.reviews.all())
    assert why.department_name == "fire局"


def test_a_required_question_not_asked_is_not_required(service, citizen):
    application = draft(service, citizen, SMALL)  # no site address, no fire plan: fire is not needed
    workflow.application_submit(application_id=application.pk, actor=citizen)
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_submit(application_id=draft(service, citizen, {**SMALL, "seats": "80"}).pk, actor=citizen)
    assert set(excinfo.value.errors) == {"site_address", "fire_plan"}


def test_the_fan_in_issues_the_permit_when_the_three_applicable_reviews_approve(service, citizen, staff):
    application = submitted(service, citizen, SMALL)
    decide("registration", application, staff)
    decide("health", application, staff)
    assert Permit.objects.count() == 0
    decide("tax", application, staff)  # no stage 2 applies: the permit now
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert Permit.objects.filter(application=application).count() == 1


def test_a_stage_with_no_review_that_applies_is_skipped(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="late-health", review_when={"registration": FIRE_WHEN, "health": FIRE_WHEN,
                                                                 "tax": FIRE_WHEN})
    application = submitted(service, citizen, {**SMALL, "site_address": "1 Harbour Road"})
    assert application.current_stage == 2
    assert statuses(application) == {"fire": ReviewStatus.PENDING}
    assert workflow.application_route(application_ids=[application.pk]) == 1


def test_a_large_restaurant_is_routed_to_all_four(service, citizen):
    application = submitted(service, citizen, LARGE, files=("floor_plan", "fire_plan"))
    assert statuses(application) == {"registration": ReviewStatus.PENDING, "health": ReviewStatus.PENDING,
                                     "tax": ReviewStatus.PENDING, "fire": ReviewStatus.WAITING}
    assert not_needed(application.schema, application.answers, ["floor_plan", "fire_plan"]) == []
    assert actions(application, Action.REVIEW_NOT_NEEDED) == []


# --- Corrections ----------------------------------------------------------------------------------------


def test_raising_seats_in_a_correction_adds_the_fire_review_and_asks_its_questions(service, citizen, staff):
    application = submitted(service, citizen, SMALL)
    decide("registration", application, staff)
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Count again")
    decide("tax", application, staff)

    # The new questions must be answered in the same correction.
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "80"})
    assert excinfo.value.errors == {"site_address": ["Enter the site address."], "fire_plan": ["Upload the fire plan."]}
    # Only those: another answer is still not the citizen's to change.
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                      data={"seats": "80", "business_name": "Other"})
    assert excinfo.value.errors == {"business_name": ["No department asked you to change this."]}
    assert statuses(application)["health"] == ReviewStatus.CORRECTION_REQUESTED

    workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                  data={"seats": "80", "site_address": "1 Harbour Road"},
                                  uploads=[("fire_plan", pdf_upload("fire.pdf"))])
    application.refresh_from_db()
    assert application.answers == {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": 80,
                                   "site_address": "1 Harbour Road"}
    assert statuses(application) == {"registration": ReviewStatus.APPROVED, "health": ReviewStatus.IN_PROGRESS,
                                     "tax": ReviewStatus.APPROVED, "fire": ReviewStatus.WAITING}
    assert actions(application, Action.REVIEW_ADDED) == [(Action.REVIEW_ADDED, "fire")]
    assert not_needed(application.schema, application.answers, ["floor_plan", "fire_plan"], application.reviews.all()) == []

    decide("health", application, staff)  # stage 1 done: fire starts, no permit yet
    application.refresh_from_db()
    assert (application.status, application.current_stage) == (ApplicationStatus.IN_REVIEW, 2)
    assert statuses(application)["fire"] == ReviewStatus.PENDING
    assert workflow.application_route(application_ids=[application.pk]) == 1
    fire = application.reviews.get(department__code="fire")
    assert fire.due_date is not None
    assert Permit.objects.count() == 0
    decide("fire", application, staff)
    assert Permit.objects.filter(application=application).count() == 1


def test_a_review_added_in_a_stage_already_running_starts_now(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="one-stage", reviews=[*REVIEWS[:3], ("fire", 1, 5, ["seats", "site_address"])],
                                 review_when={"fire": FIRE_WHEN})
    staff = {r.department.code: officer(r.department) for r in service.requirements.select_related("department")}
    application = submitted(service, citizen, SMALL)
    assert workflow.application_route(application_ids=[application.pk]) == 3
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Count again")
    workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                  data={"seats": "80", "site_address": "1 Harbour Road"})
    application.refresh_from_db()
    fire = application.reviews.get(department__code="fire")
    assert (fire.status, fire.routed_at) == (ReviewStatus.PENDING, None)
    assert workflow.application_route(application_ids=[application.pk]) == 1
    fire.refresh_from_db()
    assert fire.started_on == fire.routed_at.astimezone(timezone.get_current_timezone()).date()
    for code in ("registration", "tax", "health"):
        decide(code, application, staff)
    assert Permit.objects.count() == 0  # fire has not decided
    decide("fire", application, staff)
    assert Permit.objects.filter(application=application).count() == 1


def test_lowering_seats_cancels_the_waiting_fire_review(service, citizen, staff):
    application = submitted(service, citizen, LARGE, files=("floor_plan", "fire_plan"))
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Count again")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "20"})
    application.refresh_from_db()
    assert statuses(application)["fire"] == ReviewStatus.CANCELLED
    # Its questions are no longer asked: the answer and the file go.
    assert "site_address" not in application.answers
    assert not Attachment.objects.filter(application=application, field_key="fire_plan").exists()
    assert actions(application, Action.REVIEW_CANCELLED) == [(Action.REVIEW_CANCELLED, "fire")]
    with translation.override("en"):
        assert [(n.department, n.why) for n in not_needed(application.schema, application.answers, ["floor_plan"],
                                                          application.reviews.select_related("department"))] == [
            ("fire", "Seats is 50 or less")]
    for code in ("registration", "tax", "health"):
        decide(code, application, staff)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert Permit.objects.filter(application=application).count() == 1


def test_a_correction_that_cancels_the_last_open_review_issues_the_permit_itself(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Only fire sees seats here: no approval is reopened by the change.
    service = restaurant_service(slug="fire-sees-seats", reviews=[
        REVIEWS[0], ("health", 1, 5, ["business_name", "floor_plan"]), REVIEWS[2], REVIEWS[3]],
        review_when={"fire": FIRE_WHEN})
    staff = {r.department.code: officer(r.department) for r in service.requirements.select_related("department")}
    application = submitted(service, citizen, LARGE)
    for code in ("registration", "health", "tax"):
        decide(code, application, staff)
    workflow.application_route(application_ids=[application.pk])
    decide("fire", application, staff, decision="correction", correction_fields=["seats"], message="Count again")

    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "20"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert Permit.objects.filter(application=application).count() == 1
    assert statuses(application)["fire"] == ReviewStatus.CANCELLED
    assert actions(application, Action.REVIEW_CANCELLED, Action.APPLICATION_APPROVED, Action.PERMIT_ISSUED) == [
        (Action.REVIEW_CANCELLED, "fire"), (Action.APPLICATION_APPROVED, ""), (Action.PERMIT_ISSUED, "")]


def test_an_approved_review_that_no_longer_applies_stays_approved(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="fire-first", reviews=[("fire", 1, 5, ["site_address"]), *REVIEWS[:3]],
                                 review_when={"fire": FIRE_WHEN})
    staff = {r.department.code: officer(r.department) for r in service.requirements.select_related("department")}
    application = submitted(service, citizen, LARGE)
    decide("fire", application, staff)
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Count again")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "20"})
    application.refresh_from_db()
    assert statuses(application)["fire"] == ReviewStatus.APPROVED
    assert actions(application, Action.REVIEW_CANCELLED) == []
    assert not_needed(application.schema, application.answers, ["floor_plan"],
                      application.reviews.select_related("department")) == []


def test_a_cancelled_review_needed_again_is_revived_with_a_fresh_start(service, citizen, staff):
    application = submitted(service, citizen, LARGE, files=("floor_plan", "fire_plan"))
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Count again")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "20"})
    decide("health", application, staff, decision="correction", correction_fields=["seats"], message="Really?")
    workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                  data={"seats": "60", "site_address": "2 Harbour Road"},
                                  uploads=[("fire_plan", pdf_upload("fire.pdf"))])
    application.refresh_from_db()
    fire = application.reviews.get(department__code="fire")
    assert (fire.status, fire.decided_at, fire.pending_since) == (ReviewStatus.WAITING, None, None)
    assert Review.objects.filter(application=application).count() == 4


def test_when_no_review_applies_the_permit_is_issued_at_submission(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="nothing-to-review", reviews=[("fire", 1, 5, ["seats"])],
                                 fields=[f for f in FIELDS if f[0] == "seats"], review_when={"fire": FIRE_WHEN})
    application = workflow.application_start(applicant=citizen, service=service)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data={"seats": "20"})
    workflow.application_submit(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.reviews.count() == 0
    assert Permit.objects.filter(application=application).count() == 1
