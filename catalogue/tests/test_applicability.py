"""What applies to given answers: the questions asked and the reviews made."""

import pytest
from django.utils import translation

from catalogue.applicability import applicable_answers, applied, asked_when
from catalogue.schema import Schema
from tests.factories import restaurant_service

pytestmark = pytest.mark.django_db
FIRE_WHEN = {"seats": {"gt": 50}}


@pytest.fixture
def schema():
    service = restaurant_service(review_when={"fire": FIRE_WHEN}, field_when={"site_address": {"cuisine": "western"}})
    return Schema(service.current_version.schema)


def test_a_small_restaurant_is_not_asked_what_only_the_fire_review_needs(schema):
    with translation.override("en"):
        result = applied(schema, {"business_name": "Noodles", "cuisine": "chinese", "seats": 20})
    assert result.asked == ("business_name", "cuisine", "seats", "floor_plan")
    assert result.departments == ["registration", "health", "tax"]
    assert [(review["department"], why) for review, why in result.not_needed] == [("fire", "Seats is 50 or less")]


def test_a_large_one_is(schema):
    result = applied(schema, {"business_name": "Hotpot Hall", "cuisine": "western", "seats": 80})
    assert result.asked == ("business_name", "cuisine", "seats", "site_address", "floor_plan")
    assert result.departments == ["registration", "health", "tax", "fire"]
    assert result.not_needed == ()


def test_a_question_s_own_condition_holds_too(schema):
    result = applied(schema, {"business_name": "Hotpot Hall", "cuisine": "chinese", "seats": 80})
    assert result.asked == ("business_name", "cuisine", "seats", "floor_plan")
    assert result.departments == ["registration", "health", "tax", "fire"]


def test_before_seats_are_known_what_may_be_needed_is_asked(schema):
    result = applied(schema, {"business_name": "Noodles", "cuisine": "western"})
    assert "site_address" in result.asked
    assert result.departments == ["registration", "health", "tax"]


def test_answers_of_questions_not_asked_decide_nothing_and_are_dropped(schema):
    values = {"business_name": "Noodles", "cuisine": "chinese", "seats": 20, "site_address": "1 Long Street"}
    assert applicable_answers(schema, values) == {"business_name": "Noodles", "cuisine": "chinese", "seats": 20}


def test_the_catalogue_s_own_words_of_why_not_needed(db):
    from catalogue.models import Requirement

    service = restaurant_service(slug="worded", review_when={"fire": FIRE_WHEN})
    Requirement.objects.filter(service=service, department__code="fire").update(
        not_needed={"en": "Fire safety review not needed: 50 seats or fewer", "zh-hans": "座位数不超过50，无需消防审核"})
    from catalogue.schema import build_schema

    schema = Schema(build_schema(service))
    with translation.override("zh-hans"):
        assert applied(schema, {"seats": 20}).not_needed[0][1] == "座位数不超过50，无需消防审核"


def test_when_each_question_asked_only_sometimes_is_asked(schema):
    # site_address: its own condition, and only the fire review, made above 50 seats, lists it.
    assert asked_when(schema) == {"site_address": {"all": [{"cuisine": "western"}, FIRE_WHEN]}}


def test_a_question_several_conditional_reviews_need_is_asked_when_one_of_them_applies(db):
    service = restaurant_service(review_when={"fire": FIRE_WHEN, "health": {"cuisine": "western"}})
    # floor_plan: health's and fire's; seats: health's and fire's; business_name: registration's too.
    assert asked_when(Schema(service.current_version.schema)) == {
        "seats": {"any": [{"cuisine": "western"}, FIRE_WHEN]},
        "site_address": FIRE_WHEN,
        "floor_plan": {"any": [{"cuisine": "western"}, FIRE_WHEN]},
    }


def test_a_question_a_filing_needs_is_asked_on_its_own_condition_only(db):
    service = restaurant_service(review_when={"fire": FIRE_WHEN}, filings=[("subdistrict", ["site_address"], [])])
    assert asked_when(Schema(service.current_version.schema)) == {}
