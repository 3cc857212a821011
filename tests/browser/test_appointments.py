"""A citizen books a pre-application meeting from the service page, moves it and downloads its
invitation, with the keyboard alone; axe-core checks every page. The .ics is parsed back."""

from datetime import time, timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from approvals.appointments import SlotPlan, slots_publish
from approvals.models import AppointmentBooking, AppointmentMode, AppointmentSlot
from approvals.sla import local_today
from tests.browser.test_keyboard_journey import press_button, tab_to, type_into
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_book_then_move_a_meeting_and_take_the_invitation_with_the_keyboard(page, assert_accessible, restaurant,
                                                                           officers):
    health = officers["health"].memberships.get().department
    # Two days ahead at the earliest, so the 24-hour cut-off leaves the booking movable.
    first_day = local_today() + timedelta(days=2)
    slots_publish(actor=officers["health_supervisor"], department=health, service=restaurant, plan=SlotPlan(
        first_day=first_day, last_day=first_day + timedelta(days=7), opens=time(9), closes=time(10), minutes=30,
        capacity=1, mode=AppointmentMode.COUNTER, address="Window 3, 1 Civic Square"))
    first, second = AppointmentSlot.objects.order_by("starts_at")[:2]
    UserFactory(email="booking.user@example.org", full_name="Li Na")

    page.goto("/accounts/login/")
    type_into(page, 'input[name="username"]', "booking.user@example.org")
    type_into(page, 'input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)

    page.goto(f"/services/{restaurant.slug}/")
    press_button(page, f'a[href="/applications/appointments/book/{restaurant.slug}/"]')
    expect(page.locator("h1")).to_have_text("Book a pre-application meeting")
    assert_accessible(page)
    tab_to(page, f"#slot-{first.pk}")
    page.keyboard.press("Space")
    press_button(page, "#book-submit")
    expect(page.locator(".alert")).to_contain_text("Your appointment is booked.")
    booking = AppointmentBooking.objects.get()
    assert booking.slot_id == first.pk
    assert_accessible(page)

    tab_to(page, f"#move-{second.pk}")
    page.keyboard.press("Space")
    press_button(page, "#move-submit")
    expect(page.locator(".alert")).to_contain_text("Your appointment was moved.")
    assert_accessible(page)
    booking.refresh_from_db()
    assert (booking.slot_id, booking.sequence) == (second.pk, 1)
    assert list(AppointmentSlot.objects.order_by("starts_at").values_list("booked", flat=True)[:2]) == [0, 1]

    tab_to(page, "#invitation")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"appointment-{booking.pk}.ics"
    with open(download.value.path(), "rb") as ics:
        event = Calendar.from_ical(ics.read()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == second.starts_at
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtend") == second.ends_at
    assert str(event["location"]) == "Window 3, 1 Civic Square"
    assert str(event["summary"]) == "Pre-application meeting: Open a restaurant (Health Bureau)"
    assert int(event["sequence"]) == 1
    assert str(event["uid"]).startswith(f"appointment-{booking.uid}@")
