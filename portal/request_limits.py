"""How large a request body may be, decided from its route before any of it is read.

Uploads come in on three kinds of route: the form pages (a citizen's draft page and correction,
an opinion with its files), the API's attachment upload, and the public permit-file check. A
body larger than its route allows is answered 413 (a page, or the API's JSON error) from its
``Content-Length``, before CSRF or a view reads it. The proxy in front refuses bodies over UPLOAD_MAX_REQUEST_BYTES the same
way (README, "Upload limits").

A body that arrives without a ``Content-Length`` (chunked) is never read under WSGI (Django takes
it as empty, so such a form arrives without its files); where a server hands Django more than
the header said (ASGI), ``CappedUploadHandler`` counts the file bytes as they stream in and
stops at the route's limit, and non-file data stops at DATA_UPLOAD_MAX_MEMORY_SIZE (Django)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import request_too_large

# Room for a form's other fields and the multipart headers around one file.
FORM_OVERHEAD_BYTES = 64 * 1024

FORM_UPLOAD_ROUTES = frozenset({"approvals:edit", "approvals:correct", "departments:opinion_give"})
API_UPLOAD_ROUTES = frozenset({"api:application-attachments"})
PERMIT_FILE_ROUTE = "permits:verify_file"


class UploadTooLarge(RequestDataTooBig):
    """More file data streamed in than the route allows."""


def body_limit(request) -> int:
    """The largest body, in bytes, that ``request``'s route accepts."""
    name = request.resolver_match.view_name if request.resolver_match else ""
    if name in FORM_UPLOAD_ROUTES or name in API_UPLOAD_ROUTES:
        return settings.UPLOAD_MAX_REQUEST_BYTES
    if name == PERMIT_FILE_ROUTE:
        return min(settings.PERMIT_VERIFY_UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES, settings.UPLOAD_MAX_REQUEST_BYTES)
    if is_api(request):
        return settings.API_MAX_BODY_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def is_api(request) -> bool:
    return bool(request.resolver_match) and "api" in request.resolver_match.namespaces


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads nothing of a body whose length is not a number


class RequestSizeMiddleware:
    """Refuses a body over its route's limit before it is read. It must come before anything
    that reads the body in ``process_view`` (CsrfViewMiddleware reads a form's fields)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.body_limit = body_limit(request)
        if _declared_length(request) > request.body_limit:
            return too_large(request)
        if request.method == "POST" and not is_api(request) and request.content_type == "multipart/form-data":
            try:  # read it now, under CappedUploadHandler, rather than in CsrfViewMiddleware
                request.FILES  # noqa: B018
            except UploadTooLarge:
                return too_large(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, UploadTooLarge):
            return too_large(request)
        return None


def too_large(request):
    """413: the API's JSON error, or a page that says what to do instead."""
    size = filesizeformat(getattr(request, "body_limit", None) or body_limit(request))
    if is_api(request):
        message = _("The request body is too large: at most %(size)s is accepted here.") % {"size": size}
        return JsonResponse({"error": {"code": "too_large", "message": message, "fields": {}}}, status=413)
    if request.resolver_match and request.resolver_match.view_name == PERMIT_FILE_ROUTE:
        reason = _("The file is larger than %(size)s: a permit is much smaller.") % {
            "size": filesizeformat(settings.PERMIT_VERIFY_UPLOAD_MAX_BYTES)}
    else:
        reason = _("The files you chose come to more than %(size)s, the most we accept at once. Attach them one or "
                   "two at a time, or make them smaller (for example, scan at a lower resolution).") % {"size": size}
    return request_too_large(request, reason=reason)


class CappedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts the bytes of every file in a request as they stream
    in, and stops the upload once they pass the route's limit (set by RequestSizeMiddleware)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = getattr(request, "body_limit", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(f"more than {self.limit} bytes of files")
        return raw_data

    def file_complete(self, file_size):
        return None
