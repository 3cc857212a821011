"""A bundle's permits that depend on a refused one, refused exactly once while the departments
decide at the same moment (PostgreSQL, threads with their own connections)."""

import pytest

from approvals import workflow
from approvals.models import Application, ApplicationStatus, ReviewStatus
from audit.models import Action, AuditEvent
from core import nudges
from core.errors import Conflict, InvalidTransition
from permits.models import Permit
from tests.bundle_fixtures import BUNDLE_ANSWERS, BUNDLE_FILES, STORE_ANSWERS, STORE_FILES, submitted_bundle
from tests.concurrent import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(nudges, "publish", lambda task, *args: True)


def decide(review, officer, decision, **kwargs):
    def call():
        try:
            workflow.review_decide(review_id=review.pk, actor=officer, decision=decision, **kwargs)
        except Conflict:
            return "conflict"
        return decision
    return call


@pytest.mark.parametrize("attempt", range(5))
def test_a_rejection_and_the_dependants_own_decisions_at_once_settle_each_permit_once(
        restaurant_bundle, citizen, bundle_officers, attempt):
    row = submitted_bundle(restaurant_bundle, citizen, answers={**BUNDLE_ANSWERS, "uses_gas": "true"},
                           files=(*BUNDLE_FILES, "fire_escape_plan"))
    kids = {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}
    registration = kids["register-a-business"].reviews.get(department__code="registration")
    food = kids["food-operating-permit"].reviews.get()
    fire = kids["fire-safety-check"].reviews.get()
    outcomes = run_together(
        decide(registration, bundle_officers["registration"], "reject", reason="The name is taken."),
        decide(food, bundle_officers["health"], "approve"),
        decide(fire, bundle_officers["fire"], "approve"))
    assert outcomes[0] == "reject"
    for slug, outcome in (("food-operating-permit", outcomes[1]), ("fire-safety-check", outcomes[2])):
        child = Application.objects.get(pk=kids[slug].pk)
        review = child.reviews.get()
        refused = AuditEvent.objects.filter(action=Action.APPLICATION_REJECTED, application_id=child.pk).count()
        if outcome == "approve":  # decided first: approved with its permit, left as it is
            assert (child.status, review.status, refused) == (ApplicationStatus.APPROVED, ReviewStatus.APPROVED, 0)
            assert Permit.objects.filter(application=child).count() == 1
        else:  # refused with the registration first: the approval came too late
            assert (child.status, review.status, refused) == (ApplicationStatus.REJECTED, ReviewStatus.CANCELLED, 1)
            assert not Permit.objects.filter(application=child).exists()
    assert Application.objects.get(pk=kids["renovate-a-shop-front"].pk).status == ApplicationStatus.IN_REVIEW


def store_with_registration_approved(bundle, citizen, officers):
    """A submitted one-permit bundle whose registration review is approved: the tax review and
    the health review are each the last of their own child."""
    row = submitted_bundle(bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    kids = {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}
    business = kids["register-a-business"]
    workflow.review_decide(review_id=business.reviews.get(department__code="registration").pk,
                           actor=officers["registration"], decision="approve")
    return row, business, kids["food-operating-permit"]


@pytest.mark.parametrize("attempt", range(5))
def test_racing_final_approvals_of_a_one_permit_bundle_issue_exactly_one_combined_permit(
        store_bundle, citizen, bundle_officers, attempt):
    row, business, food = store_with_registration_approved(store_bundle, citizen, bundle_officers)
    # The last review of each child at the same moment: each child is approved by its own.
    outcomes = run_together(
        decide(business.reviews.get(department__code="tax"), bundle_officers["tax"], "approve"),
        decide(food.reviews.get(), bundle_officers["health"], "approve"))
    assert outcomes == ["approve", "approve"]
    assert set(Application.objects.filter(bundle_application=row).values_list("status", flat=True)) == {
        ApplicationStatus.APPROVED}
    assert list(Permit.objects.values_list("application_id", "bundle_application_id")) == [(business.pk, row.pk)]
    assert AuditEvent.objects.filter(action=Action.PERMIT_ISSUED).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_a_refusal_racing_the_other_childs_final_approval_issues_no_combined_permit(
        store_bundle, citizen, bundle_officers, attempt):
    row, business, food = store_with_registration_approved(store_bundle, citizen, bundle_officers)
    outcomes = run_together(
        decide(business.reviews.get(department__code="tax"), bundle_officers["tax"], "reject", reason="Unpaid tax."),
        decide(food.reviews.get(), bundle_officers["health"], "approve"))
    assert outcomes[0] == "reject" and outcomes[1] in ("approve", "conflict")
    statuses = dict(Application.objects.filter(bundle_application=row).values_list("service__slug", "status"))
    assert statuses["register-a-business"] == ApplicationStatus.REJECTED
    assert statuses["food-operating-permit"] == (
        ApplicationStatus.APPROVED if outcomes[1] == "approve" else ApplicationStatus.REJECTED)
    assert not Permit.objects.exists()


@pytest.mark.parametrize("attempt", range(3))
def test_withdrawing_two_parts_of_a_one_permit_bundle_at_once_withdraws_each_once(
        store_bundle, citizen, bundle_officers, attempt):
    """Each withdrawal takes the other part with it: both lock the bundle's parts in one order, so
    neither waits on the other's lock (no deadlock), and the later one finds the work done."""
    row, business, food = store_with_registration_approved(store_bundle, citizen, bundle_officers)

    def withdraw(application):
        def call():
            try:
                workflow.application_withdraw(application_id=application.pk, actor=citizen)
            except InvalidTransition:
                return "already"
            return "withdrawn"
        return call

    outcomes = run_together(withdraw(business), withdraw(food))
    assert sorted(outcomes) == ["already", "withdrawn"]
    assert set(Application.objects.filter(bundle_application=row).values_list("status", flat=True)) == {
        ApplicationStatus.WITHDRAWN}
    assert AuditEvent.objects.filter(action=Action.APPLICATION_WITHDRAWN).count() == 2
    assert not Permit.objects.exists()
