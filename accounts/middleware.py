import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from rest_framework.views import APIView

from .second_factor import second_factor_required, second_step_url, session_verified


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


class SecondFactorMiddleware:
    """A staff session that has not given its second factor reaches nothing but the second step
    (or, while the account has no factor yet, the enrolment page), and what a person needs on the
    way: signing out, the language and text-size switches, the health check, static files and the
    passkey ceremonies. The API authenticates by token and never reads the session, so it passes;
    so does every request of a citizen."""

    EXEMPT_VIEWS = frozenset({
        "accounts:logout", "accounts:second_factor", "accounts:second_factor_recovery",
        "accounts:second_factor_enrol", "set_language", "text_size", "healthz",
    })
    EXEMPT_NAMESPACES = frozenset({"otp_webauthn"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not second_factor_required(user) or session_verified(request) or self._exempt(request, view_func):
            return None
        return redirect(second_step_url(user, request.get_full_path() if request.method == "GET" else ""))

    def _exempt(self, request, view_func) -> bool:
        match = request.resolver_match
        if match.view_name in self.EXEMPT_VIEWS or self.EXEMPT_NAMESPACES.intersection(match.namespaces):
            return True
        if request.path.startswith(settings.STATIC_URL):
            return True
        view_class = getattr(view_func, "cls", None)
        return isinstance(view_class, type) and issubclass(view_class, APIView)
