"""Appointments: the slots a department publishes and the citizens' bookings of them.

A slot has ``capacity`` seats and counts the taken ones in ``booked``. A seat is taken by one
conditional UPDATE (``booked < capacity``): two citizens racing for the last seat are served one
after the other by the row's lock, and the second finds the slot full. Moving a booking takes the
new seat and gives the old one back in the same transaction. Every step writes its audit event and
the citizen's notification (its mail carries the .ics invitation, approvals.appointment_ics) in
the transaction of the change. A site inspection visit is a slot of another purpose, booked the
same way."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition, NotAllowed, WorkflowError
from departments.access import member_role, supervisor_memberships
from departments.models import Department

from .events import booking_event, department_event
from .locks import lock_booking
from .models import (
    Application,
    AppointmentBooking,
    AppointmentMode,
    AppointmentPurpose,
    AppointmentSlot,
    BookingStatus,
    NotificationKind,
)
from .notifications import notify
from .sla import local_date, sla_calendar
from .transitions import status_move


class SlotFull(WorkflowError):
    default_message = _("Sorry, the last seat of this appointment was just taken. Choose another time.")


class TooLate(WorkflowError):
    pass


# --- Publishing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPlan:
    """What a supervisor publishes: on each working day from ``first_day`` to ``last_day``, slots
    of ``minutes`` from ``opens`` until ``closes``, each with ``capacity`` seats."""

    first_day: date
    last_day: date
    opens: time
    closes: time
    minutes: int
    capacity: int
    mode: str
    video_link: str = ""
    address: str = ""
    purpose: str = AppointmentPurpose.ADVICE


def plan_problems(plan: SlotPlan, *, now: datetime) -> list[str]:
    """What is wrong with a plan (nothing: an empty list), each as a message for the form."""
    problems = []
    if plan.first_day < local_date(now):
        problems.append(_("Slots cannot be published in the past: start today or later."))
    if plan.last_day < plan.first_day:
        problems.append(_("The last day must not be before the first day."))
    elif (plan.last_day - plan.first_day).days >= settings.APPOINTMENT_PUBLISH_MAX_DAYS:
        problems.append(_("Publish at most %(days)d days at once.") % {"days": settings.APPOINTMENT_PUBLISH_MAX_DAYS})
    if plan.closes <= plan.opens:
        problems.append(_("The closing time must be after the opening time."))
    if plan.minutes < 5:
        problems.append(_("A slot lasts at least 5 minutes."))
    if plan.capacity < 1:
        problems.append(_("A slot has at least one seat."))
    if plan.mode == AppointmentMode.ONLINE and not plan.video_link:
        problems.append(_("Give the video link of an online appointment."))
    if plan.mode == AppointmentMode.COUNTER and not plan.address:
        problems.append(_("Give the counter's address."))
    return problems


def slot_times(plan: SlotPlan, *, department_id: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """The start and end of each slot of the plan: on the department's working days only
    (holidays skipped, make-up working days included), none that has started already."""
    calendar, zone = sla_calendar(department_id), timezone.get_default_timezone()
    length, times = timedelta(minutes=plan.minutes), []
    day = plan.first_day
    while day <= plan.last_day:
        if calendar.is_working_day(day):
            start = datetime.combine(day, plan.opens, tzinfo=zone)
            closes = datetime.combine(day, plan.closes, tzinfo=zone)
            while start + length <= closes:
                if start > now:
                    times.append((start, start + length))
                start += length
        day += timedelta(days=1)
    return times


@transaction.atomic
def slots_publish(*, actor, department: Department, service=None, plan: SlotPlan, ip: str | None = None) -> int:
    """Publish the plan's slots for a department the actor supervises; a slot already published
    at the same start is kept as it is. Returns how many were added; a plan with a problem, or one
    that gives no slot at all, raises and adds nothing."""
    if not supervisor_memberships(actor).filter(department=department).exists():
        raise NotAllowed(_("Only a supervisor of the department publishes its appointment slots."))
    now = timezone.now()
    problems = plan_problems(plan, now=now)
    if problems:
        raise WorkflowError(" ".join(problems))
    times = slot_times(plan, department_id=department.pk, now=now)
    if not times:
        raise WorkflowError(_("These days and hours give no slot: none falls on a working day in the future."))
    existing = AppointmentSlot.objects.filter(department=department, service=service, purpose=plan.purpose)
    before = existing.count()
    rows = AppointmentSlot.objects.bulk_create([
        AppointmentSlot(department=department, service=service, purpose=plan.purpose, starts_at=start, ends_at=end,
                        capacity=plan.capacity, mode=plan.mode, video_link=plan.video_link, address=plan.address,
                        published_by=actor)
        for start, end in times
    ], ignore_conflicts=True)
    added = existing.count() - before  # the transaction holds what it added (ignore_conflicts gives no ids)
    audit_record(department_event(Action.APPOINTMENT_SLOTS_PUBLISHED, department, actor=actor, ip=ip, added=added,
                                  offered=len(rows), service=service.slug if service else "",
                                  first_day=plan.first_day.isoformat(), last_day=plan.last_day.isoformat()))
    return added


# --- Booking ---------------------------------------------------------------------------------------


def cutoff(slot: AppointmentSlot) -> datetime:
    """Until when a booking of this slot can be cancelled or moved."""
    return slot.starts_at - timedelta(hours=settings.APPOINTMENT_CHANGE_CUTOFF_HOURS)


def bookable_slots(*, service=None, now: datetime | None = None):
    """The slots a citizen can book for a service: pre-application meetings of the departments
    that review it (for it or for any of their services), not started, with a seat left."""
    now = now or timezone.now()
    slots = AppointmentSlot.objects.filter(purpose=AppointmentPurpose.ADVICE, starts_at__gt=now,
                                           booked__lt=F("capacity"))
    if service is not None:
        slots = slots.filter(Q(service=service) | Q(service__isnull=True, department__requirements__service=service))
    return slots.select_related("department", "service").distinct().order_by("starts_at", "pk")


def _take_seat(slot_id: int, *, now: datetime) -> AppointmentSlot:
    # The conditional UPDATE waits for a racing booking's lock, then re-reads the row: the last
    # seat is taken once.
    taken = AppointmentSlot.objects.filter(pk=slot_id, starts_at__gt=now, booked__lt=F("capacity")).update(
        booked=F("booked") + 1)
    slot = AppointmentSlot.objects.select_related("department", "service").filter(pk=slot_id).first()
    if slot is None:
        raise AppointmentSlot.DoesNotExist
    if not taken:
        if slot.starts_at <= now:
            raise InvalidTransition(_("This appointment time has passed. Choose another time."))
        raise SlotFull
    return slot


def _booking_application(citizen, application_id: int | None, slot: AppointmentSlot) -> Application | None:
    if application_id is None:
        return None
    application = Application.objects.filter(pk=application_id, applicant=citizen).first()
    if application is None:
        raise Application.DoesNotExist
    if slot.service_id is not None and slot.service_id != application.service_id:
        raise InvalidTransition(_("This appointment is for another service."))
    return application


@transaction.atomic
def booking_make(*, citizen, slot_id: int, application_id: int | None = None, ip: str | None = None
                 ) -> AppointmentBooking:
    """Book a seat for the citizen (for one of their applications, when given). A full slot
    raises SlotFull, one already held by the citizen InvalidTransition, and nothing is written."""
    now = timezone.now()
    slot = _take_seat(slot_id, now=now)
    application = _booking_application(citizen, application_id, slot)
    try:
        with transaction.atomic():
            booking = AppointmentBooking.objects.create(slot=slot, citizen=citizen, application=application)
    except IntegrityError:
        raise InvalidTransition(_("You have already booked this appointment.")) from None
    audit_record(booking_event(Action.APPOINTMENT_BOOKED, booking, actor=citizen, ip=ip, slot=slot.pk,
                               starts_at=slot.starts_at.isoformat()))
    notify(recipient_ids=[citizen.pk], kind=NotificationKind.APPOINTMENT_BOOKED, application=application,
           params={"booking": booking.pk})
    return booking


def _lock_own_booking(citizen, booking_id: int) -> AppointmentBooking:
    booking = lock_booking(booking_id, citizen=citizen)
    if booking is None:
        raise AppointmentBooking.DoesNotExist
    if not booking.is_live:
        raise InvalidTransition(_("This appointment is no longer booked."))
    return booking


def _check_cutoff(booking: AppointmentBooking, now: datetime) -> None:
    if now >= cutoff(booking.slot):
        raise TooLate(_("Appointments can be cancelled or moved until %(hours)d hours before they start. "
                        "Contact the department to change this one.")
                      % {"hours": settings.APPOINTMENT_CHANGE_CUTOFF_HOURS})


def _give_back_seat(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


@transaction.atomic
def booking_cancel(*, citizen, booking_id: int, ip: str | None = None) -> AppointmentBooking:
    """Cancel the citizen's booking before the cut-off, giving its seat back."""
    now = timezone.now()
    booking = _lock_own_booking(citizen, booking_id)
    _check_cutoff(booking, now)
    status_move(booking, BookingStatus.CANCELLED)
    booking.changed_at, booking.sequence = now, booking.sequence + 1
    booking.save(update_fields=["status", "changed_at", "sequence"])
    _give_back_seat(booking.slot_id)
    audit_record(booking_event(Action.APPOINTMENT_CANCELLED, booking, actor=citizen, ip=ip, slot=booking.slot_id))
    notify(recipient_ids=[citizen.pk], kind=NotificationKind.APPOINTMENT_CANCELLED,
           application=booking.application, params={"booking": booking.pk})
    return booking


@transaction.atomic
def booking_move(*, citizen, booking_id: int, slot_id: int, ip: str | None = None) -> AppointmentBooking:
    """Move the citizen's booking to another slot of the same department and purpose, before the
    cut-off: the new seat is taken and the old one given back together, or nothing changes."""
    now = timezone.now()
    booking = _lock_own_booking(citizen, booking_id)
    _check_cutoff(booking, now)
    old = booking.slot
    if slot_id == old.pk:
        raise InvalidTransition(_("Choose a different time to move the appointment to."))
    target = AppointmentSlot.objects.filter(pk=slot_id).values("department_id", "purpose", "service_id").first()
    if target is None:
        raise AppointmentSlot.DoesNotExist
    if (target["department_id"], target["purpose"]) != (old.department_id, old.purpose):
        raise InvalidTransition(_("An appointment can only be moved to another time of the same department."))
    slot = _take_seat(slot_id, now=now)
    if booking.application_id and slot.service_id and slot.service_id != booking.application.service_id:
        raise InvalidTransition(_("This appointment is for another service."))
    booking.slot, booking.changed_at, booking.sequence = slot, now, booking.sequence + 1
    booking.reminded_at = None  # the new time gets its own reminder
    try:
        with transaction.atomic():
            booking.save(update_fields=["slot", "changed_at", "sequence", "reminded_at"])
    except IntegrityError:
        raise InvalidTransition(_("You have already booked this appointment.")) from None
    _give_back_seat(old.pk)
    audit_record(booking_event(Action.APPOINTMENT_MOVED, booking, actor=citizen, ip=ip, slot=slot.pk, moved_from=old.pk,
                               starts_at=slot.starts_at.isoformat()))
    notify(recipient_ids=[citizen.pk], kind=NotificationKind.APPOINTMENT_MOVED, application=booking.application,
           params={"booking": booking.pk})
    return booking


@transaction.atomic
def booking_no_show(*, officer, booking_id: int, ip: str | None = None) -> AppointmentBooking:
    """An officer of the slot's department records that the citizen did not come (once the
    appointment has started)."""
    booking = lock_booking(booking_id)
    if booking is None or member_role(officer, booking.slot.department_id) is None:
        raise AppointmentBooking.DoesNotExist
    if not booking.is_live:
        raise InvalidTransition(_("Only a booked appointment can be recorded as missed."))
    now = timezone.now()
    if booking.slot.starts_at > now:
        raise InvalidTransition(_("A no-show can be recorded once the appointment has started."))
    status_move(booking, BookingStatus.NO_SHOW)
    booking.changed_at, booking.no_show_by = now, officer
    booking.save(update_fields=["status", "changed_at", "no_show_by"])
    audit_record(booking_event(Action.APPOINTMENT_NO_SHOW, booking, actor=officer, ip=ip, slot=booking.slot_id))
    return booking


# --- Reminders -------------------------------------------------------------------------------------


def _reminder_due(now: datetime) -> Q:
    """Live bookings not reminded yet whose appointment is tomorrow (in the portal's time zone) or
    later today: a run missed yesterday still reminds before the appointment."""
    day_after = local_date(now) + timedelta(days=2)
    until = datetime.combine(day_after, time.min, tzinfo=timezone.get_default_timezone())
    return Q(status=BookingStatus.BOOKED, reminded_at__isnull=True, slot__starts_at__gt=now, slot__starts_at__lt=until)


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each citizen of tomorrow's appointment, once: the reminder is claimed by a
    conditional UPDATE in the transaction that writes it, so a second run sends nothing."""
    now = now or timezone.now()
    sent = 0
    for booking_id in AppointmentBooking.objects.filter(_reminder_due(now)).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            if not AppointmentBooking.objects.filter(_reminder_due(now), pk=booking_id).update(reminded_at=now):
                continue
            booking = AppointmentBooking.objects.select_related("slot__department", "application").get(pk=booking_id)
            notify(recipient_ids=[booking.citizen_id], kind=NotificationKind.APPOINTMENT_REMINDER,
                   application=booking.application, params={"booking": booking.pk})
            audit_record(booking_event(Action.APPOINTMENT_REMINDED, booking, slot=booking.slot_id))
            sent += 1
    return sent
