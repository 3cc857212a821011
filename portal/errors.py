"""The friendly error pages: 404, 403, 413, 429, 503 and 500, in the site's layout and the visitor's language.

Each offers a way back (the home page, and the previous page when it was one of ours) and the
contact page. The 500 page is rendered without context processors and without the signed-in user,
so it still renders when the database is down."""

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit.exceptions import Ratelimited


def previous_page(request) -> str:
    """The page the visitor came from, when it is on this site and not the page that failed."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer == request.build_absolute_uri():
        return ""
    safe = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())
    return referer if safe else ""


def _render(request, template: str, status: int, *, with_request_context: bool = True, extra=None) -> HttpResponse:
    context = {"previous_page": previous_page(request), **(extra or {})}
    if with_request_context:
        body = loader.render_to_string(template, context, request=request)
    else:
        # No RequestContext: no context processor runs, nothing reads the session's user.
        context.update(request=request, csrf_token=get_token(request))
        body = loader.render_to_string(template, context)
    return HttpResponse(body, status=status)


def page_not_found(request, exception=None):
    return _render(request, "404.html", 404)


def permission_denied(request, exception=None):
    if isinstance(exception, Ratelimited):
        return too_many_requests(request, exception)
    return _render(request, "403.html", 403)


def too_many_requests(request, exception=None, *, template: str = "429.html", extra=None):
    """Every web rate limit answers with this page (the API answers JSON of its own)."""
    return _render(request, template, 429, extra=extra)


def request_too_large(request, *, reason: str):
    """What was sent is larger than its page accepts (portal.request_limits), and was not read.
    The way back is the page itself: the form it was sent from, to choose again."""
    return _render(request, "413.html", 413, extra={"reason": reason, "previous_page": request.get_full_path()})


def storage_unavailable(request):
    """503: the file store did not answer (portal.storage_errors)."""
    return _render(request, "503.html", 503)


def file_missing(request):
    """404: a row names a stored file the store does not have (portal.storage_errors)."""
    return _render(request, "file_missing.html", 404)


def server_error(request):
    return _render(request, "500.html", 500, with_request_context=False)
