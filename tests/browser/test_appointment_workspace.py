"""The workspace's appointment and advice pages, as a supervisor sees them: axe-core finds nothing
on the appointments page with its publish form, the advice queue and a request's page; the advice
is written and sent with the keyboard."""

import pytest
from playwright.sync_api import expect

from approvals.advice import advice_request
from approvals.models import AdviceRequest
from approvals.workflow import application_start
from tests.browser import steps
from tests.browser.test_keyboard_journey import press_button, type_into
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_supervisors_appointment_and_advice_pages(page, assert_accessible, restaurant, officers):
    citizen = UserFactory()
    draft = application_start(applicant=citizen, service=restaurant)
    advice_request(citizen=citizen, application_id=draft.pk, question="Is a kitchen of 20 m² enough?")
    health = AdviceRequest.objects.get(department__code="health")

    steps.sign_in(page, email=officers["health_supervisor"].email, password=PASSWORD)
    page.goto("/officer/")
    press_button(page, 'a[href="/officer/appointments/"]')
    expect(page.locator("h1")).to_have_text("Appointments")
    expect(page.locator("#id_department")).to_have_count(1)
    assert_accessible(page)

    press_button(page, 'a[href="/officer/advice/"]')
    expect(page.locator("#advice-requests tbody tr")).to_have_count(1)
    assert_accessible(page)

    press_button(page, f'a[href="/officer/advice/{health.pk}/"]')
    expect(page.locator("h1")).to_have_text("Advice on a draft: Open a restaurant")
    assert_accessible(page)
    type_into(page, "#id_text", "A kitchen of 20 m² is enough for 40 seats.")
    press_button(page, 'input[type="submit"][name="answer"]')
    expect(page.locator("#advice-answer")).to_have_text("A kitchen of 20 m² is enough for 40 seats.")
    assert_accessible(page)
    health.refresh_from_db()
    assert health.answered_by_id == officers["health_supervisor"].pk
