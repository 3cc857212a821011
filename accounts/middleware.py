import time

from django.conf import settings
from django.contrib.auth import logout


class IdleTimeoutMiddleware:
    """Ends a signed-in session after SESSION_IDLE_SECONDS without a request."""

    KEY = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
            elif last is None or now - last > 60:  # write the session at most once a minute
                request.session[self.KEY] = now
        return self.get_response(request)
