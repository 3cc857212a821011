"""The request id: one string that ties together every log line of a web request and of the Celery
tasks it sent (portal.request_id sets it for a request, portal.task_signals for a task).

It lives in a context variable, so threads and tasks each see their own, and a log filter on the
handlers copies it onto every record. An id a client sends is taken only when well-formed (a
proxy's or a load balancer's id, a UUID), so a log line can never be forged through the header."""

import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

# Letters, digits and - _ . : up to 64 characters: UUIDs, the ids proxies and load balancers make.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
# A batched nudge serves several requests: its task carries their ids joined, at most this many.
MAX_JOINED = 20
SEPARATOR = ","

_current: ContextVar[str] = ContextVar("request_id", default="")


def well_formed(value: str | None) -> bool:
    return bool(value) and WELL_FORMED.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request or task this code runs for ("" outside both)."""
    return _current.get()


def joined(ids) -> str:
    """Several requests' ids as one value (a task serving them all), duplicates dropped."""
    return SEPARATOR.join(list(dict.fromkeys(i for i in ids if i))[:MAX_JOINED])


def accepted(value: str | None) -> str:
    """``value`` as a task's header carried it: one well-formed id or several joined; "" otherwise."""
    parts = (value or "").split(SEPARATOR)
    return value if value and len(parts) <= MAX_JOINED and all(map(well_formed, parts)) else ""


def bind(value: str):
    """Make ``value`` the current id; returns the token ``unbind`` takes."""
    return _current.set(value)


def unbind(token) -> None:
    _current.reset(token)


def clear() -> None:
    _current.set("")


@contextmanager
def bound(value: str):
    token = bind(value)
    try:
        yield
    finally:
        unbind(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record a handler emits ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True
