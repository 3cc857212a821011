"""The portal's URLs plus views that fail on purpose, for the error-page tests."""

from botocore.exceptions import EndpointConnectionError
from django.core.exceptions import PermissionDenied
from django.urls import path
from django_ratelimit.exceptions import Ratelimited

from portal.request_limits import too_large
from portal.urls import handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


def forbidden(request):
    raise PermissionDenied("staff only: /officer/secret")


def limited(request):
    raise Ratelimited()


def broken(request):
    raise RuntimeError("SECRET-TRACEBACK-DETAIL")


def store_down(request):
    raise EndpointConnectionError(endpoint_url="http://objectstore:9000/portal/attachments/1/x")


urlpatterns = [
    path("test-errors/503/", store_down),
    path("test-errors/403/", forbidden),
    path("test-errors/429/", limited),
    path("test-errors/500/", broken),
    path("test-errors/413/", too_large),
    *portal_urlpatterns,
]
