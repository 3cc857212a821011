"""A citizen's appointments (pre-application meetings: book from a service or an application,
move, cancel, the .ics invitation) and their request for advice on a draft."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import appointment_selectors as selectors
from approvals.advice import advice_request
from approvals.appointment_ics import ICS_CONTENT_TYPE, booking_ics, ics_filename
from approvals.appointments import bookable_slots, booking_cancel, booking_make, booking_move
from approvals.models import Application, AppointmentBooking, AppointmentSlot
from audit.services import access_denied, client_ip
from catalogue.models import Service
from core.errors import WorkflowError

from .views import citizen_required, own_application


def _own_booking(request, pk):
    try:
        return selectors.own_booking(request.user, pk)
    except Http404:
        access_denied(request, object_type="appointmentbooking", object_id=pk)
        raise


def _slot_id(request) -> int | None:
    value = request.POST.get("slot", "")
    return int(value) if value.isdigit() else None


@citizen_required
def bookings(request):
    page = Paginator(selectors.citizen_bookings(request.user), selectors.BOOKINGS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "approvals/appointments/bookings.html", {"page": page, "bookings": list(page)})


@citizen_required
def book(request, slug):
    """The service's pre-application meetings with a seat left; choosing one books it (for the
    citizen's application named by ``?application=``, when given)."""
    service = get_object_or_404(Service, slug=slug, is_active=True)
    application = None
    application_id = request.GET.get("application") or request.POST.get("application")
    if application_id:
        application = own_application(request, int(application_id) if str(application_id).isdigit() else 0)
    if request.method == "POST":
        slot_id = _slot_id(request)
        if slot_id is None:
            messages.error(request, _("Choose a time."))
        else:
            try:
                booking = booking_make(citizen=request.user, slot_id=slot_id,
                                       application_id=application.pk if application else None, ip=client_ip(request))
            except (AppointmentSlot.DoesNotExist, Application.DoesNotExist):
                raise Http404 from None
            except WorkflowError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Your appointment is booked. We sent you a confirmation with a calendar invitation."))
                return redirect("approvals:booking", booking.pk)
    return render(request, "approvals/appointments/book.html", {
        "service": service, "application": application, "slots": list(bookable_slots(service=service))})


@citizen_required
def booking(request, pk):
    booking = _own_booking(request, pk)
    return render(request, "approvals/appointments/booking.html", {
        "booking": booking, "choices": selectors.move_choices(booking) if booking.changeable else []})


@require_POST
@citizen_required
def booking_move_view(request, pk):
    _own_booking(request, pk)
    slot_id = _slot_id(request)
    if slot_id is None:
        messages.error(request, _("Choose a time."))
        return redirect("approvals:booking", pk)
    return _booking_act(request, pk, lambda: booking_move(citizen=request.user, booking_id=pk, slot_id=slot_id,
                                                          ip=client_ip(request)),
                        _("Your appointment was moved. We sent you the updated calendar invitation."))


@require_POST
@citizen_required
def booking_cancel_view(request, pk):
    _own_booking(request, pk)
    return _booking_act(request, pk, lambda: booking_cancel(citizen=request.user, booking_id=pk, ip=client_ip(request)),
                        _("Your appointment is cancelled."))


def _booking_act(request, pk, action, success: str):
    """Move or cancel the citizen's booking: its page again, with what came of it; a slot or
    booking that is not theirs to use a 404."""
    try:
        action()
    except (AppointmentSlot.DoesNotExist, AppointmentBooking.DoesNotExist):
        raise Http404 from None
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("approvals:booking", pk)


@citizen_required
def booking_invitation(request, pk):
    booking = _own_booking(request, pk)
    response = HttpResponse(booking_ics(booking), content_type=f"{ICS_CONTENT_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(booking)}"'
    return response


@require_POST
@citizen_required
def advice_ask(request, pk):
    """Send the draft to its service's departments for advice."""
    application = own_application(request, pk)
    try:
        advice_request(citizen=request.user, application_id=application.pk,
                       question=request.POST.get("question", ""), ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your draft was sent to the departments for advice. Their answers will appear on this page."))
    return redirect(reverse("approvals:detail", args=[pk]) + "#advice")

