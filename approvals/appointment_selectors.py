"""The reads of appointments and pre-application advice: a citizen's own bookings and advice (any
other person's is a 404), a department's slots and its queue of advice requests."""

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from core.i18n import translated
from departments.access import active_memberships

from .appointments import bookable_slots, cutoff
from .models import AdviceRequest, AppointmentBooking, AppointmentSlot, Attachment, BookingStatus

BOOKINGS_PAGE_SIZE = 25
SLOTS_PAGE_SIZE = 50
ADVICE_PAGE_SIZE = 25


def _department_ids(user) -> list[int]:
    return list(active_memberships().filter(user=user).values_list("department_id", flat=True))


# --- The citizen's ---------------------------------------------------------------------------------


def citizen_bookings(user) -> QuerySet:
    """The citizen's bookings, the coming ones first, then the past and cancelled ones."""
    return (AppointmentBooking.objects.filter(citizen=user)
            .select_related("slot__department", "slot__service", "application")
            .order_by(F("slot__starts_at").desc(), "-pk"))


def own_booking(user, pk: int) -> AppointmentBooking:
    booking = citizen_bookings(user).filter(pk=pk).first()
    if booking is None:
        raise Http404
    booking.change_until = cutoff(booking.slot)
    booking.changeable = booking.is_live and timezone.now() < booking.change_until
    return booking


def move_choices(booking: AppointmentBooking) -> list[AppointmentSlot]:
    """The other times the booking can be moved to: the same department's meetings for its service."""
    slots = bookable_slots(service=booking.slot.service or (booking.application.service if booking.application else None))
    return list(slots.filter(department_id=booking.slot.department_id).exclude(pk=booking.slot_id))


def application_advice(application_id: int) -> list[AdviceRequest]:
    """The advice asked for on an application, latest first, with its department."""
    return list(AdviceRequest.objects.filter(application_id=application_id).select_related("department")
                .order_by("-requested_at", "department__code"))


# --- The department's ------------------------------------------------------------------------------


def department_slots(user) -> QuerySet:
    """The coming slots of the user's departments, with their bookings."""
    live = AppointmentBooking.objects.exclude(status=BookingStatus.CANCELLED).select_related("citizen")
    return (AppointmentSlot.objects.filter(department_id__in=_department_ids(user),
                                           ends_at__gt=timezone.now() - timezone.timedelta(days=1))
            .select_related("department", "service").prefetch_related(Prefetch("bookings", queryset=live))
            .order_by("starts_at", "pk"))


def advice_queue(user, *, answered: bool = False) -> QuerySet:
    """Advice requests of the user's departments: open ones by due date (the overdue first), or
    answered ones latest first."""
    rows = (AdviceRequest.objects.filter(department_id__in=_department_ids(user), answered_at__isnull=not answered)
            .select_related("department", "application__service"))
    return rows.order_by("-answered_at", "pk") if answered else rows.order_by("due_date", "pk")


def advice_for_officer(user, pk: int) -> AdviceRequest:
    advice = advice_queue(user).model.objects.filter(pk=pk, department_id__in=_department_ids(user)).select_related(
        "department", "application__service", "answered_by").first()
    if advice is None:
        raise Http404
    return advice


def advice_need_to_know(advice: AdviceRequest) -> dict:
    """What the department asked sees of the draft as it was sent: as for a review, the answers
    and files of the fields its requirement lists (the label of each in the active language);
    files since removed are gone."""
    schema = advice.application.schema
    listed = set(schema.department_fields(advice.department.code))
    specs = schema.fields_by_key
    answers = [(translated(specs[key].get("label")), value) for key, value in advice.answers.items()
               if key in listed and key in specs and value not in (None, "", [])]
    files = list(Attachment.objects.filter(application_id=advice.application_id, pk__in=advice.attachment_ids,
                                           field_key__in=listed).order_by("pk"))
    return {"answers": answers, "files": files}
