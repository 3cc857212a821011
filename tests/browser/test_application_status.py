"""What the citizen reads about a service, an application back from a correction, and a permit's
public verification, in real Chromium, checked by axe-core at 1280 px and 375 px."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from approvals import workflow
from approvals.permit_flow import permit_render
from catalogue.tests.conftest import DEMO
from permits.models import Permit
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NARROW = {"width": 375, "height": 740}
WIDE = {"width": 1280, "height": 900}


def check_both_widths(page, assert_accessible):
    for size in (WIDE, NARROW):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], page.url
        assert_accessible(page)
    page.set_viewport_size(WIDE)


def test_a_visitor_signs_in_from_the_service_page_and_comes_back_to_it(page, assert_accessible):
    call_command("load_catalogue", str(DEMO), verbosity=0)
    UserFactory(email="li.na@example.org", full_name="Li Na")
    page.goto("/services/open-a-restaurant/")
    expect(page.get_by_text("Restaurant operating permit (valid for 5 years)")).to_have_count(1)
    expect(page.get_by_text("Up to 10 working days for the whole application, from the day you submit it")).to_have_count(1)
    expect(page.get_by_role("button", name="Start application")).to_have_count(0)
    check_both_widths(page, assert_accessible)

    page.get_by_role("link", name="Sign in to apply").click()
    page.get_by_label("Email address").fill("li.na@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/services/open-a-restaurant/")
    expect(page.get_by_role("button", name="Start application")).to_have_count(1)

    page.goto("/services/open-a-restaurant/")
    page.context.clear_cookies()
    page.reload()
    page.get_by_role("link", name="Register").last.click()
    assert page.url.endswith("/accounts/register/?next=/services/open-a-restaurant/")


def test_an_application_back_with_the_department_and_its_permits_verification(
        page, assert_accessible, submit, citizen, officers):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    health = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats"], message="Count the outdoor seats too.")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "56"})

    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(f"/applications/{application.pk}/")
    item = page.locator(".timeline-item").first
    expect(item.locator(".status-badge")).to_have_text("Back with the department")
    expect(item).to_contain_text("Back with the Health Bureau since")
    expect(page.locator(".timeline-item").filter(has_text="Decided")).to_have_count(0)
    check_both_widths(page, assert_accessible)

    for code in ("health", "registration", "tax", "fire"):
        review = application.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve",
                               conditions="Keep the kitchen door closed." if code == "health" else "")
    permit = Permit.objects.get(application=application)
    permit_render(permit_id=permit.pk)
    page.goto(f"/permits/verify/{permit.number}/{permit.verify_code}/")  # the address its QR code holds
    expect(page.get_by_text("Health Bureau: Keep the kitchen door closed.")).to_have_count(1)
    expect(page.get_by_text("(valid for 3 years)")).to_have_count(1)
    check_both_widths(page, assert_accessible)
