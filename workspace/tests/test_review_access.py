"""The review page asks departments.access who may open it."""

import pytest
from django.http import Http404

from workspace import selectors

pytestmark = pytest.mark.django_db


def test_the_review_page_of_a_deactivated_officer_does_not_exist(application, officers):
    review = application.reviews.get(department__code="health")
    person = officers["health"]
    assert selectors.review_for_officer(person, review.pk) == (review, "officer")
    person.is_active = False
    person.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        selectors.review_for_officer(person, review.pk)
