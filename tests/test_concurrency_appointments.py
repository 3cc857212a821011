"""Two citizens take the last seat of an appointment at the same moment, on real PostgreSQL:
exactly one gets it, the other a clear message, and the slot counts one booking."""

import pytest

from approvals.appointments import SlotFull, booking_make
from approvals.models import AppointmentBooking, AppointmentSlot
from audit.models import Action, AuditEvent
from tests.concurrent import run_together
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_citizens_taking_the_last_seat_at_once_get_it_once(health_slots):
    slot = health_slots[0]
    booking_make(citizen=UserFactory(), slot_id=slot.pk)  # one of the two seats taken
    first, second = UserFactory(), UserFactory()

    def take(citizen):
        def call():
            try:
                return booking_make(citizen=citizen, slot_id=slot.pk).citizen_id
            except SlotFull as exc:
                return str(exc.message)
        return call

    results = run_together(take(first), take(second))
    message = "Sorry, the last seat of this appointment was just taken. Choose another time."
    assert sorted(results, key=str) in ([first.pk, message], [second.pk, message])
    winner = next(r for r in results if r != message)
    assert AppointmentSlot.objects.get(pk=slot.pk).booked == 2
    assert AppointmentBooking.objects.filter(slot=slot).count() == 2
    assert AppointmentBooking.objects.filter(slot=slot, citizen__in=[first, second]).get().citizen_id == winner
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_BOOKED).count() == 2
