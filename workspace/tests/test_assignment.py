"""Supervisors assign and reassign open reviews, one or many at a time."""

import pytest
from django.urls import reverse

from approvals.assignment import SkipReason, review_assign, reviews_assign_bulk
from approvals.models import Notification, NotificationKind, Review, ReviewStatus
from audit.models import Action, AuditEvent
from core.errors import Conflict, NotAllowed, ValidationFailed
from departments.models import Department, Membership
from tests.factories import officer

from .queue_helpers import make_review

pytestmark = pytest.mark.django_db
S = ReviewStatus


def state(*reviews):
    """What an assignment may change, to assert that a refused one changed nothing."""
    return (
        [tuple(Review.objects.filter(pk=r.pk).values_list("status", "assignee_id", "version").get()) for r in reviews],
        AuditEvent.objects.filter(action=Action.REVIEW_ASSIGNED).count(),
        Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED).count(),
    )


@pytest.fixture
def dept(restaurant):
    return Department.objects.get(code="registration")


@pytest.fixture
def second(dept):
    return officer(dept, email="second.officer@example.gov")


def test_supervisor_assigns_a_pending_review(restaurant, officers, second):
    sup = officers["registration_supervisor"]
    review = make_review(restaurant, "registration")
    result = review_assign(review_id=review.pk, actor=sup, assignee_id=second.pk, ip="10.0.0.1")
    assert (result.status, result.assignee_id, result.version) == (S.IN_PROGRESS, second.pk, review.version + 1)
    event = AuditEvent.objects.get(action=Action.REVIEW_ASSIGNED)
    assert (event.actor_id, event.object_id, event.department_code, event.ip) == (sup.pk, str(review.pk),
                                                                                   "registration", "10.0.0.1")
    assert event.details == {"assignee": second.pk}
    assert event.application_id == review.application_id
    note = Notification.objects.get(kind=NotificationKind.REVIEW_ROUTED)
    assert (note.recipient_id, note.review_id) == (second.pk, review.pk)


def test_supervisor_reassigns_a_review_in_progress(restaurant, officers, second):
    sup, first = officers["registration_supervisor"], officers["registration"]
    review = make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=first)
    result = review_assign(review_id=review.pk, actor=sup, assignee_id=second.pk)
    assert (result.status, result.assignee_id, result.version) == (S.IN_PROGRESS, second.pk, review.version + 1)
    assert AuditEvent.objects.get(action=Action.REVIEW_ASSIGNED).details == {"assignee": second.pk, "previous": first.pk}
    # Assigning to the officer who already holds it changes nothing.
    before = state(review)
    review_assign(review_id=review.pk, actor=sup, assignee_id=second.pk)
    assert state(review) == before


def test_officer_cannot_assign_and_nothing_changes(restaurant, officers, second):
    review = make_review(restaurant, "registration")
    before = state(review)
    with pytest.raises(NotAllowed):
        review_assign(review_id=review.pk, actor=officers["registration"], assignee_id=second.pk)
    with pytest.raises(NotAllowed):
        reviews_assign_bulk(review_ids=[review.pk], actor=officers["registration"], assignee_id=second.pk)
    assert state(review) == before


def test_assignee_outside_the_department_is_refused(restaurant, officers):
    review = make_review(restaurant, "registration")
    before = state(review)
    with pytest.raises(ValidationFailed) as exc:
        review_assign(review_id=review.pk, actor=officers["registration_supervisor"], assignee_id=officers["health"].pk)
    assert "assignee" in exc.value.errors
    with pytest.raises(ValidationFailed):
        reviews_assign_bulk(review_ids=[review.pk], actor=officers["registration_supervisor"],
                            assignee_id=officers["health"].pk)
    assert state(review) == before


def test_inactive_officer_cannot_be_assigned(restaurant, officers, second):
    second.is_active = False
    second.save(update_fields=["is_active"])
    review = make_review(restaurant, "registration")
    with pytest.raises(ValidationFailed):
        review_assign(review_id=review.pk, actor=officers["registration_supervisor"], assignee_id=second.pk)


def test_another_departments_supervisor_does_not_see_the_review(restaurant, officers):
    review = make_review(restaurant, "registration")
    before = state(review)
    with pytest.raises(Review.DoesNotExist):
        review_assign(review_id=review.pk, actor=officers["health_supervisor"], assignee_id=officers["health"].pk)
    assert state(review) == before


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.CORRECTION_REQUESTED, S.WAITING, S.CANCELLED])
def test_only_open_reviews_are_assigned(restaurant, officers, second, status):
    review = make_review(restaurant, "registration", status=status)
    before = state(review)
    with pytest.raises(Conflict):
        review_assign(review_id=review.pk, actor=officers["registration_supervisor"], assignee_id=second.pk)
    assert state(review) == before


def test_bulk_assigns_the_open_ones_and_reports_the_rest(restaurant, officers, second):
    sup = officers["registration_supervisor"]
    pending = [make_review(restaurant, "registration") for _ in range(2)]
    held = make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=officers["registration"])
    already = make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=second)
    decided = make_review(restaurant, "registration", status=S.APPROVED)
    foreign = make_review(restaurant, "health")
    result = reviews_assign_bulk(
        review_ids=[p.pk for p in pending] + [held.pk, already.pk, decided.pk, foreign.pk, 10**9],
        actor=sup, assignee_id=second.pk,
    )
    assert result.assigned == sorted([pending[0].pk, pending[1].pk, held.pk])
    assert result.skipped == {already.pk: SkipReason.UNCHANGED, decided.pk: SkipReason.NOT_OPEN,
                              foreign.pk: SkipReason.NOT_FOUND, 10**9: SkipReason.NOT_FOUND}
    for review in [*pending, held]:
        review.refresh_from_db()
        assert (review.status, review.assignee_id) == (S.IN_PROGRESS, second.pk)
    foreign.refresh_from_db()
    assert (foreign.status, foreign.assignee_id) == (S.PENDING, None)
    assert AuditEvent.objects.filter(action=Action.REVIEW_ASSIGNED).count() == 3
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED, recipient=second).count() == 3


def test_bulk_skips_departments_the_actor_only_works_in(restaurant, officers, second):

    sup = officers["registration_supervisor"]
    Membership.objects.create(user=sup, department=Department.objects.get(code="tax"))  # officer there
    Membership.objects.create(user=second, department=Department.objects.get(code="tax"))
    tax = make_review(restaurant, "tax")
    mine = make_review(restaurant, "registration")
    result = reviews_assign_bulk(review_ids=[tax.pk, mine.pk], actor=sup, assignee_id=second.pk)
    assert result.assigned == [mine.pk]
    assert result.skipped == {tax.pk: SkipReason.NOT_SUPERVISOR}


# --- Through the queue ---------------------------------------------------------------------------


def test_assign_view(client, restaurant, officers, second):
    review = make_review(restaurant, "registration")
    back = reverse("departments:queue") + "?tab=pending"
    client.force_login(officers["registration_supervisor"])
    response = client.post(reverse("departments:assign", args=[review.pk]), {"assignee": second.pk, "next": back})
    assert response.status_code == 302 and response.url == back
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == (S.IN_PROGRESS, second.pk)
    response = client.post(reverse("departments:assign", args=[review.pk]), {"assignee": "abc"}, follow=True)
    assert "Choose an officer to assign the review to." in response.content.decode()


def test_assign_view_refuses_an_officer_and_changes_nothing(client, restaurant, officers, second):
    review = make_review(restaurant, "registration")
    before = state(review)
    client.force_login(officers["registration"])
    response = client.post(reverse("departments:assign", args=[review.pk]), {"assignee": second.pk}, follow=True)
    assert "Only a supervisor of the department can assign its reviews." in response.content.decode()
    assert state(review) == before


def test_assign_view_of_another_department_is_a_404(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    before = state(review)
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:assign", args=[review.pk]), {"assignee": officers["health"].pk})
    assert response.status_code == 404
    assert state(review) == before


def test_assign_view_outside_the_department(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    before = state(review)
    client.force_login(officers["registration_supervisor"])
    response = client.post(reverse("departments:assign", args=[review.pk]), {"assignee": officers["health"].pk},
                           follow=True)
    assert "Choose an officer of the review&#x27;s department." in response.content.decode()
    assert state(review) == before


def test_bulk_assign_view_reports_assigned_and_skipped(client, restaurant, officers, second):
    pending = [make_review(restaurant, "registration") for _ in range(2)]
    decided = make_review(restaurant, "registration", status=S.APPROVED)
    client.force_login(officers["registration_supervisor"])
    response = client.post(reverse("departments:assign_bulk"), {
        "review": [pending[0].pk, pending[1].pk, decided.pk], "assignee": second.pk,
        "next": reverse("departments:queue") + "?tab=in_progress",
    }, follow=True)
    html = response.content.decode()
    assert "2 reviews assigned." in html
    assert f"1 review skipped (no longer open, already with that officer, or not yours to assign): " \
           f"{decided.application.reference}." in html
    assert response.redirect_chain[-1][0] == reverse("departments:queue") + "?tab=in_progress"
    assert sorted(ids.pk for ids in response.context["reviews"]) == sorted(p.pk for p in pending)


@pytest.mark.parametrize("data", [{"assignee": "1"}, {"review": ["x"], "assignee": "1"}, {"review": ["1"]}])
def test_bulk_assign_view_bad_input_is_a_message(client, restaurant, officers, data):
    client.force_login(officers["registration_supervisor"])
    response = client.post(reverse("departments:assign_bulk"), data)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=Action.REVIEW_ASSIGNED).count() == 0
