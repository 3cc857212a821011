"""The public performance pages in real Chromium on a generated history: reached from the home page
without signing in, a department's month read off the page equals the managers' dashboard for the
same department and month, and every new page passes axe-core in English and Simplified Chinese."""


import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from dashboards import public
from dashboards.forms import add_months, today
from departments.models import Department
from tests.factories import UserFactory

from .test_officer_journey import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
FIGURES = ["received", "decided", "decided_in_time_percent", "median_working_days", "ratings", "average_rating"]


def cells(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def test_a_departments_month_reads_as_on_the_managers_dashboard(page, assert_accessible, history):
    month = add_months(today().replace(day=1), -1)
    table = public.published([month])
    # The busiest department last month whose counts and times are published (which departments a
    # small count suppresses depends on the day the history is generated up to).
    published = [r for r in table.departments if not any(r.cells[name].suppressed for name in FIGURES[:4])]
    assert published, table.departments
    row = max(published, key=lambda r: r.cells["received"].value)
    department = row.subject

    page.goto("/")
    page.get_by_role("link", name="See how each department and service performs").click()
    expect(page.locator("h1")).to_have_text("How departments and services perform")
    assert_accessible(page)
    page.get_by_role("table", name=f"Departments in {month:%B %Y}").get_by_role(
        "link", name=department.display_name, exact=True).click()
    expect(page.locator("h1")).to_have_text(f"How {department.display_name} performs")
    page.get_by_label("First month").select_option(f"{month:%Y-%m}")
    page.get_by_label("Last month").select_option(f"{month:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    public_row = page.get_by_role("table", name=f"{department.display_name}, month by month").get_by_role(
        "row", name=f"{month:%B %Y}")
    shown = dict(zip(FIGURES, cells(public_row)[:len(FIGURES)], strict=True))  # then complaints, rectifications
    assert shown["received"] == str(row.cells["received"].value)  # the page shows the selector's figures
    assert_accessible(page)

    manager = UserFactory(email="manager@example.gov", full_name="Zhou Min", role=Role.MANAGER)
    sign_in(page, manager.email)
    page.goto(reverse("dashboards:dashboard") + f"?department={department.code}&date_from={month:%Y-%m-%d}"
              f"&date_to={public.month_end(month):%Y-%m-%d}")
    dashboard_row = page.get_by_role("table", name="Decisions, time limits, cards, permits and ratings by department") \
        .get_by_role("row", name=department.display_name)
    headers = page.get_by_role("table", name="Decisions, time limits, cards, permits and ratings by department") \
        .locator("thead th").all_inner_texts()
    on_dashboard = dict(zip(headers[1:], cells(dashboard_row), strict=True))
    p50 = page.locator("dt", has_text="Working days to decide (p50 / p90)").locator("xpath=following-sibling::dd")
    internal = {
        "received": on_dashboard["Applications submitted"], "decided": on_dashboard["Decisions"],
        "decided_in_time_percent": on_dashboard["Decided in time %"],
        "median_working_days": p50.inner_text().split(" / ")[0], "ratings": on_dashboard["Ratings"],
        "average_rating": on_dashboard["Average rating"]}
    # Each figure the public page publishes reads as on the dashboard; a suppressed one says why.
    assert shown == {name: internal[name] if not row.cells[name].suppressed else
                     "fewer than 5" if row.cells[name].reason == public.SMALL_COUNT else "withheld" for name in FIGURES}


def test_the_pages_pass_axe_in_both_languages(page, assert_accessible, history):
    service, department = public.selectors.services()[0], Department.objects.order_by("code").first()
    month = add_months(today().replace(day=1), -1)
    for language in ("en", "zh-hans"):
        page.goto("/performance/")
        if language != "en":
            page.get_by_label("Language").select_option(language)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("h1")).to_have_text("各部门和办事服务的绩效")
        assert_accessible(page)
        expect(page.get_by_text("fewer than 5" if language == "en" else "少于 5").first).to_be_visible()
        page.locator(f'a[href="/performance/services/{service.slug}/"]').click()
        expect(page.get_by_role("img")).to_have_count(1)  # the chart, above its table
        assert_accessible(page)
        page.goto(f"/performance/services/{service.slug}/?month_from={month:%Y-%m}&month_to=2001-01")
        expect(page.locator(".error-summary")).to_be_visible()
        assert_accessible(page)
        page.goto(f"/performance/departments/{department.code}/")
        expect(page.locator("h1")).to_contain_text(department.display_name if language == "en" else "的绩效")
        assert_accessible(page)
        page.goto("/performance/data/")
        assert_accessible(page)
        page.goto(f"/services/{service.slug}/")
        page.get_by_role("link", name="How this service performs" if language == "en" else "本服务的绩效").click()
        expect(page.locator("h1")).to_contain_text(service.display_name if language == "en" else "绩效")
