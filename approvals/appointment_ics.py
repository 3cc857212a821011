"""The iCalendar invitation (RFC 5545) of a booking, attached to its mails and downloadable from
its page. Its UID stays the booking's whatever the time, and SEQUENCE rises with each change, so a
calendar updates (or, when cancelled, removes) the event it already holds."""

from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.i18n import translated

from .models import AppointmentBooking, AppointmentMode, BookingStatus

ICS_CONTENT_TYPE = "text/calendar"


def booking_uid(booking: AppointmentBooking) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "portal.invalid"
    return f"appointment-{booking.uid}@{host}"


def booking_summary(booking: AppointmentBooking) -> str:
    slot = booking.slot
    what = slot.get_purpose_display()
    if slot.service_id:
        return _("%(what)s: %(service)s (%(department)s)") % {
            "what": what, "service": translated(slot.service.name), "department": slot.department.display_name}
    return _("%(what)s (%(department)s)") % {"what": what, "department": slot.department.display_name}


def booking_ics(booking: AppointmentBooking) -> bytes:
    """The booking's invitation: a request while it stands, a cancellation once it is cancelled."""
    slot, zone = booking.slot, timezone.get_default_timezone()
    cancelled = booking.status == BookingStatus.CANCELLED
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//One-stop government service portal//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", booking.changed_at or booking.created_at)
    event.add("dtstart", slot.starts_at.astimezone(zone))
    event.add("dtend", slot.ends_at.astimezone(zone))
    event.add("summary", booking_summary(booking))
    event.add("location", slot.place)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if slot.mode == AppointmentMode.ONLINE:
        event.add("url", slot.video_link)
    calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE of the time zone DTSTART and DTEND name
    return calendar.to_ical()


def ics_filename(booking: AppointmentBooking) -> str:
    return f"appointment-{booking.pk}.ics"
