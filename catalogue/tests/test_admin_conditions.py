"""Conditions edited in the admin (fields, reviews, a service's sections): checked as catalogue
files are, a clear error and nothing saved when wrong, a new version when right."""

import pytest

from catalogue.models import Field, Requirement, Service
from departments.models import Department

from .conftest import state
from .test_admin import change_url, form_data, inline_index, versions

pytestmark = pytest.mark.django_db


def restaurant_data(client):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    data = form_data(client.get(change_url(restaurant)))
    return restaurant, data, inline_index(data, "requirements", Department.objects.get(code="fire"))


def reviews_formset(response):
    return next(inline.formset for inline in response.context["inline_admin_formsets"]
                if inline.formset.prefix == "requirements")


def test_a_review_made_under_a_condition_publishes_a_version(base, admin_client):
    restaurant, data, fire = restaurant_data(admin_client)
    data[f"requirements-{fire}-when"] = '{"seats": {"gt": 50}}'
    data[f"requirements-{fire}-not_needed"] = '{"en": "Not needed: 50 seats or fewer", "zh-hans": "无需：座位不超过50个"}'

    response = admin_client.post(change_url(restaurant), data, follow=True)

    assert "New versions published: open-a-restaurant v2" in response.content.decode()
    fire_review = restaurant.requirements.get(department__code="fire")
    assert (fire_review.when, fire_review.not_needed) == (
        {"seats": {"gt": 50}}, {"en": "Not needed: 50 seats or fewer", "zh-hans": "无需：座位不超过50个"})
    restaurant.refresh_from_db()
    assert restaurant.current_version.schema["reviews"][2]["when"] == {"seats": {"gt": 50}}


@pytest.mark.parametrize(("when", "not_needed", "errors"), [
    ('{"seats": {"gt": "fifty"}}', "", ["when.seats: field 'seats': 'fifty' is not a whole number"]),
    ('{"any": [{"seats": {"gt": 50}}, {"cuisine": "thai"}]}', "",
     ["when.any[1].cuisine: field 'cuisine': 'thai' is not one of its choices (chinese, western)"]),
    ('{"opening_date": {"is_set": true}}', "",
     ["when.opening_date: field 'opening_date' is not asked by this service's form (list it in a review's fields)"]),
    ('{"seats": ', "", ["Enter a valid JSON."]),
    ("", '{"en": "Not needed"}', None),
])
def test_an_invalid_review_condition_is_refused(base, admin_client, when, not_needed, errors):
    restaurant, data, fire = restaurant_data(admin_client)
    data[f"requirements-{fire}-when"] = when
    data[f"requirements-{fire}-not_needed"] = not_needed
    before = state()

    response = admin_client.post(change_url(restaurant), data)

    assert response.status_code == 200
    form_errors = reviews_formset(response).forms[fire].errors
    if errors is None:
        assert form_errors["not_needed"] == [
            "says why the review is not needed when its condition does not hold: give the condition (when) too",
            "missing zh-hans translation"]
    else:
        assert form_errors["when"] == errors
    assert state() == before


def test_every_review_under_a_condition_is_refused(base, admin_client):
    restaurant, data, _fire = restaurant_data(admin_client)
    for i in range(int(data["requirements-TOTAL_FORMS"])):
        data[f"requirements-{i}-when"] = '{"seats": {"gt": 50}}'
    before = state()

    response = admin_client.post(change_url(restaurant), data)

    assert reviews_formset(response).non_form_errors() == [
        "reviews: every review of this service has a condition: at least one must always apply"]
    assert state() == before


def test_a_section_asked_under_a_condition_is_frozen_into_its_fields(base, admin_client):
    restaurant, data, _fire = restaurant_data(admin_client)
    data["sections"] = '[{"title": {"en": "Documents", "zh-hans": "材料"}, "when": {"seats": {"gt": 10}}}]'

    assert admin_client.post(change_url(restaurant), data).status_code == 302

    restaurant.refresh_from_db()
    assert restaurant.sections == [{"title": {"en": "Documents", "zh-hans": "材料"}, "when": {"seats": {"gt": 10}}}]
    fields = {f["key"]: f.get("when") for f in restaurant.current_version.schema["fields"]}
    assert fields["floor_plan"] == {"seats": {"gt": 10}}
    assert fields["seats"] is None


@pytest.mark.parametrize(("sections", "where", "errors"), [
    ('[{"title": {"en": "Nowhere"}, "when": {"seats": {"gt": 10}}}]', "reviews",
     ["sections[0].title: no field of this service's form is in the section 'Nowhere'"]),
    ('[{"title": {"en": "Your business"}, "when": {"seats": {"gt": 10}}}]', "reviews",
     ["sections[0].when.seats: field 'seats' is not asked on an earlier page of this service's form"]),
    ('[{"title": "Documents"}]', "service",
     ["sections[0].when: is required", "sections[0].title: must be translations, e.g. {en: ..., zh-hans: ...}"]),
    ('{"Documents": {"seats": 1}}', "service", ["sections: must be a list"]),
])
def test_an_invalid_section_is_refused(base, admin_client, sections, where, errors):
    restaurant, data, _fire = restaurant_data(admin_client)
    data["sections"] = sections
    before = state()

    response = admin_client.post(change_url(restaurant), data)

    assert response.status_code == 200
    if where == "service":
        assert response.context["adminform"].form.errors["sections"] == errors
    else:
        assert reviews_formset(response).non_form_errors() == errors
    assert state() == before


def test_a_field_asked_under_a_condition_publishes_the_services_asking_it(base, admin_client):
    floor_plan = Field.objects.get(key="floor_plan")
    data = form_data(admin_client.get(change_url(floor_plan)))
    data["when"] = '{"seats": {"gt": 10}}'

    response = admin_client.post(change_url(floor_plan), data, follow=True)

    assert "New versions published: open-a-restaurant v2" in response.content.decode()
    assert versions() == {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1}
    schema = Service.objects.get(slug="open-a-restaurant").current_version.schema
    assert [f.get("when") for f in schema["fields"] if f["key"] == "floor_plan"] == [{"seats": {"gt": 10}}]


@pytest.mark.parametrize(("key", "when", "errors"), [
    ("floor_plan", '{"seets": {"gt": 10}}', ["floor_plan.when.seets: unknown field 'seets'"]),
    ("floor_plan", '{"seats": {"contains": 10}}', ["floor_plan.when.seats: field 'seats' (integer) cannot be tested with "
                                                    "'contains'"]),
    ("floor_plan", '{"floor_plan": {"is_set": true}}',
     ["floor_plan.when: the conditions of fields depend on each other in a cycle: floor_plan → floor_plan"]),
    ("cuisine", '{"seats": {"gt": 10}}',
     ["open-a-restaurant: reviews[0].fields[1]: cuisine is asked only when its condition holds, and it reads seats, "
      "which this service's form does not ask on an earlier page"]),
    ("cuisine", "[1, 2", ["Enter a valid JSON."]),
])
def test_an_invalid_field_condition_is_refused(base, admin_client, key, when, errors):
    field = Field.objects.get(key=key)
    data = form_data(admin_client.get(change_url(field)))
    data["when"] = when
    before = state()

    response = admin_client.post(change_url(field), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["when"] == errors
    assert state() == before
    assert not Requirement.objects.exclude(when={}).exists()
