"""The public catalogue API gives each condition of a service's form as data and in words."""

import pytest

from catalogue.models import Requirement
from catalogue.schema import service_publish
from tests.factories import restaurant_service

from .conftest import Api

pytestmark = pytest.mark.django_db

FIRE_WHEN = {"any": [{"seats": {"gt": 50}}, {"cuisine": "western"}]}


@pytest.fixture
def conditional():
    service = restaurant_service(field_when={"floor_plan": {"seats": {"gt": 10}}}, review_when={"fire": FIRE_WHEN})
    Requirement.objects.filter(service=service, department__code="fire").update(
        not_needed={"en": "Fire review not needed: a small Chinese restaurant", "zh-hans": "无需消防审核：小型中餐馆"})
    service_publish(service=service)
    return service


@pytest.mark.parametrize(("language", "field_words", "review_words", "not_needed"), [
    ("en", "Seats is more than 10", "Seats is more than 50 or Cuisine is Western",
     "Fire review not needed: a small Chinese restaurant"),
    ("zh-hans", "seats超过10", "seats超过50或cuisine为西餐", "无需消防审核：小型中餐馆"),
])
def test_conditions_are_given_as_data_and_in_words(conditional, language, field_words, review_words, not_needed):
    detail = Api().get("/api/v1/services/open-a-restaurant/", HTTP_ACCEPT_LANGUAGE=language).json()

    fields = {f["key"]: f for f in detail["fields"]}
    assert (fields["floor_plan"]["when"], fields["floor_plan"]["when_text"]) == ({"seats": {"gt": 10}}, field_words)
    assert [key for key, f in fields.items() if "when" in f or "when_text" in f] == ["floor_plan"]
    reviews = {r["department"]: r for r in detail["reviews"]}
    assert (reviews["fire"]["when"], reviews["fire"]["when_text"], reviews["fire"]["not_needed"]) == (
        FIRE_WHEN, review_words, not_needed)
    assert [code for code, r in reviews.items() if {"when", "when_text", "not_needed"} & set(r)] == ["fire"]


def test_a_service_without_conditions_has_no_condition_keys(db):
    restaurant_service()

    detail = Api().get("/api/v1/services/open-a-restaurant/").json()

    assert not any({"when", "when_text", "not_needed"} & set(entry) for entry in [*detail["fields"], *detail["reviews"]])


def test_the_openapi_description_names_the_conditions(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    assert {"when", "when_text"} <= set(components["CatalogueField"]["properties"])
    assert {"when", "when_text", "not_needed"} <= set(components["CatalogueReview"]["properties"])
    assert "when" not in components["CatalogueField"].get("required", [])
