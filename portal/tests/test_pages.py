"""The home page (services by life event) and a service's page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.tests.conftest import DEMO
from tests.factories import UserFactory, restaurant_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from django.core.management import call_command


    call_command("load_catalogue", str(DEMO), verbosity=0)


def headings(html: str, level: int) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)]


def test_home_groups_services_by_life_event(client, demo):
    html = client.get("/").content.decode()
    assert headings(html, 1) == ["Government services in one place"]
    assert headings(html, 2) == ["Starting a business", "Running a business", "Organising an event"]
    assert html.count('href="/services/') == 9
    assert html.count('href="/life-events/open-a-restaurant/"') == 1


def test_home_in_chinese(client, demo):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert headings(html, 2)[0] == "企业开办"
    assert "开办餐饮店" in html


def test_home_query_count_does_not_grow_with_services(client, django_assert_num_queries):
    restaurant_service(slug="one")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    restaurant_service(slug="two")
    restaurant_service(slug="three")
    with CaptureQueriesContext(connection) as three:
        client.get("/")
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_service_page_says_who_reviews_and_what_is_asked(client, demo):
    html = client.get("/services/open-a-restaurant/").content.decode()
    assert headings(html, 1) == ["Open a restaurant"]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d)</td>\s*<td>(.*?)</td></tr>", html, re.S)
    assert [(name, int(stage)) for name, stage, _limit in rows] == [
        ("Market Regulation Administration (Business Registration)", 1), ("Public Health Bureau", 1),
        ("Taxation Bureau", 1), ("Fire and Rescue Department", 2),
    ]
    assert [limit for _n, _s, limit in rows] == ["3 working days", "5 working days", "2 working days", "5 working days"]
    assert "Sign in to apply" in html


def test_unknown_service_is_404(client, demo):
    assert client.get("/services/no-such-service/").status_code == 404


def test_every_page_has_a_content_security_policy(client, demo):
    for url in ("/", "/services/open-a-restaurant/", "/accounts/login/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(("slug", "validity", "expected"), [
    ("open-a-restaurant", "valid for 5 years", "Up to 10 working days"),  # 5 (stage 1's longest) + 5
    ("register-a-small-manufacturer", "valid for 5 years", "Up to 15 working days"),  # 10 + 5
    ("renovate-a-shop-front", "valid for 1 year", "Up to 5 working days"),  # one stage, 5 and 5 in parallel
    ("host-a-public-event", "valid for 1 month", "Up to 10 working days"),  # 7 + 3
])
def test_service_page_says_how_long_the_permit_lasts_and_the_application_takes(client, demo, slug, validity, expected):
    page = _text(client.get(f"/services/{slug}/").content.decode())
    assert f"({validity})" in page
    assert f"Expected time {expected} for the whole application, from the day you submit it" in page
    assert " days)" not in page and "1825" not in page


def test_service_page_in_chinese(client, demo):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = _text(client.get("/services/open-a-restaurant/").content.decode())
    assert "餐饮经营许可证 (有效期 5 年)" in page
    assert "预计办理时间" in page
    assert "整个申请最长需要 10 个工作日，自您提交之日起计算" in page
    assert "5 个工作日" in page


def test_service_page_links_to_sign_in_and_register_and_back(client, demo):
    page = client.get("/services/open-a-restaurant/").content.decode()
    back = "next=/services/open-a-restaurant/"
    assert f'href="/accounts/login/?{back}">Sign in to apply</a>' in page
    assert f'href="/accounts/register/?{back}">Register</a>' in page
    assert "Start application" not in page  # starting needs an account: sign in first
    response = client.get(f"/accounts/login/?{back}")
    assert response.status_code == 200 and 'value="/services/open-a-restaurant/"' in response.content.decode()


def test_service_page_for_a_signed_in_citizen_starts_the_application(client, demo):

    client.force_login(UserFactory(email="applicant@example.org"))
    page = client.get("/services/open-a-restaurant/").content.decode()
    assert "Start application" in page and "Sign in to apply" not in page


def test_service_page_says_when_a_review_is_made_and_a_question_asked(client, demo):
    page = _text(client.get("/services/open-a-retail-shop/").content.decode())
    assert ("Urban Management Bureau: reviews only when Will you put up a shop sign?: yes "
            "Otherwise: Shop sign review not needed: no shop sign is planned") in page
    assert ("Fire and Rescue Department: reviews only when Floor area (m²) is more than 20 "
            "Otherwise: Fire safety check not needed: a floor area of 20 m² or less") in page
    assert "Text on the sign Asked only when Will you put up a shop sign?: yes" in page
    assert "Sign design drawing (document) Asked only when Will you put up a shop sign?: yes" in page
    assert "Fire escape plan (document) Asked only when Floor area (m²) is more than 20" in page
    assert page.count("Asked only when") == 4  # the sign's text, area and drawing; the fire escape plan
    restaurant = _text(client.get("/services/open-a-restaurant/").content.decode())
    assert ("Fire and Rescue Department: reviews only when Number of seats is more than 50 or Gas is used on the "
            "site: yes Otherwise: Fire safety review not needed: 50 seats or fewer and no gas cooking") in restaurant
    assert ("Fire escape plan (document) Asked only when Number of seats is more than 50 or Gas is used on the "
            "site: yes") in restaurant
    assert restaurant.count("Asked only when") == 1
    manufacturer = _text(client.get("/services/register-a-small-manufacturer/").content.decode())
    assert "reviews only when" not in manufacturer and "Asked only when" not in manufacturer


def test_service_page_says_when_in_chinese(client, demo):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = _text(client.get("/services/open-a-restaurant/").content.decode())
    assert ("消防救援大队：仅在座位数超过50或场所内使用燃气：是时审核 "
            "否则：无需消防审核：座位不超过50个且不使用燃气") in page
    retail = _text(client.get("/services/open-a-retail-shop/").content.decode())
    assert "招牌文字 仅在是否设置店招标牌？：是时询问" in retail
