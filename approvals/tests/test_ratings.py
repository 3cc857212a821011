"""Rating the service (好差评): once per application, after a final decision; low ratings are
flagged to the supervisors of the departments that reviewed it."""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from approvals import ratings, workflow
from approvals.models import Application, ApplicationStatus, Notification, NotificationKind, Rating
from approvals.notifications import build_email
from approvals.selectors import ratings_for_department
from audit.models import Action, AuditEvent
from citizen.views import feedback_context
from core.errors import InvalidTransition, ValidationFailed
from departments.models import Department
from tests.factories import UserFactory
from tests.rectification_fixtures import decide

pytestmark = pytest.mark.django_db


def snapshot():
    return (Rating.objects.count(), Notification.objects.filter(kind=NotificationKind.LOW_RATING).count(),
            AuditEvent.objects.filter(action=Action.RATING_GIVEN).count())


def test_low_rating_is_flagged_to_supervisors_of_the_reviewing_departments(rejected, citizen, officers):
    rating = ratings.rating_give(application_id=rejected.pk, actor=citizen, score=2, comment="  Too slow.  ",
                                 ip="198.51.100.4")
    rating.refresh_from_db()
    assert (rating.application_id, rating.rated_by_id, rating.score, rating.comment) == (
        rejected.pk, citizen.pk, 2, "Too slow.")
    flagged = Notification.objects.filter(kind=NotificationKind.LOW_RATING).select_related("review__department")
    assert sorted((n.recipient_id, n.review.department.code, n.params["score"]) for n in flagged) == sorted([
        (officers["registration_supervisor"].pk, "registration", 2),
        (officers["health_supervisor"].pk, "health", 2),
    ])
    assert all(n.application_id == rejected.pk for n in flagged)
    email = build_email(next(n for n in flagged if n.review.department.code == "health"))
    assert email.to == [officers["health_supervisor"].email]
    assert email.subject == f"[{rejected.reference}] Low rating from an applicant"
    assert (f"The applicant of application {rejected.reference}, which your department reviewed, "
            "rated the service 2 out of 5.") in email.body
    assert reverse("departments:review", args=[rejected.reviews.get(department__code="health").pk]) in email.body
    event = AuditEvent.objects.get(action=Action.RATING_GIVEN)
    assert (event.actor_id, event.subject_id, event.application_id, event.object_type, event.object_id) == (
        citizen.pk, citizen.pk, rejected.pk, "rating", str(rating.pk))
    assert (event.details, event.ip) == ({"score": 2}, "198.51.100.4")


@pytest.mark.parametrize("score", [3, 4, 5])
def test_other_ratings_are_not_flagged(rejected, citizen, score):
    ratings.rating_give(application_id=rejected.pk, actor=citizen, score=score)
    assert Rating.objects.get().score == score
    assert not Notification.objects.filter(kind=NotificationKind.LOW_RATING).exists()


def test_a_score_of_one_flags_every_department_of_an_approved_application(submit, citizen, officers):
    application = submit()
    for code in ("registration", "health", "tax", "fire"):
        decide(application, officers, code)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    ratings.rating_give(application_id=application.pk, actor=citizen, score=1)
    assert sorted(Notification.objects.filter(kind=NotificationKind.LOW_RATING).values_list("recipient_id", flat=True)) == sorted(
        officers[f"{code}_supervisor"].pk for code in ("registration", "health", "tax", "fire"))


def test_rating_twice_is_refused_and_keeps_the_first(rejected, citizen):
    ratings.rating_give(application_id=rejected.pk, actor=citizen, score=4, comment="Fine")
    before = snapshot()
    with pytest.raises(InvalidTransition) as again:
        ratings.rating_give(application_id=rejected.pk, actor=citizen, score=1)
    assert str(again.value.message) == "You have already rated the service for this application."
    assert snapshot() == before
    assert list(Rating.objects.values_list("score", "comment")) == [(4, "Fine")]


def test_rating_is_refused_before_a_final_decision(submit, restaurant, citizen, officers):
    in_review = submit()
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    withdrawn = submit()
    workflow.application_withdraw(application_id=withdrawn.pk, actor=citizen)
    correcting = submit()
    decide(correcting, officers, "health", "correction", correction_fields=["seats"], message="Count again")
    before = snapshot()
    for application in (in_review, draft, withdrawn, correcting):
        with pytest.raises(InvalidTransition) as refused:
            ratings.rating_give(application_id=application.pk, actor=citizen, score=5)
        assert str(refused.value.message) == (
            "You can rate the service once a final decision has been made on your application.")
    assert snapshot() == before


@pytest.mark.parametrize(("score", "comment", "errors"), [
    (0, "", {"score": ["Choose a score from 1 to 5."]}),
    (6, "", {"score": ["Choose a score from 1 to 5."]}),
    ("5", "", {"score": ["Choose a score from 1 to 5."]}),
    (True, "", {"score": ["Choose a score from 1 to 5."]}),
    (3, "c" * 1001, {"comment": ["Keep your comment to 1000 characters or fewer (it has 1001)."]}),
])
def test_invalid_rating_is_refused(rejected, citizen, score, comment, errors):
    with pytest.raises(ValidationFailed) as refused:
        ratings.rating_give(application_id=rejected.pk, actor=citizen, score=score, comment=comment)
    assert refused.value.errors == errors
    assert snapshot() == (0, 0, 0)


def test_another_citizen_cannot_rate(rejected):
    with pytest.raises(Application.DoesNotExist):
        ratings.rating_give(application_id=rejected.pk, actor=UserFactory(email="stranger@example.org"), score=1)
    assert snapshot() == (0, 0, 0)


def test_database_constraints(rejected, citizen):
    for score in (0, 6):
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(application=rejected, rated_by=citizen, score=score)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(application=rejected, rated_by=citizen, score=3, comment="c" * 1001)
    Rating.objects.create(application=rejected, rated_by=citizen, score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(application=rejected, rated_by=citizen, score=4)
    assert Rating.objects.count() == 1


def test_ratings_per_department_follow_the_reviews(rejected, citizen):
    rating = ratings.rating_give(application_id=rejected.pk, actor=citizen, score=3)
    by_code = {code: list(ratings_for_department(Department.objects.get(code=code).pk))
               for code in ("registration", "health", "tax", "fire")}
    assert by_code == {"registration": [rating], "health": [rating], "tax": [], "fire": []}


def test_feedback_context_offers_the_form_only_when_rating_is_possible(submit, rejected, citizen):
    assert feedback_context(submit(), citizen)["rating_form"] is None
    context = feedback_context(rejected, citizen)
    assert context["rating"] is None
    assert list(context["rating_form"].fields) == ["score", "comment"]
    request = RequestFactory().get("/")
    request.user = citizen
    html = render_to_string("approvals/includes/rating.html", {"application": rejected, **context}, request=request)
    assert reverse("approvals:rate", args=[rejected.pk]) in html
    assert "How satisfied are you with this service?" in html

    rating = ratings.rating_give(application_id=rejected.pk, actor=citizen, score=4, comment="Quick & clear")
    context = feedback_context(rejected, citizen)
    assert (context["rating"], context["rating_form"]) == (rating, None)
    html = render_to_string("approvals/includes/rating.html", {"application": rejected, **context}, request=request)
    assert "You rated this service 4 out of 5." in html
    assert "Quick &amp; clear" in html
    assert "<form" not in html


# --- Through the web -----------------------------------------------------------------------------


def test_citizen_rates_from_the_application_page(client, rejected, citizen):
    client.force_login(citizen)
    response = client.post(reverse("approvals:rate", args=[rejected.pk]), {"score": "5", "comment": "Helpful staff"})
    assert response.status_code == 302
    assert response.url == reverse("approvals:detail", args=[rejected.pk]) + "#rating"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Thank you for rating the service."]
    assert list(Rating.objects.values_list("application_id", "rated_by_id", "score", "comment")) == [
        (rejected.pk, citizen.pk, 5, "Helpful staff")]

    response = client.post(reverse("approvals:rate", args=[rejected.pk]), {"score": "1"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "You have already rated the service for this application.")
    assert list(Rating.objects.values_list("score", flat=True)) == [5]


@pytest.mark.parametrize(("data", "error"), [
    ({"score": "0"}, "Select a valid choice. 0 is not one of the available choices."),
    ({"score": "6"}, "Select a valid choice. 6 is not one of the available choices."),
    ({"score": "abc"}, "Select a valid choice. abc is not one of the available choices."),
    ({}, "This field is required."),
    ({"score": "3", "comment": "c" * 1001}, "Ensure this value has at most 1000 characters (it has 1001)."),
])
def test_invalid_rating_form_shows_the_error(client, rejected, citizen, data, error):
    client.force_login(citizen)
    response = client.post(reverse("approvals:rate", args=[rejected.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert error in page
    assert snapshot() == (0, 0, 0)


def test_rating_before_the_decision_gives_a_clear_message(client, submit, citizen):
    application = submit()
    client.force_login(citizen)
    response = client.post(reverse("approvals:rate", args=[application.pk]), {"score": "4"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You can rate the service once a final decision has been made on your application."]
    assert snapshot() == (0, 0, 0)


def test_rating_another_citizens_application_is_404_and_logged(client, rejected):
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    assert client.post(reverse("approvals:rate", args=[rejected.pk]), {"score": "1"}).status_code == 404
    assert client.get(reverse("approvals:rate", args=[rejected.pk])).status_code == 405
    assert snapshot() == (0, 0, 0)
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.object_type, denied.object_id) == (stranger.pk, "application", str(rejected.pk))
