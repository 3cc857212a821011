"""The home page (services by life event) and a service's page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import restaurant_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    from catalogue.tests.conftest import DEMO

    call_command("load_catalogue", str(DEMO), verbosity=0)


def headings(html: str, level: int) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)]


def test_home_groups_services_by_life_event(client, demo):
    html = client.get("/").content.decode()
    assert headings(html, 1) == ["Government services in one place"]
    assert headings(html, 2) == ["Starting a business", "Running a business", "Organising an event"]
    assert html.count('href="/services/') == 5


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
    assert all("working day" in limit for _n, _s, limit in rows)
    assert "Start application" in html


def test_unknown_service_is_404(client, demo):
    assert client.get("/services/no-such-service/").status_code == 404


def test_every_page_has_a_content_security_policy(client, demo):
    for url in ("/", "/services/open-a-restaurant/", "/accounts/login/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
