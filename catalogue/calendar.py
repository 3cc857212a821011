"""The catalogue's working-day calendar: its working weekdays and holidays, read from the
WorkCalendar and Holiday rows (the arithmetic is core.calendar's)."""

from collections.abc import Iterable
from time import monotonic

from core.calendar import WEEKDAYS, Calendar

from .models import Holiday, WorkCalendar

DEFAULT_WORKDAYS = (0, 1, 2, 3, 4)


def _weekdays(values: Iterable) -> frozenset[int]:
    """The usable weekday numbers of a stored list; Monday to Friday when none is usable
    (an empty week would make every deadline unreachable)."""
    days = set()
    for value in values or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number in WEEKDAYS:
            days.add(number)
    return frozenset(days or DEFAULT_WORKDAYS)


def load_calendar() -> Calendar:
    row = WorkCalendar.objects.order_by("pk").first()
    return Calendar(
        workdays=_weekdays(row.workdays if row else ()),
        holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
    )


CACHE_SECONDS = 60.0
_cache: tuple[float, Calendar] | None = None


def cached_calendar() -> Calendar:
    """The calendar, re-read at most once a minute per process (holidays change rarely; the
    admin clears the cache of its own process on every change)."""
    global _cache
    now = monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, load_calendar())
    return _cache[1]


def clear_calendar_cache() -> None:
    global _cache
    _cache = None
