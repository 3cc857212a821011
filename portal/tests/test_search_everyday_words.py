"""Search finds the words people type: synonyms from the catalogue and typing mistakes, in
English and Chinese, ranked with an exact name first. The matching runs in Python over the
active services, so it is the same on every database: the last tests run it without one."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue import selectors
from catalogue.models import Service
from catalogue.selectors import allowed_edits, search_services
from catalogue.tests.conftest import DEMO


@pytest.fixture
def demo(db):
    call_command("load_catalogue", str(DEMO), verbosity=0)


def slugs(query):
    return [s.slug for s in search_services(query)]


@pytest.mark.parametrize(("query", "expected"), [
    # Synonyms, in both languages.
    ("餐厅", ["open-a-restaurant"]),
    ("饭店", ["open-a-restaurant"]),
    ("eatery", ["open-a-restaurant"]),
    ("snack bar", ["open-a-restaurant"]),
    ("便利店", ["open-a-retail-shop"]),
    ("supermarket", ["open-a-retail-shop"]),
    ("factory", ["register-a-small-manufacturer"]),
    ("招牌", ["renovate-a-shop-front"]),
    ("演唱会", ["host-a-public-event"]),
    ("外摆", ["outdoor-seating"]),
    ("terrace", ["outdoor-seating"]),
    # Typing mistakes (outdoor seating is for a restaurant too, after it).
    ("restuarant", ["open-a-restaurant", "outdoor-seating"]),
    ("open a restuarant", ["open-a-restaurant"]),
    ("resturant", ["open-a-restaurant", "outdoor-seating"]),
    ("restraunt", ["open-a-restaurant", "outdoor-seating"]),
    ("supermakret", ["open-a-retail-shop"]),
    ("factroy", ["register-a-small-manufacturer"]),
    ("exibition", ["host-a-public-event"]),
    ("开办餐钦店", ["open-a-restaurant"]),  # one wrong character
    ("举办大型群众性活栋", ["host-a-public-event"]),
    # A word is matched from its start: "shop" is not in "workshop".
    ("shop", ["open-a-retail-shop", "renovate-a-shop-front"]),
    ("front", ["renovate-a-shop-front"]),
    # Short words must be exact: "stop" is not "shop".
    ("stop", []),
    ("spaceport", []),
])
def test_synonyms_and_typing_mistakes_on_the_demo_catalogue(demo, query, expected):
    assert slugs(query) == expected


def test_results_page_finds_a_misspelt_service(client, demo):
    page = client.get(reverse("search"), {"q": "restuarant"}).content.decode()
    assert "2 services found" in page
    assert f'href="{reverse("service_detail", args=["open-a-restaurant"])}"' in page


def test_synonyms_edited_later_are_found(demo):
    Service.objects.filter(slug="open-a-retail-shop").update(synonyms={"en": ["bookshop"], "zh-hans": ["书店"]})
    assert slugs("书店") == ["open-a-retail-shop"]
    assert slugs("bookshop") == ["open-a-retail-shop"]
    assert slugs("supermarket") == []


@pytest.mark.parametrize(("term", "edits"), [
    ("shop", 0), ("store", 1), ("festival", 2), ("restaurant", 2), ("餐厅", 0), ("餐饮店", 1), ("举办大型群众", 2),
])
def test_allowed_edits_grow_with_the_length(term, edits):
    assert allowed_edits(term) == edits


# --- the same path without a database -------------------------------------------------------------


def service(slug, en, zh, synonyms=None, description=""):
    return Service(slug=slug, name={"en": en, "zh-hans": zh}, synonyms=synonyms or {},
                   description={"en": description} if description else {},
                   life_event={"en": "Life", "zh-hans": "生活"}, permit_title={"en": "Permit", "zh-hans": "许可"})


@pytest.fixture
def in_memory(monkeypatch):
    services = [
        service("cafe-terrace", "Open a cafe terrace", "开办咖啡馆露天座位"),
        service("coffee-van", "Sell from a van", "流动售卖", synonyms={"en": ["coffee shop"], "zh-hans": ["咖啡车"]}),
        service("open-a-cafe", "Open a cafe", "开办咖啡馆", description="Serve coffee shop drinks."),
    ]
    monkeypatch.setattr(selectors, "active_services", lambda: services)


def test_ranking_an_exact_name_first_then_a_synonym_then_catalogue_order(in_memory):
    # Both match every word; the exact name wins over catalogue order.
    assert slugs("open a cafe") == ["open-a-cafe", "cafe-terrace"]
    assert slugs("开办咖啡馆") == ["open-a-cafe", "cafe-terrace"]
    # An exact synonym beats the same words in a description.
    assert slugs("coffee shop") == ["coffee-van", "open-a-cafe"]
    assert slugs("cofee shop") == ["coffee-van", "open-a-cafe"]
    # Matching in a name beats matching only in a description; then catalogue order.
    assert slugs("cafe") == ["cafe-terrace", "open-a-cafe"]
    assert slugs("咖啡车") == ["coffee-van"]
