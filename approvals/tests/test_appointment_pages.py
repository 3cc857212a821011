"""The citizen's pages of appointments and advice: booking from a service or an application,
moving, cancelling (refused after the cut-off, nothing changed), the invitation, asking for advice;
another citizen's booking is a 404; the list costs the same queries for one booking or three."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from approvals.appointments import booking_make
from approvals.models import AdviceRequest, AppointmentBooking, AppointmentSlot, BookingStatus
from approvals.workflow import application_start
from audit.models import Action, AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_service_page_links_to_booking_and_the_booking_page_lists_free_times(client, citizen, restaurant,
                                                                               health_slots):
    client.force_login(citizen)
    page = client.get(reverse("service_detail", args=[restaurant.slug]))
    assert reverse("approvals:book", args=[restaurant.slug]) in page.content.decode()
    booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)
    booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)  # full
    response = client.get(reverse("approvals:book", args=[restaurant.slug]))
    assert [s.pk for s in response.context["slots"]] == [s.pk for s in health_slots[1:]]


def test_booking_for_an_application_then_moving_and_cancelling(client, citizen, restaurant, health_slots):
    client.force_login(citizen)
    draft = application_start(applicant=citizen, service=restaurant)
    url = reverse("approvals:book", args=[restaurant.slug]) + f"?application={draft.pk}"
    response = client.post(url, {"slot": health_slots[0].pk}, follow=True)
    booking = AppointmentBooking.objects.get(citizen=citizen)
    assert (booking.application_id, booking.slot_id) == (draft.pk, health_slots[0].pk)
    assert messages_of(response) == [
        "Your appointment is booked. We sent you a confirmation with a calendar invitation."]
    response = client.post(reverse("approvals:booking_move", args=[booking.pk]), {"slot": health_slots[2].pk},
                           follow=True)
    assert messages_of(response) == ["Your appointment was moved. We sent you the updated calendar invitation."]
    ics = client.get(reverse("approvals:booking_invitation", args=[booking.pk]))
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert Calendar.from_ical(ics.content).walk("VEVENT")[0]["sequence"] == 1
    response = client.post(reverse("approvals:booking_cancel", args=[booking.pk]), follow=True)
    assert messages_of(response) == ["Your appointment is cancelled."]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_the_last_seat_taken_before_the_click_is_a_clear_message(client, citizen, restaurant, health_slots):
    for _ in range(2):
        booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)
    client.force_login(citizen)
    response = client.post(reverse("approvals:book", args=[restaurant.slug]), {"slot": health_slots[0].pk})
    assert response.status_code == 200
    assert messages_of(response) == ["Sorry, the last seat of this appointment was just taken. Choose another time."]
    assert not AppointmentBooking.objects.filter(citizen=citizen).exists()


def test_cancelling_after_the_cut_off_is_refused_with_a_message(client, citizen, health_slots, at_now):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    at_now.move_to(health_slots[0].starts_at - timedelta(hours=2))
    client.force_login(citizen)
    page = client.get(reverse("approvals:booking", args=[booking.pk]))
    assert "It is too late to move or cancel this appointment online." in page.content.decode()
    response = client.post(reverse("approvals:booking_cancel", args=[booking.pk]), follow=True)
    assert messages_of(response) == [
        "Appointments can be cancelled or moved until 24 hours before they start. "
        "Contact the department to change this one."]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    assert AppointmentSlot.objects.get(pk=health_slots[0].pk).booked == 1


def test_another_citizens_booking_is_a_404_and_on_record(client, citizen, health_slots):
    theirs = booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)
    client.force_login(citizen)
    for name, method in (("booking", "get"), ("booking_invitation", "get"), ("booking_cancel", "post"),
                         ("booking_move", "post")):
        assert getattr(client, method)(reverse(f"approvals:{name}", args=[theirs.pk]),
                                       {"slot": health_slots[1].pk} if method == "post" else {}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.slot_id) == (BookingStatus.BOOKED, health_slots[0].pk)
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=citizen).exists()


def test_my_appointments_costs_the_same_queries_for_one_booking_or_three(client, citizen, health_slots):
    client.force_login(citizen)
    url = reverse("approvals:bookings")

    def measure():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return queries

    booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    one = measure()
    booking_make(citizen=citizen, slot_id=health_slots[2].pk)
    booking_make(citizen=citizen, slot_id=health_slots[4].pk)
    three = measure()
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_asking_advice_from_the_draft_page_and_twice_is_refused(client, citizen, restaurant, officers, at_now):
    draft = application_start(applicant=citizen, service=restaurant)
    client.force_login(citizen)
    url = reverse("approvals:advice_ask", args=[draft.pk])
    response = client.post(url, {"question": "Is the kitchen big enough?"}, follow=True)
    assert messages_of(response) == [
        "Your draft was sent to the departments for advice. Their answers will appear on this page."]
    assert 'id="advice-question"' not in response.content.decode()  # no second request while one is open
    response = client.post(url, {"question": "Again"}, follow=True)
    assert messages_of(response) == [
        "You already asked for advice on this draft. You can ask again once every department has answered."]
    assert AdviceRequest.objects.filter(application=draft).count() == 4


def test_another_citizens_draft_cannot_be_sent_for_advice(client, citizen, restaurant, at_now):
    theirs = application_start(applicant=UserFactory(), service=restaurant)
    client.force_login(citizen)
    assert client.post(reverse("approvals:advice_ask", args=[theirs.pk])).status_code == 404
    assert not AdviceRequest.objects.exists()
