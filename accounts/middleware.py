import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.views import APIView

from .models import Role
from .second_factor import second_factor_required, second_step_url, session_verified

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN = "_last_seen"


def max_session_seconds(user) -> int:
    """How long a session may last after signing in, however active: staff and citizens each
    have their own setting."""
    if user.role == Role.CITIZEN:
        return settings.SESSION_CITIZEN_MAX_SECONDS
    return settings.SESSION_STAFF_MAX_SECONDS


def _mark(session, user, now: int, signed_in: int) -> None:
    """Note the request and let the session (its row and its cookie) expire when the server would
    end it anyway: idle from now, or the lifetime reached. Without this every save would give the
    cookie a fresh SESSION_COOKIE_AGE."""
    session[LAST_SEEN] = now
    ends = min(now + settings.SESSION_IDLE_SECONDS, signed_in + max_session_seconds(user))
    session.set_expiry(datetime.fromtimestamp(ends, UTC))


def session_started(sender, request, user, **kwargs) -> None:
    """user_logged_in: the lifetime counts from here, also when the same person signs in again."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    _mark(request.session, user, now, now)


class IdleTimeoutMiddleware:
    """Ends a signed-in session after SESSION_IDLE_SECONDS without a request, and at the latest
    its lifetime (``max_session_seconds``) after signing in. The session's row and cookie expire at
    that moment too (``_mark``), so a browser usually just stops sending it; the check here ends, with
    a message, a session whose stored expiry says otherwise (one from before lifetimes were kept)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session, user = request.session, request.user
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT)
        if signed_in is None:  # a session from before lifetimes were kept: it counts from now
            signed_in = session[SIGNED_IN_AT] = now
        last = session.get(LAST_SEEN)
        if now - signed_in >= max_session_seconds(user):
            self._end(request, "lifetime", _("Your session has reached its time limit. Sign in again to go on."))
        elif last is not None and now - last >= settings.SESSION_IDLE_SECONDS:
            minutes = settings.SESSION_IDLE_SECONDS // 60
            self._end(request, "idle", ngettext(
                "You were signed out after %(minutes)d minute without activity. Sign in again to go on.",
                "You were signed out after %(minutes)d minutes without activity. Sign in again to go on.",
                minutes) % {"minutes": minutes})
        elif last is None or now - last > 60:  # write the session at most once a minute
            _mark(session, user, now, signed_in)

    @staticmethod
    def _end(request, reason: str, message: str) -> None:
        request.signed_out_reason = reason  # for the audit event (portal.auth_audit)
        logout(request)
        messages.info(request, message)


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
