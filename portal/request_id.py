"""Every request gets an id (core.request_id): the client's X-Request-ID when well-formed (a proxy
in front may have made it), a new one otherwise. It is in every log line of the request, in the
headers of every Celery task the request sends, and in the response's X-Request-ID."""

from django.core.signals import request_finished
from django.dispatch import receiver

from core.request_id import bind, clear, new_request_id, well_formed

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request.request_id = given if well_formed(given) else new_request_id()
        # Bound until the response is closed, not only while the middleware runs: Django logs a
        # 4xx or 5xx after every middleware has returned, and a streamed body is read later still.
        bind(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


@receiver(request_finished)
def _request_finished(**kwargs):
    clear()
