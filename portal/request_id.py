"""Every request gets an id (core.request_id): the client's X-Request-ID when well-formed (a proxy
in front may have made it), a new one otherwise. It is in every log line of the request, in the
headers of every Celery task the request sends, and in the response's X-Request-ID.

Each request ends with one line of its own on the ``portal.requests`` logger (INFO): method, path
(never the query string, which may hold what people typed), view, status and duration. It takes
the place of gunicorn's access log, so that line too is JSON and carries the id."""

import logging
import time

from django.core.signals import request_finished
from django.dispatch import receiver

from core.request_id import bind, clear, new_request_id, well_formed

HEADER = "X-Request-ID"
log = logging.getLogger("portal.requests")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        given = request.headers.get(HEADER, "")
        request.request_id = given if well_formed(given) else new_request_id()
        # Bound until the response is closed, not only while the middleware runs: Django logs a
        # 4xx or 5xx after every middleware has returned, and a streamed body is read later still.
        bind(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        match = getattr(request, "resolver_match", None)
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "method": request.method, "path": request.path, "view": match.view_name if match else None,
            "status": response.status_code, "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        return response


@receiver(request_finished)
def _request_finished(**kwargs):
    clear()
