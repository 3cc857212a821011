"""A form under conditions in real Chromium: a restaurant of 20 seats is not asked what only the
fire review needs, check your answers says why fire safety is not needed, three departments review
it; a correction raising the seats to 80 asks the new question and adds the fire review. axe-core
checks each page changed."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import workflow
from approvals.models import Application, ReviewStatus
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, PDF_BYTES, UserFactory, officer, restaurant_service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return restaurant_service(review_when={"fire": {"seats": {"gt": 50}}})


def test_a_small_restaurant_skips_fire_safety_until_a_correction_adds_it(page, assert_accessible, service):
    citizen = UserFactory(email="li.na@example.org", full_name="Li Na")
    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(f"/services/{service.slug}/")
    page.get_by_role("button", name="Start application").click()
    expect(page.locator("h1")).to_have_text("Your business")
    assert page.get_by_text("Step 1 of 4").count() == 1  # seats not known yet: the site may be asked
    page.get_by_label("Business name").fill("Noodle Bar")
    page.get_by_label("Cuisine").select_option("chinese")
    page.get_by_label("Seats").fill("20")
    page.get_by_role("button", name="Save and continue").click()

    # The site page is skipped: only the fire review needs it.
    expect(page.locator("h1")).to_have_text("Documents")
    application = Application.objects.get()
    assert page.get_by_text("Step 2 of 3").count() == 1
    steps = page.locator(".step-indicator li")
    assert steps.all_inner_texts() == ["Your business", "Documents", "Check your answers"]
    assert_accessible(page)
    page.get_by_label("Floor plan").set_input_files({"name": "plan.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF_BYTES})
    page.get_by_role("button", name="Save and continue").click()

    expect(page.locator("h1")).to_have_text("Check your answers before submitting")
    not_needed = page.get_by_role("region", name="Not needed")
    expect(not_needed.get_by_role("listitem")).to_have_text(["Fire Bureau: Seats is 50 or less"])
    assert page.get_by_text("Site address").count() == 0
    assert_accessible(page)
    page.get_by_label(re.compile("I declare that my answers are true")).check()
    page.get_by_role("button", name="Submit application").click()
    expect(page.locator("h1")).to_have_text("Application submitted")
    assert sorted(application.reviews.values_list("department__code", flat=True)) == ["health", "registration", "tax"]

    # Health asks to count the seats again; the citizen finds 80.
    health = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officer(health.department), decision="correction",
                           correction_fields=["seats"], message="Count the terrace seats too.")
    page.goto(reverse("approvals:correct", args=[application.pk]))
    assert page.get_by_label("Site address").count() == 0
    page.get_by_label("Seats").fill("80")
    page.get_by_role("button", name="Send corrections").click()
    expect(page.locator("#new-questions")).to_contain_text("Site address")
    expect(page.locator(".error-summary")).to_contain_text("Enter the site address.")
    assert_accessible(page)
    page.get_by_label("Site address").fill("1 Harbour Road")
    page.get_by_role("button", name="Send corrections").click()
    page.wait_for_url(re.compile(rf"/applications/{application.pk}/$"))
    assert page.get_by_role("region", name="Not needed").count() == 0
    assert_accessible(page)
    assert dict(application.reviews.values_list("department__code", "status")) == {
        "registration": ReviewStatus.PENDING, "health": ReviewStatus.IN_PROGRESS, "tax": ReviewStatus.PENDING,
        "fire": ReviewStatus.WAITING}
