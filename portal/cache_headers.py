"""Which responses no cache may keep: the browser's (Back after signing out, a shared computer),
nor a proxy's.

A response is private when it answers someone the portal knows (a signed-in person, a request
with a token, a session that holds something: a claim code, an identity waiting to be linked),
or when it is a file download. Private responses get Django's never-cache headers
(``no-store``, ``private``, ``max-age=0``; an ``Expires`` in the past for old caches, which also
makes ``Pragma`` unnecessary). A view that set its own Cache-Control keeps it: Django's
``never_cache`` and ``cache_control`` decorators, the admin's pages. Anonymous visitors' public
pages (home, catalogue, help) go out without one and may be cached; the session's ``Vary:
Cookie`` keeps a signed-in person's copy of the same address apart. Static files never reach this
middleware: WhiteNoise answers them before it."""

from django.utils.cache import add_never_cache_headers


def is_private(request, response) -> bool:
    if response.get("Content-Disposition", "").startswith("attachment"):
        return True
    if "Authorization" in request.headers:
        return True
    user = getattr(request, "user", None)  # a response from a middleware before authentication has none
    if user is not None and user.is_authenticated:  # after the API's token authentication too
        return True
    session = getattr(request, "session", None)
    return session is not None and bool(session.keys())


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and is_private(request, response):
            add_never_cache_headers(response)
        return response
