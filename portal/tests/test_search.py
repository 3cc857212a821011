"""Finding a service by what the citizen wants to do, in English or Chinese."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import Service
from catalogue.selectors import search_services, search_terms
from catalogue.tests.conftest import DEMO
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_catalogue", str(DEMO), verbosity=0)


def slugs(query):
    return [s.slug for s in search_services(query)]


def test_terms():
    assert search_terms("I want to open a Restaurant") == ["open", "restaurant"]
    assert search_terms("restaurants") == ["restaurant"]
    assert search_terms("开办餐饮店") == ["开办", "办餐", "餐饮", "饮店"]
    assert search_terms("  ") == []


@pytest.mark.parametrize("query, first", [
    ("open a restaurant", "open-a-restaurant"),
    ("I want to open a restaurant", "open-a-restaurant"),
    ("Restaurants", "open-a-restaurant"),
    ("开办餐饮店", "open-a-restaurant"),
    ("我想开餐饮店", "open-a-restaurant"),
    ("shop sign", "renovate-a-shop-front"),
    ("concert", "host-a-public-event"),  # in the description
    ("企业开办", "open-a-restaurant"),  # the life event, in Chinese
])
def test_matches_name_description_and_life_event_in_both_languages(demo, query, first):
    assert slugs(query)[0] == first


def test_every_term_must_match_when_some_service_matches_all(demo):
    assert slugs("open a restaurant") == ["open-a-restaurant"]
    assert set(slugs("starting a business")) >= {"open-a-restaurant", "open-a-retail-shop"}


def test_inactive_services_are_not_found(demo):

    Service.objects.filter(slug="open-a-restaurant").update(is_active=False)
    assert "open-a-restaurant" not in slugs("restaurant")


def test_results_page(client, demo):
    page = client.get(reverse("search"), {"q": "open a restaurant"}).content.decode()
    assert "1 service found" in page
    assert f'href="{reverse("service_detail", args=["open-a-restaurant"])}"' in page
    assert 'value="open a restaurant"' in page


def test_no_result(client, demo):
    response = client.get(reverse("search"), {"q": "<b>spaceport</b>"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "0 services found" in page
    assert "No service matches “&lt;b&gt;spaceport&lt;/b&gt;”." in page


@pytest.mark.parametrize("query, message", [
    ("", "Enter what you want to do"),
    ("   ", "Enter what you want to do"),
    ("x" * 101, "Enter 100 characters or fewer."),
])
def test_empty_or_too_long_query_is_explained(client, demo, query, message):
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert '<a href="#search-q">' in page
    assert 'aria-invalid="true"' in page


def test_search_page_without_a_query_and_the_home_page_box(client, demo):
    assert client.get(reverse("search")).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("search")}"' in home and 'name="q"' in home


def test_service_page_shows_fee_validity_and_a_post_start_button(client, demo):

    client.force_login(UserFactory(email="applicant@example.org"))
    page = client.get(reverse("service_detail", args=["open-a-restaurant"])).content.decode()
    assert "Free" in page
    assert "Restaurant operating permit (valid for 5 years)" in page
    assert f'<form method="post" action="{reverse("approvals:start", args=["open-a-restaurant"])}">' in page
