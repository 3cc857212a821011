"""A bad rating rectified, in real Chromium: the applicant rates a decided application 1, the
health department's supervisor (the case's owner) finds the case in the workspace and writes what
was done within the deadline, and the applicant, asked again, rates once more. An officer then
sees their own appraisal and not a colleague's. axe-core checks each new page in English and in
Simplified Chinese."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.models import Rectification
from departments.models import Department
from tests.browser import steps
from tests.factories import PASSWORD, officer

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT = "We called you, apologised, and now answer the phone from 9 to 5 on working days."


def in_both_languages(page, assert_accessible):
    """axe-core on the page as it is, then in Simplified Chinese, and back to English."""
    assert_accessible(page)
    page.locator("#language-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert_accessible(page)
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_a_rating_of_one_is_rectified_and_rated_again(page, assert_accessible, rejected, citizen, officers):
    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[rejected.pk]))
    page.get_by_label("1 – Very dissatisfied").check()
    page.get_by_label("Comment (optional)").fill("Nobody answered the phone.")
    page.get_by_role("button", name="Send your rating").click()
    expect(page.get_by_text("Thank you for rating the service.")).to_be_visible()
    cases = page.locator("#rectifications")
    expect(cases).to_contain_text("Health Bureau")
    expect(cases).to_contain_text(officers["health_supervisor"].full_name)
    expect(cases).to_contain_text("Being rectified")
    sign_out(page)

    case = Rectification.objects.get(application=rejected, department__code="health")
    steps.sign_in(page, email=officers["health_supervisor"].email, password=PASSWORD)
    page.goto(reverse("departments:queue"))
    page.get_by_role("link", name="Rectifications of bad ratings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rectifications of bad ratings")
    in_both_languages(page, assert_accessible)
    page.get_by_role("link", name=rejected.reference).click()
    expect(page.get_by_text("Nobody answered the phone.")).to_be_visible()
    page.get_by_role("button", name="Close the case").click()  # nothing written yet
    expect(page.get_by_role("alert")).to_contain_text("Write what your department did about the rating")
    in_both_languages(page, assert_accessible)
    page.get_by_label("What your department did").fill(ACCOUNT)
    page.get_by_role("button", name="Close the case").click()
    expect(page.get_by_text("The case is closed. The applicant is asked to rate the service again.")).to_be_visible()
    expect(page.get_by_text("rectified in time")).to_be_visible()
    in_both_languages(page, assert_accessible)
    sign_out(page)

    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:my_applications"))
    page.get_by_role("link", name=f"Rate the service again ({rejected.reference}, Health Bureau)").click()
    expect(page.locator("#rectifications")).to_contain_text(ACCOUNT)
    expect(page.get_by_text("Please rate the service again now that the department has answered.")).to_be_visible()
    in_both_languages(page, assert_accessible)
    form = page.locator(f'form[action="{reverse("approvals:rectification_rate", args=[rejected.pk, case.pk])}"]')
    form.get_by_label("4 – Satisfied").check()
    form.get_by_role("button", name="Send your rating").click()
    expect(page.get_by_text("Thank you for rating the service again.")).to_be_visible()
    expect(page.locator("#rectifications")).to_contain_text("You rated the service 4 out of 5 after this.")
    case.refresh_from_db()
    assert (case.status, case.account, case.follow_up_score) == ("followed_up", ACCOUNT, 4)
    assert case.rating.score == 1


def test_an_officer_sees_their_own_appraisal_and_not_a_colleagues(page, assert_accessible, officers):
    colleague = officer(Department.objects.get(code="health"), email="colleague.health@example.gov")
    steps.sign_in(page, email=officers["health"].email, password=PASSWORD)
    page.goto(reverse("departments:queue"))
    page.get_by_role("link", name="My appraisal").click()
    table = page.locator("#appraisal")
    expect(table).to_contain_text(officers["health"].full_name)
    expect(table).to_contain_text("Department median")
    expect(table).not_to_contain_text(colleague.full_name)
    in_both_languages(page, assert_accessible)
    page.goto(reverse("dashboards:officer_appraisal", args=["health", colleague.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    sign_out(page)

    steps.sign_in(page, email=officers["health_supervisor"].email, password=PASSWORD)
    page.goto(reverse("dashboards:appraisal", args=["health"]))
    expect(page.locator("#appraisal")).to_contain_text(colleague.full_name)
    in_both_languages(page, assert_accessible)
