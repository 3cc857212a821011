"""The public performance pages and open data: open to anyone, cacheable, 404 for what does not
exist, clear messages for bad months (a JSON error from the data files), exact CSV and JSON with
their schema, nothing personal, and a constant number of queries."""

import csv
import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from dashboards.models import ALL_DEPARTMENTS
from dashboards.stats import stats_rebuild
from tests.factories import DepartmentFactory, restaurant_service

from .conftest import day_rows

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
OCTOBER_ONLY = {"month_from": "2026-10", "month_to": "2026-10"}
TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime", "year",
                      "yearmonth", "duration", "geopoint", "geojson", "any"}


@pytest.fixture(autouse=True)
def december(time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 10, 0, tzinfo=TZ), tick=False)

# Complaints and rectifications: their own columns after the dashboards' figures (none in these fixtures).
ACCOUNTABILITY = ["complaints", "complaints_answered_in_time", "complaints_upheld", "rectifications_opened",
                  "rectifications_closed_in_time", "rectifications_overdue"]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


PUBLIC_PAGES = [("performance:index", []), ("performance:department", ["health"]), ("performance:service", ["big"]),
                ("performance:data", [])]


@pytest.mark.parametrize("name, args", PUBLIC_PAGES)
def test_anyone_opens_the_pages_and_caches_may_keep_them(client, known, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    # The page is in the visitor's language and names a signed-in person: a cache keeps each apart.
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_signed_in_persons_page_stays_private(client, known, citizen):
    client.force_login(citizen)
    response = client.get(reverse("performance:index"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_the_index_shows_last_months_figures(client, known):
    response = client.get(reverse("performance:index"))
    page = response.content.decode()
    assert "Departments in November 2026" in page and "Services in November 2026" in page
    rows = {row.subject.code: row for row in response.context["departments"].rows}
    assert [rows["health"].cells[n].published for n in ("received", "decided", "decided_in_time_percent",
                                                        "median_working_days", "ratings", "average_rating")] == [
        20, 7, 100.0, 6, 5, 5.0]
    assert f'href="{reverse("performance:department", args=["health"])}"' in page
    assert f'href="{reverse("performance:service", args=["big"])}"' in page


def test_a_department_month_by_month_with_suppressed_cells(client, known):
    response = client.get(reverse("performance:department", args=["fire"]),
                          {"month_from": "2026-10", "month_to": "2026-11"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<th scope="row">October 2026</th><td class="text-end">12</td><td class="text-end">fewer than 5</td>' \
           '<td class="text-end">withheld</td><td class="text-end">withheld</td><td class="text-end">6</td>' \
           '<td class="text-end">4.0</td>' in page
    assert '<th scope="col">Decided in time (%)</th>' in page
    assert "<caption" in page and "Fire Bureau, month by month" in page


def test_the_default_range_is_the_twelve_months_to_the_last_whole_one(client, known):
    response = client.get(reverse("performance:service", args=["big"]))
    assert response.context["months"][0] == date(2025, 12, 1) and response.context["months"][-1] == date(2026, 11, 1)
    assert len(response.context["table"].rows) == 12


def test_a_huge_range_is_capped(client, known):
    response = client.get(reverse("performance:service", args=["big"]), {"month_from": "2000-01", "month_to": "2026-11"})
    assert response.status_code == 200 and response.context["capped"]
    assert len(response.context["months"]) == 36 and response.context["months"][0] == date(2023, 12, 1)
    assert "Only the last 36 months of the range you asked for are shown." in response.content.decode()
    data = client.get(reverse("performance:json", args=["services"]), {"month_from": "2000-01"}).json()
    assert data["period"] == {"from": "2023-12", "to": "2026-11", "capped": True}


@pytest.mark.parametrize("name, args", [("performance:department", ["nope"]), ("performance:service", ["nope"]),
                                        ("performance:csv", ["permits"]), ("performance:json", ["people"]),
                                        ("performance:schema", ["people"])])
def test_unknown_departments_services_and_files_are_404(client, known, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_only_reading_is_allowed(client, known):
    for url in (reverse("performance:index"), reverse("performance:csv", args=["departments"])):
        assert client.post(url).status_code == 405
        assert client.head(url).status_code == 200


BAD = [
    ({"month_from": "2026-13"}, "month_from", "Give the month as YYYY-MM, for example 2026-11."),
    ({"month_to": "last year"}, "month_to", "Give the month as YYYY-MM, for example 2026-11."),
    ({"month_from": "1999-12"}, "month_from", "Choose a month between 2000-01 and this month."),
    ({"month_to": "2027-01"}, "month_to", "Choose a month between 2000-01 and this month."),
    ({"month_from": "2026-11", "month_to": "2026-01"}, None,
     "The first month 2026-11 is after the last month 2026-01: swap them."),
    ({"month_to": "2" * 30}, "month_to", "Ensure this value has at most 20 characters (it has 30)."),
]


@pytest.mark.parametrize("params, field, message", BAD)
def test_bad_months_get_a_clear_message(client, known, params, field, message):
    response = client.get(reverse("performance:department", args=["health"]), params)
    assert response.status_code == 400
    assert message in response.content.decode() and "table" not in response.context
    assert "public" not in response.get("Cache-Control", "")
    for name in ("performance:csv", "performance:json"):
        response = client.get(reverse(name, args=["departments"]), params)
        assert response.status_code == 400 and response["Content-Type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["message"] == message
        if field:
            assert error["fields"] == {field: [message]}
        else:
            assert error["fields"] == {}


def test_the_csv_has_the_schemas_columns_and_exact_rows(client, known):
    response = client.get(reverse("performance:csv", args=["departments"]), OCTOBER_ONLY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Link"] == '</performance/data/departments.schema.json>; rel="describedby"'
    header, *rows = csv_rows(response)
    schema = client.get(reverse("performance:schema", args=["departments"])).json()
    assert header == [field["name"] for field in schema["fields"]]
    assert header[:4] == ["month", "department_code", "department_name_en", "department_name_zh_hans"]
    by_code = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_code["fire"] == {
        "month": "2026-10", "department_code": "fire", "department_name_en": "Fire Bureau",
        "department_name_zh_hans": "fire局", "received": "12", "received_suppressed": "", "decided": "",
        "decided_suppressed": "small_count", "decided_in_time_percent": "", "decided_in_time_percent_suppressed": "derived",
        "median_working_days": "", "median_working_days_suppressed": "derived", "ratings": "6", "ratings_suppressed": "",
        "average_rating": "4.0", "average_rating_suppressed": "",
        **{column: value for name in ACCOUNTABILITY for column, value in ((name, "0"), (f"{name}_suppressed", ""))}}
    assert by_code["health"]["received"] == "" and by_code["health"]["received_suppressed"] == "complementary"


def test_the_json_has_null_and_the_reason(client, known):
    response = client.get(reverse("performance:json", args=["services"]), OCTOBER_ONLY)
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300"
    data = response.json()
    assert data["schema"] == "http://testserver/performance/data/services.schema.json"
    assert data["period"] == {"from": "2026-10", "to": "2026-10", "capped": False}
    assert data["suppression"]["min_count"] == 5
    by_slug = {row["service_slug"]: row for row in data["rows"]}
    assert by_slug["small"] == {
        "month": "2026-10", "service_slug": "small", "service_name_en": "Open a restaurant",
        "service_name_zh_hans": "开办餐饮店", "received": None, "decided": None, "decided_in_time_percent": None,
        "median_working_days": None, "ratings": 0, "average_rating": None, **dict.fromkeys(ACCOUNTABILITY, 0),
        "suppressed": {"received": "small_count", "decided": "small_count", "decided_in_time_percent": "derived",
                       "median_working_days": "derived"}}
    assert by_slug["big"]["decided"] == 13 and by_slug["big"]["suppressed"] == {}


@pytest.mark.parametrize("kind, key", [("departments", "department_code"), ("services", "service_slug")])
def test_the_schema_is_a_table_schema_of_the_files_columns(client, known, kind, key):
    response = client.get(reverse("performance:schema", args=[kind]))
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300"
    schema = json.loads(response.content)
    assert schema["primaryKey"] == ["month", key] and schema["missingValues"] == [""]
    assert all(field["type"] in TABLE_SCHEMA_TYPES for field in schema["fields"])
    figures = {f["name"]: f for f in schema["fields"] if "unit" in f}
    assert list(figures) == ["received", "decided", "decided_in_time_percent", "median_working_days", "ratings",
                             "average_rating", *ACCOUNTABILITY]
    assert figures["decided_in_time_percent"]["unit"] == "percent"
    assert figures["median_working_days"]["suppression"] == "Suppressed when decided is suppressed."
    flags = {f["name"]: f for f in schema["fields"] if f["name"].endswith("_suppressed")}
    assert flags["received_suppressed"]["constraints"]["enum"] == ["", "small_count", "derived", "complementary"]
    row = client.get(reverse("performance:json", args=[kind]), OCTOBER_ONLY).json()["rows"][0]
    assert set(row) - {"suppressed"} == {f["name"] for f in schema["fields"]} - set(flags)


def test_the_data_page_documents_the_columns_and_the_rule(client, known):
    page = client.get(reverse("performance:data")).content.decode()
    for text in ("departments.csv", "services.json", "services.schema.json", "<code>median_working_days</code>",
                 "A count from 1 to 4 is not published", "month_from"):
        assert text in page


def test_nothing_personal_is_published(client, submit, officers, citizen):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="approve")
    stats_rebuild()
    month = {"month_from": "2026-12", "month_to": "2026-12"}
    answers = [client.get(reverse("performance:index")),
               client.get(reverse("performance:department", args=["health"]), month),
               client.get(reverse("performance:service", args=["open-a-restaurant"]), month),
               *[client.get(reverse(name, args=[kind]), month) for name in ("performance:csv", "performance:json")
                 for kind in ("departments", "services")]]
    for response in answers:
        assert response.status_code == 200
        body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
        for personal in (citizen.full_name, citizen.email, application.reference, officers["health"].email,
                         officers["health"].full_name):
            assert personal not in body
    # The application is counted, as fewer than 5.
    data = answers[-1]
    body = json.loads(b"".join(data.streaming_content) if data.streaming else data.content)
    assert {r["service_slug"]: r["suppressed"].get("received") for r in body["rows"]}["open-a-restaurant"] == "small_count"


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def test_the_pages_cost_the_same_queries_for_n_and_n_plus_one(client, known):
    urls = [(reverse(name, args=args), None) for name, args in PUBLIC_PAGES] + [
        (reverse(name, args=[kind]), None) for name in ("performance:csv", "performance:json")
        for kind in ("departments", "services")]
    for url, params in urls:  # warm the catalogue's caches
        _queries(client, url, params)
    before = [_queries(client, url, params) for url, params in urls]
    # One more department, service and month with figures.
    DepartmentFactory(code="water")
    more = restaurant_service(slug="more", reviews=[("water", 1, 5, ["business_name"]), ("health", 1, 5, ["seats"])])
    for day in (date(2026, 9, 3), date(2026, 11, 5)):
        day_rows(day, more, (ALL_DEPARTMENTS, {"submitted": 9}), (known["health"].pk, {"submitted": 9, "decided": 6}),
                 (DepartmentFactory(code="water").pk, {"submitted": 9, "decided": 7}))
    assert [_queries(client, url, params) for url, params in urls] == before
    longer = {"month_from": "2026-01", "month_to": "2026-11"}
    assert _queries(client, urls[1][0], longer) == _queries(client, urls[1][0], {"month_from": "2026-10",
                                                                               "month_to": "2026-11"})

