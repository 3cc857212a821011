"""The finder's pages through the test client on PostgreSQL: exactly what applies and why, bad
links answered with a message (never a 500), query counts that do not grow with the list, and
the hand-over of the answers to a new application."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Application
from finder.models import Finder
from tests.factories import UserFactory, wallet_certificate

from .catalogue import noodle_catalogue

pytestmark = pytest.mark.django_db
URL = "/finder/open-a-restaurant/"
SMALL = "cuisine=chinese&seats=20&uses_gas=false&plans_sign=false"
LARGE = "cuisine=chinese&seats=80&uses_gas=true&plans_sign=true"


def text(response) -> str:
    """The page's visible words, one space between them."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?(a|strong|span)\b[^>]*>", "", body)  # inline: no space of its own
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(response, start: str, end: str) -> str:
    words = text(response)
    return words[words.index(start):words.index(end, words.index(start))]


@pytest.fixture
def finder():
    return noodle_catalogue()


def test_the_list_names_each_finder(client, finder):
    response = client.get("/finder/")

    assert response.status_code == 200
    assert "Open a restaurant (Starting a business) What you plan decides the permits you need." in text(response)
    assert f'href="{URL}"' in response.content.decode()


def test_the_questions_are_fieldsets_and_labels_before_any_answer(client, finder):
    response = client.get(URL)
    body = response.content.decode()

    assert response.status_code == 200
    assert re.findall(r"<legend[^>]*>([^<]+)</legend>", body) == [
        "What will you serve?", "Gas cooking", "Will you put up a shop sign?"]
    assert '<label for="id_seats" class="form-label fw-semibold">Number of seats</label>' in body
    assert "What applies to you" not in body


def test_a_20_seat_noodle_shop_without_gas_needs_the_restaurant_permit_without_fire_safety(client, finder):
    response = client.get(f"{URL}?{SMALL}&show=1")
    words = text(response)

    assert response.status_code == 200
    assert section(response, "The permit you need (1)", "Not needed") == (
        "The permit you need (1) Open a restaurant "
        "Reviewed by Business Registration (up to 3 working days) Public Health (up to 5 working days) "
        "Taxation (up to 2 working days) "
        "How long it takes Up to 5 working days from the day you submit Fee Free "
        "Documents you will need Floor plan "
        "Fire Safety review not needed: Number of seats is 50 or less and Gas cooking: no "
        "Apply: Open a restaurant ")
    assert section(response, "Not needed", "What your answers changed") == (
        "Not needed Put up a shop sign: Will you put up a shop sign?: no ")
    assert section(response, "What your answers changed", "Keep or share") == (
        "What your answers changed "
        "Because you answered What will you serve?: Chinese Nothing in the list depends on this answer. "
        "Because you answered Number of seats: 20 Fire Safety review (Open a restaurant): not needed "
        "Because you answered Gas cooking: No Fire Safety review (Open a restaurant): not needed "
        "Because you answered Will you put up a shop sign?: No Put up a shop sign: not needed ")
    assert f'value="http://testserver{URL}?{SMALL.replace("&", "&amp;")}"' in response.content.decode()
    assert "Fire escape plan" not in words


def test_80_seats_with_gas_and_a_sign_adds_fire_safety_and_the_sign_permit(client, finder):
    response = client.get(f"{URL}?{LARGE}")

    assert section(response, "The permits you need (2)", "What your answers changed") == (
        "The permits you need (2) Open a restaurant "
        "Reviewed by Business Registration (up to 3 working days) Public Health (up to 5 working days) "
        "Taxation (up to 2 working days) Fire Safety (up to 5 working days) "
        "How long it takes Up to 10 working days from the day you submit Fee Free "
        "Documents you will need Floor plan Fire escape plan "
        "Apply: Open a restaurant "
        "Put up a shop sign You plan a shop sign. "
        "Reviewed by Urban Management (up to 4 working days) "
        "How long it takes Up to 4 working days from the day you submit Fee 200 yuan "
        "Documents you will need Restaurant operating permit, or get it from: Open a restaurant "
        "Apply: Put up a shop sign ")
    assert "Because you answered Number of seats: 80 Fire Safety review (Open a restaurant): needed" in text(response)


def test_an_unanswered_condition_is_left_to_the_application(client, finder):
    response = client.get(f"{URL}?seats=20")

    assert ("Fire Safety, only if Number of seats is more than 50 or Gas cooking: yes: the application asks"
            in text(response))
    assert "Up to 10 working days" in text(response)  # at most: the fire review may still apply
    assert "Put up a shop sign: Needed if Will you put up a shop sign?: yes" in text(response)


def test_a_held_certificate_is_named_for_a_signed_in_citizen(client, finder):
    citizen = UserFactory()
    wallet_certificate(citizen)
    client.force_login(citizen)

    response = client.get(f"{URL}?{LARGE}")

    assert "Restaurant operating permit: We already hold your Restaurant operating permit RP-2026-000001" in text(response)


@pytest.mark.parametrize(("query", "message"), [
    ("seats=many", "Enter the number of seats as a whole number, for example 12."),
    ("seats=0", "Enter the number of seats between 1 and 2000."),
    ("seats=2001", "Enter the number of seats between 1 and 2000."),
    ("cuisine=thai", "Select the what will you serve? from the list."),
    ("uses_gas=maybe", "Select yes or no for “Gas cooking”."),
    ("seats=%00%ff", "Enter the number of seats as a whole number, for example 12."),
])
def test_a_bad_answer_in_the_link_is_a_message_linked_to_its_question(client, finder, query, message):
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert f"There is a problem {message}" in text(response)
    assert "What applies to you" not in text(response)


def test_an_answer_to_a_question_not_asked_is_left_out_with_a_notice(client, finder):
    response = client.get(f"{URL}?seats=20&full_name=Wang+Fang")

    assert "The link held answers to questions this finder does not ask. They were left out." in text(response)
    assert "Wang" not in text(response)
    assert f'value="http://testserver{URL}?seats=20"' in response.content.decode()


def test_an_oversized_link_is_refused_unread(client, finder):
    response = client.get(f"{URL}?seats=20&pad={'x' * 2100}")

    assert response.status_code == 400
    assert ("There is a problem This link is too long to hold answers to these questions, so it was not read."
            in text(response))


def test_an_unknown_finder_is_not_found(client, finder):
    assert client.get("/finder/open-a-bakery/").status_code == 404
    assert client.get(f"{URL}apply/open-a-bakery/?{SMALL}").status_code == 404


def test_the_pages_speak_chinese(client, finder):
    response = client.get(f"{URL}?{SMALL}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert '<html lang="zh-hans"' in response.content.decode()
    assert "消防救援" in text(response)
    assert "座位数" in text(response)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_and_the_result_take_as_many_queries_for_n_and_n_plus_1(client):
    noodle_catalogue(extra_services=1)
    few = (_queries(client, "/finder/"), _queries(client, f"{URL}?{LARGE}"))
    Finder.objects.all().delete()
    noodle_catalogue(extra_services=2)  # one more service considered
    Finder.objects.create(slug="host-an-event", title={"en": "Host an event", "zh-hans": "举办活动"})  # one more listed

    assert (_queries(client, "/finder/"), _queries(client, f"{URL}?{LARGE}")) == few


# -- the hand-over to an application ------------------------------------------------------------


def test_apply_signed_out_asks_to_sign_in_and_comes_back_with_the_answers(client, finder):
    response = client.get(f"{URL}apply/open-a-restaurant/?{SMALL}")

    assert response.status_code == 302
    assert response["Location"] == (reverse("accounts:login") + "?next="
                                    + "/finder/open-a-restaurant/apply/open-a-restaurant/%3F"
                                    + SMALL.replace("=", "%3D").replace("&", "%26"))


def test_apply_starts_a_draft_with_the_answers_the_service_asks(client, finder):
    citizen = UserFactory()
    client.force_login(citizen)

    page = client.get(f"{URL}apply/open-a-restaurant/?{SMALL}")
    given = re.findall(r'<input type="hidden" name="(given-[a-z_]+)" value="([^"]*)">', page.content.decode())

    assert given == [("given-cuisine", "chinese"), ("given-seats", "20"), ("given-uses_gas", "false")]
    assert "What will you serve? Chinese Number of seats 20 Gas cooking No" in text(page)
    response = client.post(reverse("approvals:start", args=["open-a-restaurant"]), dict(given))
    assert response.status_code == 302
    assert Application.objects.get(applicant=citizen).answers == {"cuisine": "chinese", "seats": 20, "uses_gas": False}


def test_a_tampered_hand_over_keeps_only_valid_answers(client, finder):
    citizen = UserFactory()
    client.force_login(citizen)

    client.post(reverse("approvals:start", args=["open-a-restaurant"]),
                {"given-seats": "99999", "given-cuisine": "thai", "given-uses_gas": "true", "given-floor_plan": "x",
                 "given-business_name": "Noodle House"})

    assert Application.objects.get(applicant=citizen).answers == {"uses_gas": True, "business_name": "Noodle House"}


def test_apply_with_a_bad_answer_goes_back_to_the_questions(client, finder):
    client.force_login(UserFactory())

    response = client.get(f"{URL}apply/open-a-restaurant/?seats=many")

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?seats=many"


def test_the_demo_catalogue_has_the_restaurant_finder(client):
    from django.core.management import call_command

    from catalogue.tests.conftest import DEMO

    call_command("load_catalogue", str(DEMO), verbosity=0)

    response = client.get(f"{URL}?cuisine=chinese&seating_capacity=20&uses_gas=false&plans_sign=false")

    assert response.status_code == 200
    assert "The permit you need (1) Open a restaurant" in text(response)
    assert "Not needed Put up or change a shop sign: Will you put up a shop sign?: no" in text(response)
