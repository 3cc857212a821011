"""One application for a life event: start, the combined form saved on the children, one
submission (all or nothing), the permits that depend on a refused one refused with it."""

import pytest
from django.utils import timezone

from approvals import bundle_flow, workflow
from approvals.models import Application, ApplicationStatus, BundleApplication, BundleApplicationStatus, ReviewStatus
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, ValidationFailed
from permits.models import Permit
from tests.bundle_fixtures import BUNDLE_ANSWERS, filled_bundle, submitted_bundle
from tests.engine_fixtures import pdf_upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

MEMBERS = ["register-a-business", "food-operating-permit", "fire-safety-check", "renovate-a-shop-front"]


def children(row):
    return {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}


def test_start_makes_one_draft_per_member_and_a_second_start_offers_it(restaurant_bundle, citizen):
    row, outcome = bundle_flow.bundle_start(applicant=citizen, bundle=restaurant_bundle)
    assert outcome == workflow.StartOutcome.CREATED
    assert row.status == BundleApplicationStatus.DRAFT and row.reference is None
    kids = children(row)
    assert sorted(kids) == sorted(MEMBERS)
    assert {c.status for c in kids.values()} == {ApplicationStatus.DRAFT}
    assert [m["version"] for m in row.schema["members"]] == [kids[s].service_version_id for s in MEMBERS]
    again, outcome = bundle_flow.bundle_start(applicant=citizen, bundle=restaurant_bundle)
    assert (again.pk, outcome) == (row.pk, workflow.StartOutcome.REPEATED)
    BundleApplication.objects.filter(pk=row.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=5))
    assert bundle_flow.bundle_start(applicant=citizen, bundle=restaurant_bundle)[1] == workflow.StartOutcome.EXISTING
    assert BundleApplication.objects.count() == 1 and Application.objects.count() == 4
    assert AuditEvent.objects.filter(action=Action.BUNDLE_STARTED).count() == 1


def test_a_page_is_saved_on_each_child_that_asks_its_questions(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    kids = children(row)
    assert kids["register-a-business"].answers == {
        "legal_representative": "Wang Fang", "contact_phone": "13800138000", "business_name": "Golden Dragon Noodles",
        "business_scope": "Noodles and dumplings", "taxpayer_type": "small_scale", "employee_count": 4,
        "plans_sign": True, "site_address": "1 Harbour Road"}
    assert kids["food-operating-permit"].answers == {
        "business_name": "Golden Dragon Noodles", "cuisine": "chinese", "seating_capacity": 20,
        "site_address": "1 Harbour Road", "floor_area": "60", "uses_gas": False}
    files = {slug: sorted(c.attachments.values_list("field_key", flat=True)) for slug, c in kids.items()}
    assert files == {"register-a-business": ["lease_contract"], "food-operating-permit": ["floor_plan"],
                     "fire-safety-check": ["floor_plan"], "renovate-a-shop-front": ["sign_design"]}
    # Each child stored its own copy of the one file chosen.
    food, fire = (kids[s].attachments.get() for s in ("food-operating-permit", "fire-safety-check"))
    assert food.file.name != fire.file.name and food.sha256 == fire.sha256 and fire.size == food.size > 0


def test_an_invalid_answer_saves_nothing_on_any_child(restaurant_bundle, citizen):
    row, _ = bundle_flow.bundle_start(applicant=citizen, bundle=restaurant_bundle)
    with pytest.raises(ValidationFailed) as excinfo:
        bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=citizen,
                                     data={"business_name": "Golden Dragon", "seating_capacity": "lots"},
                                     uploads=[("floor_plan", pdf_upload())])
    assert list(excinfo.value.errors) == ["seating_capacity"]
    assert {slug: c.answers for slug, c in children(row).items()} == dict.fromkeys(MEMBERS, {})
    assert not any(c.attachments.exists() for c in children(row).values())


def test_submit_routes_the_members_that_apply_under_one_reference(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    row = bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=citizen)
    assert row.status == BundleApplicationStatus.SUBMITTED
    assert row.reference == f"B-{timezone.localdate().year}-{row.pk:06d}"
    kids = children(row)
    assert sorted(kids) == ["food-operating-permit", "register-a-business", "renovate-a-shop-front"]
    assert {c.status for c in kids.values()} == {ApplicationStatus.IN_REVIEW}
    assert {slug: sorted(c.reviews.values_list("department__code", flat=True)) for slug, c in kids.items()} == {
        "register-a-business": ["registration", "tax"], "food-operating-permit": ["health"],
        "renovate-a-shop-front": ["planning", "urban"]}
    discarded = AuditEvent.objects.get(action=Action.BUNDLE_MEMBER_DISCARDED)
    assert discarded.details["service"] == "fire-safety-check"
    assert AuditEvent.objects.get(action=Action.BUNDLE_SUBMITTED).details == {
        "reference": row.reference, "services": ["food-operating-permit", "register-a-business", "renovate-a-shop-front"]}
    with pytest.raises(InvalidTransition):
        bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=citizen)


def test_gas_brings_the_fire_safety_check_in(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen, answers={**BUNDLE_ANSWERS, "uses_gas": "true"})
    with pytest.raises(ValidationFailed) as excinfo:  # its escape plan is missing: nothing is submitted
        bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=citizen)
    assert list(excinfo.value.errors) == ["fire_escape_plan"]
    assert {c.status for c in children(row).values()} == {ApplicationStatus.DRAFT}
    assert BundleApplication.objects.get(pk=row.pk).status == BundleApplicationStatus.DRAFT
    bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=citizen, data={},
                                 uploads=[("fire_escape_plan", pdf_upload())])
    bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=citizen)
    assert sorted(children(row)) == sorted(MEMBERS)


def test_someone_elses_bundle_application_does_not_exist_for_them(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    stranger = UserFactory(email="li.lei@example.org")
    for call in (lambda: bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=stranger),
                 lambda: bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=stranger,
                                                      data={"business_name": "Mine"}, uploads=[])):
        with pytest.raises(BundleApplication.DoesNotExist):
            call()
    assert children(row)["register-a-business"].answers["business_name"] == "Golden Dragon Noodles"


def test_a_rejected_registration_refuses_the_permits_that_depend_on_it(restaurant_bundle, citizen, bundle_officers):
    row = submitted_bundle(restaurant_bundle, citizen)
    kids = children(row)
    health = kids["food-operating-permit"].reviews.get()
    workflow.review_claim(review_id=health.pk, actor=bundle_officers["health"])
    registration = kids["register-a-business"].reviews.get(department__code="registration")
    workflow.review_decide(review_id=registration.pk, actor=bundle_officers["registration"], decision="reject",
                           reason="The business name is taken.")
    kids = children(row)
    assert {slug: c.status for slug, c in kids.items()} == {
        "register-a-business": ApplicationStatus.REJECTED, "food-operating-permit": ApplicationStatus.REJECTED,
        "renovate-a-shop-front": ApplicationStatus.IN_REVIEW}  # the sign does not depend on it
    assert kids["food-operating-permit"].reviews.get().status == ReviewStatus.CANCELLED
    refused = AuditEvent.objects.filter(action=Action.APPLICATION_REJECTED, application_id=kids["food-operating-permit"].pk)
    assert [e.details for e in refused] == [{"depends_on": kids["register-a-business"].reference,
                                             "bundle_application": row.pk}]
    assert not Permit.objects.exists()


def test_each_permit_is_issued_when_its_own_reviews_approve(restaurant_bundle, citizen, bundle_officers):
    row = submitted_bundle(restaurant_bundle, citizen)
    food = children(row)["food-operating-permit"]
    workflow.review_decide(review_id=food.reviews.get().pk, actor=bundle_officers["health"], decision="approve")
    statuses = {slug: c.status for slug, c in children(row).items()}
    assert statuses == {"register-a-business": ApplicationStatus.IN_REVIEW, "food-operating-permit": ApplicationStatus.APPROVED,
                        "renovate-a-shop-front": ApplicationStatus.IN_REVIEW}
    assert list(Permit.objects.values_list("application_id", flat=True)) == [food.pk]


def test_a_permit_of_a_bundle_is_neither_submitted_nor_withdrawn_alone_while_a_draft(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    food = children(row)["food-operating-permit"]
    for call in (lambda: workflow.application_submit(application_id=food.pk, actor=citizen),
                 lambda: workflow.application_withdraw(application_id=food.pk, actor=citizen)):
        with pytest.raises(InvalidTransition) as excinfo:
            call()
        assert excinfo.value.message == ("This permit is part of an application for several permits: submit them "
                                         "together.")
    assert Application.objects.get(pk=food.pk).status == ApplicationStatus.DRAFT
    submitted = bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=citizen)
    workflow.application_withdraw(application_id=food.pk, actor=citizen)  # once submitted, each on its own
    assert {slug: c.status for slug, c in children(submitted).items()} == {
        "register-a-business": ApplicationStatus.IN_REVIEW, "food-operating-permit": ApplicationStatus.WITHDRAWN,
        "renovate-a-shop-front": ApplicationStatus.IN_REVIEW}


def test_withdrawing_a_draft_bundle_withdraws_every_child_once(restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    bundle_flow.bundle_withdraw(bundle_application_id=row.pk, actor=citizen)
    assert BundleApplication.objects.get(pk=row.pk).status == BundleApplicationStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action=Action.APPLICATION_WITHDRAWN).count() == 4
    assert AuditEvent.objects.filter(action=Action.BUNDLE_WITHDRAWN).count() == 1
    for call in (bundle_flow.bundle_withdraw, bundle_flow.bundle_submit):
        with pytest.raises(InvalidTransition):
            call(bundle_application_id=row.pk, actor=citizen)
