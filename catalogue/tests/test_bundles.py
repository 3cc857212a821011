"""A bundle's combined form: each shared question once, members under conditions, and what it
saves the citizen against one application per service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.applicability import applied
from catalogue.bundles import BundleMeasure, bundle_measure, bundle_schema
from catalogue.models import Bundle, BundleMember
from tests.factories import restaurant_service

pytestmark = pytest.mark.django_db
SIGN_REVIEWS = [("urban", 1, 5, ["business_name", "site_address"]), ("planning", 1, 5, ["site_address", "floor_plan"])]


@pytest.fixture
def bundle():
    restaurant = restaurant_service(slug="restaurant", review_when={"fire": {"seats": {"gt": 50}}})
    sign = restaurant_service(slug="sign", reviews=SIGN_REVIEWS)
    bundle = Bundle.objects.create(slug="open-a-restaurant", name={"en": "Open a restaurant"},
                                   life_event={"en": "Starting a business"})
    BundleMember.objects.create(bundle=bundle, service=restaurant, position=0)
    BundleMember.objects.create(bundle=bundle, service=sign, position=1, when={"cuisine": "western"},
                                depends_on=["restaurant"])
    return bundle


def test_the_combined_form_asks_each_shared_question_once(bundle):
    with CaptureQueriesContext(connection) as queries:
        combined = bundle_schema(bundle)
    assert len(queries) == 2
    assert [spec["key"] for spec in combined.fields] == [
        "business_name", "cuisine", "seats", "site_address", "floor_plan"]
    assert [(r["service"], r["department"], r.get("when")) for r in combined.reviews] == [
        ("restaurant", "registration", None), ("restaurant", "health", None), ("restaurant", "tax", None),
        ("restaurant", "fire", {"seats": {"gt": 50}}),
        ("sign", "urban", {"cuisine": "western"}), ("sign", "planning", {"cuisine": "western"}),
    ]
    assert combined.data["members"][1]["depends_on"] == ["restaurant"]


def test_a_member_that_does_not_apply_asks_nothing_of_its_own(bundle):
    combined = bundle_schema(bundle)
    result = applied(combined, {"business_name": "Noodles", "cuisine": "chinese", "seats": 20})
    assert result.asked == ("business_name", "cuisine", "seats", "floor_plan")
    assert [(r["service"], r["department"]) for r in result.reviews] == [
        ("restaurant", "registration"), ("restaurant", "health"), ("restaurant", "tax")]


def test_what_the_bundle_saves(bundle):
    combined = bundle_schema(bundle)
    assert bundle_measure(combined) == BundleMeasure(questions_together=5, questions_separately=8,
                                                     submissions_together=1, submissions_separately=2)
    large = {"business_name": "Steak House", "cuisine": "western", "seats": 80}
    assert bundle_measure(combined, large) == BundleMeasure(questions_together=5, questions_separately=8,
                                                            submissions_together=1, submissions_separately=2)
    small = {"business_name": "Noodles", "cuisine": "chinese", "seats": 20}
    assert bundle_measure(combined, small) == BundleMeasure(questions_together=4, questions_separately=4,
                                                            submissions_together=1, submissions_separately=1)
    assert bundle_measure(combined).questions_saved == 3


def test_a_question_decided_by_a_later_page_moves_after_that_page(restaurant_bundle):
    """The sign permit's company register questions sit on "Your business"; the sign permit applies
    only when "Will you put up a shop sign?", on "The site", says yes: they are asked after it."""
    combined = bundle_schema(restaurant_bundle)
    pages = [(title, [spec["key"] for spec in specs]) for title, specs in combined.sections()]
    assert [title for title, _keys in pages] == [
        "Applicant", "Your business", "The site", "Your business (continued)", "Shop sign", "Documents"]
    assert pages[3][1] == ["unified_social_credit_code", "company_registered_name", "company_registered_address"]
    assert pages[2][1][-1] == "plans_sign"
    no_sign = applied(combined, {"plans_sign": False, "seating_capacity": 20, "uses_gas": False})
    assert not {"unified_social_credit_code", "company_registered_name", "sign_text"} & set(no_sign.asked)
    sign = applied(combined, {"plans_sign": True, "seating_capacity": 20, "uses_gas": False})
    assert {"unified_social_credit_code", "company_registered_name", "sign_text"} <= set(sign.asked)
