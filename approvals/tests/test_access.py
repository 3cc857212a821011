"""The access rules: who may withdraw, claim, release and decide, and the services keep to them."""

import pytest

from approvals import workflow
from approvals.access import may_claim, may_decide, may_release, may_withdraw
from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
from core.errors import Conflict
from tests.factories import officer

WITHDRAWABLE = {"draft", "awaiting_payment", "in_review", "needs_correction"}  # awaiting payment: before paying
HOLDER, OTHER = 7, 8
ROLES = {"holder": ("officer", HOLDER), "other officer": ("officer", OTHER), "supervisor": ("supervisor", OTHER),
         "not a member": (None, HOLDER)}


@pytest.mark.parametrize("status", ApplicationStatus.values)
def test_withdrawing_is_open_for_a_draft_or_an_undecided_application(status):
    assert may_withdraw(Application(status=status)) is (status in WITHDRAWABLE)


@pytest.mark.parametrize("status", ReviewStatus.values)
@pytest.mark.parametrize("who", ROLES)
def test_claim_release_and_decide_by_status_and_role(status, who):
    role, actor_id = ROLES[who]
    review = Review(status=status, assignee_id=HOLDER if status == "in_progress" else None)
    member = role is not None
    assert may_claim(review, role=role) is (member and status == "pending")
    assert may_release(review, actor_id=actor_id, role=role) is (
        status == "in_progress" and who in ("holder", "supervisor"))
    assert may_decide(review, actor_id=actor_id, role=role) is (
        member and (status == "pending" or (status == "in_progress" and who != "other officer")))


@pytest.mark.django_db
def test_the_workflow_releases_and_decides_as_the_rules_say(submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")
    workflow.review_claim(review_id=review.pk, actor=officers["health"])
    other = officer(review.department, email="second.health@example.gov")
    with pytest.raises(Conflict):
        workflow.review_release(review_id=review.pk, actor=other)
    with pytest.raises(Conflict):
        workflow.review_decide(review_id=review.pk, actor=other, decision="approve")
    released = workflow.review_release(review_id=review.pk, actor=officers["health_supervisor"])
    assert (released.status, released.assignee_id) == (ReviewStatus.PENDING, None)
