"""Fixtures for appointments and pre-application advice: a health department's published
pre-application meetings for the restaurant service, at a fixed moment (registered in the root
conftest)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals.appointments import SlotPlan, slots_publish
from approvals.models import AppointmentMode, AppointmentSlot

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning (25 hours before the first slot); the slots are published for the rest of that week.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def counter_plan(**changes) -> SlotPlan:
    values = {"first_day": NOW.date() + timedelta(days=1), "last_day": NOW.date() + timedelta(days=3),
              "opens": time(9, 0), "closes": time(10, 0), "minutes": 30, "capacity": 2,
              "mode": AppointmentMode.COUNTER, "address": "Window 3, 1 Civic Square"}
    values.update(changes)
    return SlotPlan(**values)


@pytest.fixture
def health_slots(restaurant, officers, at_now):
    """Tuesday to Thursday, 9:00 and 9:30 at the health department's counter, 2 seats each."""
    health = officers["health_supervisor"].memberships.get().department
    slots_publish(actor=officers["health_supervisor"], department=health, service=restaurant, plan=counter_plan())
    return list(AppointmentSlot.objects.filter(department=health).order_by("starts_at"))
