"""Appointments in the engine: publishing slots on working days, booking, moving, cancelling
before the cut-off, no-shows, the .ics invitation and the day-before reminder."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from approvals.appointment_ics import booking_ics
from approvals.appointments import (
    SlotFull,
    TooLate,
    booking_cancel,
    booking_make,
    booking_move,
    booking_no_show,
    booking_reminders_send,
    slots_publish,
)
from approvals.models import AppointmentBooking, AppointmentMode, AppointmentSlot, BookingStatus, Notification
from approvals.notifications import notification_send_email
from audit.models import Action, AuditEvent
from catalogue.calendar import calendar_change
from catalogue.models import Holiday
from core.errors import InvalidTransition, NotAllowed, WorkflowError
from tests.appointment_fixtures import NOW, SHANGHAI, counter_plan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def health(officers):
    return officers["health_supervisor"].memberships.get().department


# --- Publishing ------------------------------------------------------------------------------------


def test_publish_makes_slots_on_working_days_only(restaurant, officers, at_now):
    with calendar_change():
        Holiday.objects.create(date=NOW.date() + timedelta(days=2))  # Wednesday
    added = slots_publish(actor=officers["health_supervisor"], department=health(officers), service=restaurant,
                          plan=counter_plan(last_day=NOW.date() + timedelta(days=6)))  # to Sunday
    starts = [s.astimezone(SHANGHAI).strftime("%a %H:%M")
              for s in AppointmentSlot.objects.order_by("starts_at").values_list("starts_at", flat=True)]
    assert starts == ["Tue 09:00", "Tue 09:30", "Thu 09:00", "Thu 09:30", "Fri 09:00", "Fri 09:30"]
    assert added == 6
    event = AuditEvent.objects.get(action=Action.APPOINTMENT_SLOTS_PUBLISHED)
    assert (event.actor_id, event.department_code, event.details["added"]) == (
        officers["health_supervisor"].pk, "health", 6)


def test_publishing_again_keeps_the_slots_already_there(health_slots, restaurant, officers):
    added = slots_publish(actor=officers["health_supervisor"], department=health(officers), service=restaurant,
                          plan=counter_plan(last_day=NOW.date() + timedelta(days=4)))
    assert added == 2
    assert AppointmentSlot.objects.count() == 8


@pytest.mark.parametrize(("changes", "message"), [
    ({"first_day": NOW.date() - timedelta(days=1)}, "Slots cannot be published in the past: start today or later."),
    ({"closes": time(9, 0)}, "The closing time must be after the opening time."),
    ({"capacity": 0}, "A slot has at least one seat."),
    ({"mode": AppointmentMode.ONLINE, "address": ""}, "Give the video link of an online appointment."),
    ({"last_day": NOW.date()}, "The last day must not be before the first day."),
])
def test_a_bad_plan_is_refused_and_adds_nothing(restaurant, officers, at_now, changes, message):
    with pytest.raises(WorkflowError) as raised:
        slots_publish(actor=officers["health_supervisor"], department=health(officers), service=restaurant,
                      plan=counter_plan(**changes))
    assert str(raised.value.message) == message
    assert not AppointmentSlot.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.APPOINTMENT_SLOTS_PUBLISHED).exists()


def test_only_a_supervisor_of_the_department_publishes(restaurant, officers, at_now):
    for actor in (officers["health"], officers["fire_supervisor"]):
        with pytest.raises(NotAllowed):
            slots_publish(actor=actor, department=health(officers), service=restaurant, plan=counter_plan())
    assert not AppointmentSlot.objects.exists()


def test_hours_already_past_today_give_no_slot(restaurant, officers, at_now):
    with pytest.raises(WorkflowError) as raised:
        slots_publish(actor=officers["health_supervisor"], department=health(officers), service=restaurant,
                      plan=counter_plan(first_day=NOW.date(), last_day=NOW.date(), opens=time(7), closes=time(8)))
    assert str(raised.value.message) == (
        "These days and hours give no slot: none falls on a working day in the future.")


# --- Booking ---------------------------------------------------------------------------------------


def test_booking_takes_a_seat_audits_and_mails_an_invitation(health_slots, citizen, mailoutbox, settings):
    settings.SITE_URL = "https://portal.example.gov"
    slot = health_slots[0]
    booking = booking_make(citizen=citizen, slot_id=slot.pk, ip="203.0.113.9")
    slot.refresh_from_db()
    assert (slot.booked, booking.status, booking.sequence) == (1, BookingStatus.BOOKED, 0)
    event = AuditEvent.objects.get(action=Action.APPOINTMENT_BOOKED)
    assert (event.actor_id, event.subject_id, event.object_id, event.department_code, event.ip) == (
        citizen.pk, citizen.pk, str(booking.pk), "health", "203.0.113.9")
    notification = Notification.objects.get(recipient=citizen)
    assert notification_send_email(notification_id=notification.pk) == "sent"
    [message] = mail.outbox
    assert message.subject == "Appointment booked"
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"appointment-{booking.pk}.ics", "text/calendar; charset=utf-8")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["uid"]) == f"appointment-{booking.uid}@portal.example.gov"
    assert event.decoded("dtstart") == datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert event.decoded("dtstart").tzinfo.key == "Asia/Shanghai"
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtend") == datetime(2026, 3, 3, 9, 30, tzinfo=SHANGHAI)
    assert str(event["summary"]) == "Pre-application meeting: Open a restaurant (Health Bureau)"
    assert str(event["location"]) == "Window 3, 1 Civic Square"
    assert "Window 3" in message.body


def test_a_full_slot_is_refused_and_nothing_changes(health_slots, citizen):
    slot = health_slots[0]
    for _ in range(2):
        booking_make(citizen=UserFactory(), slot_id=slot.pk)
    with pytest.raises(SlotFull) as raised:
        booking_make(citizen=citizen, slot_id=slot.pk)
    assert str(raised.value.message) == "Sorry, the last seat of this appointment was just taken. Choose another time."
    slot.refresh_from_db()
    assert slot.booked == 2
    assert not AppointmentBooking.objects.filter(citizen=citizen).exists()


def test_booking_the_same_slot_twice_is_refused(health_slots, citizen):
    booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    with pytest.raises(InvalidTransition) as raised:
        booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    assert str(raised.value.message) == "You have already booked this appointment."
    health_slots[0].refresh_from_db()
    assert health_slots[0].booked == 1


def test_a_slot_in_the_past_cannot_be_booked(health_slots, citizen, at_now):
    at_now.move_to(health_slots[0].starts_at + timedelta(minutes=1))
    with pytest.raises(InvalidTransition) as raised:
        booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    assert str(raised.value.message) == "This appointment time has passed. Choose another time."
    health_slots[0].refresh_from_db()
    assert health_slots[0].booked == 0


def test_another_citizens_application_cannot_be_named(health_slots, citizen, restaurant):
    from approvals.workflow import application_start

    theirs = application_start(applicant=UserFactory(), service=restaurant)
    with pytest.raises(type(theirs).DoesNotExist):
        booking_make(citizen=citizen, slot_id=health_slots[0].pk, application_id=theirs.pk)
    health_slots[0].refresh_from_db()
    assert health_slots[0].booked == 0


# --- Moving and cancelling ---------------------------------------------------------------------------


def test_moving_keeps_the_uid_raises_the_sequence_and_moves_the_seat(health_slots, citizen):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    moved = booking_move(citizen=citizen, booking_id=booking.pk, slot_id=health_slots[3].pk)
    counts = dict(AppointmentSlot.objects.filter(pk__in=[health_slots[0].pk, health_slots[3].pk])
                  .values_list("pk", "booked"))
    assert counts == {health_slots[0].pk: 0, health_slots[3].pk: 1}
    assert (moved.pk, moved.uid, moved.sequence, moved.slot_id) == (booking.pk, booking.uid, 1, health_slots[3].pk)
    event = Calendar.from_ical(booking_ics(moved)).walk("VEVENT")[0]
    assert (event["sequence"], event.decoded("dtstart")) == (1, datetime(2026, 3, 4, 9, 30, tzinfo=SHANGHAI))
    audit = AuditEvent.objects.get(action=Action.APPOINTMENT_MOVED)
    assert (audit.details["slot"], audit.details["moved_from"]) == (health_slots[3].pk, health_slots[0].pk)


def test_moving_to_a_full_slot_changes_nothing(health_slots, citizen):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    for _ in range(2):
        booking_make(citizen=UserFactory(), slot_id=health_slots[1].pk)
    with pytest.raises(SlotFull):
        booking_move(citizen=citizen, booking_id=booking.pk, slot_id=health_slots[1].pk)
    booking.refresh_from_db()
    assert (booking.slot_id, booking.sequence) == (health_slots[0].pk, 0)
    assert list(AppointmentSlot.objects.filter(pk__in=[health_slots[0].pk, health_slots[1].pk])
                .order_by("pk").values_list("booked", flat=True)) == [1, 2]


def test_cancelling_gives_the_seat_back_and_the_invitation_cancels(health_slots, citizen):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    cancelled = booking_cancel(citizen=citizen, booking_id=booking.pk)
    health_slots[0].refresh_from_db()
    assert (health_slots[0].booked, cancelled.status) == (0, BookingStatus.CANCELLED)
    ics = Calendar.from_ical(booking_ics(cancelled))
    assert (str(ics["method"]), str(ics.walk("VEVENT")[0]["status"])) == ("CANCEL", "CANCELLED")
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_CANCELLED, object_id=booking.pk).count() == 1


def test_after_the_cut_off_cancel_and_move_are_refused_and_nothing_changes(health_slots, citizen, at_now):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    at_now.move_to(health_slots[0].starts_at - timedelta(hours=23))
    for attempt in (lambda: booking_cancel(citizen=citizen, booking_id=booking.pk),
                    lambda: booking_move(citizen=citizen, booking_id=booking.pk, slot_id=health_slots[3].pk)):
        with pytest.raises(TooLate) as raised:
            attempt()
        assert str(raised.value.message) == (
            "Appointments can be cancelled or moved until 24 hours before they start. "
            "Contact the department to change this one.")
    booking.refresh_from_db()
    assert (booking.status, booking.slot_id, booking.sequence) == (BookingStatus.BOOKED, health_slots[0].pk, 0)
    assert list(AppointmentSlot.objects.filter(pk__in=[health_slots[0].pk, health_slots[3].pk])
                .order_by("pk").values_list("booked", flat=True)) == [1, 0]
    assert not AuditEvent.objects.filter(action__in=[Action.APPOINTMENT_CANCELLED, Action.APPOINTMENT_MOVED]).exists()


def test_another_citizens_booking_cannot_be_changed(health_slots, citizen):
    booking = booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)
    for attempt in (lambda: booking_cancel(citizen=citizen, booking_id=booking.pk),
                    lambda: booking_move(citizen=citizen, booking_id=booking.pk, slot_id=health_slots[3].pk)):
        with pytest.raises(AppointmentBooking.DoesNotExist):
            attempt()
    booking.refresh_from_db()
    assert (booking.status, booking.slot_id) == (BookingStatus.BOOKED, health_slots[0].pk)


# --- No-shows --------------------------------------------------------------------------------------


def test_an_officer_of_the_department_records_a_no_show_once_it_started(health_slots, citizen, officers, at_now):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    with pytest.raises(InvalidTransition):
        booking_no_show(officer=officers["health"], booking_id=booking.pk)
    at_now.move_to(health_slots[0].starts_at + timedelta(minutes=20))
    with pytest.raises(AppointmentBooking.DoesNotExist):
        booking_no_show(officer=officers["fire"], booking_id=booking.pk)
    booking_no_show(officer=officers["health"], booking_id=booking.pk)
    booking.refresh_from_db()
    assert (booking.status, booking.no_show_by_id) == (BookingStatus.NO_SHOW, officers["health"].pk)
    event = AuditEvent.objects.get(action=Action.APPOINTMENT_NO_SHOW)
    assert (event.actor_id, event.subject_id) == (officers["health"].pk, citizen.pk)


# --- Reminders -------------------------------------------------------------------------------------


def test_the_reminder_is_sent_the_day_before_exactly_once(health_slots, citizen, at_now):
    tuesday = booking_make(citizen=citizen, slot_id=health_slots[0].pk)  # Tuesday 9:00
    thursday = booking_make(citizen=citizen, slot_id=health_slots[4].pk)  # Thursday 9:00
    Notification.objects.all().delete()
    assert booking_reminders_send() == 1  # Monday: Tuesday's only
    assert booking_reminders_send() == 0
    with time_machine.travel(datetime(2026, 3, 3, 18, 0, tzinfo=SHANGHAI), tick=False):  # Tuesday evening
        assert booking_reminders_send() == 0
    with time_machine.travel(datetime(2026, 3, 4, 8, 0, tzinfo=SHANGHAI), tick=False):  # Wednesday
        assert booking_reminders_send() == 1
        assert booking_reminders_send() == 0
    reminders = Notification.objects.filter(kind="appointment_reminder").order_by("pk")
    assert [n.params["booking"] for n in reminders] == [tuesday.pk, thursday.pk]
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_REMINDED).count() == 2


def test_a_moved_booking_is_reminded_of_its_new_time(health_slots, citizen, at_now):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    assert booking_reminders_send() == 1
    at_now.move_to(datetime(2026, 3, 2, 8, 5, tzinfo=SHANGHAI))
    booking_move(citizen=citizen, booking_id=booking.pk, slot_id=health_slots[4].pk)
    with time_machine.travel(datetime(2026, 3, 4, 8, 0, tzinfo=SHANGHAI), tick=False):
        assert booking_reminders_send() == 1
    assert Notification.objects.filter(kind="appointment_reminder").count() == 2
