"""Who must give a second factor, what a session has proven, and the fresh confirmation that
sensitive actions ask for.

Staff (``STAFF_ROLES``, and anyone who may use the admin site) give a second factor after their
password. The password signs them in (accounts.views.LoginView) but leaves the session
unverified; ``accounts.middleware.SecondFactorMiddleware`` then lets it reach nothing but the
second step, or the enrolment page while the account has no factor yet. The factors and every
write to them: accounts.factors. Every success (a code from the app, a recovery code, a passkey)
goes through ``second_factor_passed``, every failure through ``second_factor_failed``.

Session keys:

- ``otp_device_id`` (``django_otp.DEVICE_ID_SESSION_KEY``): the device that verified the session;
  django-otp's middleware gives ``request.user.is_verified()`` from it.
- ``second_factor_at`` (``FRESH_AT``): when the person last proved it is them, in Unix seconds:
  their second factor, or, for a citizen, who has none, their password.
- ``recovery_codes_to_show`` (``RECOVERY_CODES_TO_SHOW``): new recovery codes, kept only until the
  page that shows them once."""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import login as otp_login

from . import events, factors, throttling
from .client_ip import client_ip
from .models import STAFF_ROLES
from .redirects import safe_next

FRESH_AT = "second_factor_at"
RECOVERY_CODES_TO_SHOW = "recovery_codes_to_show"


def second_factor_required(user) -> bool:
    return bool(user.is_authenticated and (user.role in STAFF_ROLES or user.is_staff or user.is_superuser))


def session_verified(request) -> bool:
    """Whether a second factor verified this session (False right after the password: login()
    puts a user without django-otp's marks on the request)."""
    return getattr(getattr(request, "user", None), "otp_device", None) is not None


def second_step_url(user, next_url: str = "") -> str:
    """Where a signed-in staff account without a verified session goes: the second step, or
    enrolment while it has no factor yet; ``next_url`` (already checked) is kept."""
    url = reverse("accounts:second_factor" if factors.has_factor(user) else "accounts:second_factor_enrol")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def mark_fresh(request) -> None:
    request.session[FRESH_AT] = int(time.time())


def second_factor_passed(request, device) -> None:
    """The person gave ``device``'s second factor, at sign-in or to confirm it is them: the
    session is verified (django-otp) and fresh, under a new session id. At sign-in this is when
    a member of staff is signed in, and the audit log says so here, naming the factor (the
    password step records nothing: portal.auth_audit)."""
    signing_in = not session_verified(request)
    request.session.cycle_key()
    otp_login(request, device)
    mark_fresh(request)
    if signing_in:
        events.record("SIGNED_IN", user=request.user, actor=request.user, ip=client_ip(request),
                      details={"second_factor": str(factors.kind_of(device) or "recovery_code")})


def is_fresh(request) -> bool:
    """Whether the person proved it is them within SECOND_FACTOR_FRESH_MINUTES."""
    at = request.session.get(FRESH_AT)
    if at is None or (second_factor_required(request.user) and not session_verified(request)):
        return False
    return time.time() - at <= settings.SECOND_FACTOR_FRESH_MINUTES * 60


# --- Failures: one door for the sign-in throttle ------------------------------------------------


def second_factor_failed(request, user) -> None:
    """A wrong code, recovery code or passkey, or a wrong password typed to confirm it is them:
    counted by the sign-in throttle like a wrong password (accounts.throttling)."""
    throttling.record_failure(request, user.get_username(), stage="second_factor")


def second_factor_locked(request, user) -> bool:
    """Whether the sign-in throttle makes ``user`` wait at this address (wrong passwords and codes)."""
    return throttling.retry_after(request, user.get_username()) is not None


def lockout_response(request, user):
    """Sign the half-signed-in session out and answer the throttle's page."""
    logout(request)
    return throttling.lockout_response(request, user.get_username())


# --- Sensitive actions: a fresh second factor ---------------------------------------------------


def confirm_url(back: str) -> str:
    return f"{reverse('accounts:confirm')}?{urlencode({'next': back})}"


def fresh_second_factor_required(view=None, *, form_page=None, methods=None):
    """Sensitive actions ask for a second factor given within SECOND_FACTOR_FRESH_MINUTES (a
    citizen, who has none, types their password). Otherwise the person is sent to "Confirm it is
    you" and back: a page (GET) comes back to itself; a form sent (POST) is never replayed: the
    person comes back to the page with the form and sends it again. That page is
    ``form_page(request, *args, **kwargs)``, by default the safe ``next`` the form carries, else
    the same address. ``methods`` limits the check to those methods (all by default). Put it
    inside ``login_required``."""

    def decorate(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if (not request.user.is_authenticated or (methods and request.method not in methods)
                    or is_fresh(request)):
                return view_func(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                back = request.get_full_path()
            elif form_page is not None:
                back = form_page(request, *args, **kwargs)
            else:
                back = safe_next(request, request.POST.get("next")) or request.path
            return redirect(confirm_url(back))

        return wrapped

    return decorate(view) if view is not None else decorate


class FreshSecondFactorAdminMixin:
    """For the admin's pages that change roles and memberships: opening or sending an add, change
    or delete form, or an action on the list, asks for a fresh second factor first. A form sent
    is not replayed: the person comes back to it."""

    def _fresh(self, request, view, *args, **kwargs):
        if is_fresh(request):
            return view(request, *args, **kwargs)
        return redirect(confirm_url(request.get_full_path()))

    def changeform_view(self, request, *args, **kwargs):
        return self._fresh(request, super().changeform_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._fresh(request, super().delete_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        if request.method != "POST":  # the list itself changes nothing
            return super().changelist_view(request, *args, **kwargs)
        return self._fresh(request, super().changelist_view, *args, **kwargs)
