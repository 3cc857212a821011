"""The base of every API view."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import APIView

from .errors import RequestTooLarge


class ApiView(APIView):
    """Base of every API view: a body larger than API_MAX_BODY_BYTES (an upload route: the limit
    portal.request_limits set for it) is refused before it is read."""

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError(_("Content-Length is not a number."))
        if length > (getattr(request, "body_limit", None) or settings.API_MAX_BODY_BYTES):
            raise RequestTooLarge()
        super().initial(request, *args, **kwargs)
