"""django-otp-webauthn's passkey ceremonies under the portal's rules. Its JavaScript calls them
by their names in the ``otp_webauthn`` namespace (accounts.passkey_urls).

- A passkey is a second factor after the password (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN off):
  signing in with one, or confirming it is them, needs a signed-in session.
- Only staff add passkeys; a session already verified adds one only after confirming it is them
  (the library itself refuses an unverified session of an account that has a factor).
- A passkey added is audited in the transaction that saves it; a passkey that verifies the session
  goes through second_factor_passed, and one that fails through second_factor_failed, as codes do.
"""

import logging

from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.utils import rewrite_exceptions

from . import factors
from .client_ip import client_ip
from .redirects import safe_next
from .second_factor import (
    is_fresh,
    second_factor_failed,
    second_factor_locked,
    second_factor_passed,
    second_factor_required,
    session_verified,
)

log = logging.getLogger("django_otp_webauthn")


class StaffOnly(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "staff_only"
    default_detail = gettext_lazy("Passkeys are for staff accounts.")


class NotFresh(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "not_fresh"
    default_detail = gettext_lazy("Confirm it is you again before you add a passkey: reload the page.")


class Paused(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_code = "paused"
    default_detail = gettext_lazy("Signing in is paused for this account after too many failed attempts.")


class WellFormedBody:
    """A body that is not UTF-8 is refused as malformed (400), as malformed JSON already is."""

    def _parse_request_data(self, request):
        try:
            return super()._parse_request_data(request)
        except UnicodeDecodeError as error:
            raise exceptions.MalformedRequest() from error


class RegistrationRules(WellFormedBody):
    def check_can_register(self):
        if not second_factor_required(self.request.user):
            raise StaffOnly()
        if session_verified(self.request) and not is_fresh(self.request):
            raise NotFresh()


class PasskeyRegistrationBegin(RegistrationRules, webauthn.BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationComplete(RegistrationRules, webauthn.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        request, user = self.request, self.get_user()
        state = self.get_state()
        with rewrite_exceptions(logger=log), transaction.atomic():
            device = self.get_helper().register_complete(user=user, state=state, data=request.data)
            factors.passkey_added(user=user, device=device, ip=client_ip(request))
        if not session_verified(request):  # the account's first factor
            second_factor_passed(request, device)
        messages.success(request, _("Your passkey is added."))
        return JsonResponse({"id": device.pk})


class AuthenticationRules(WellFormedBody):
    def check_can_authenticate(self):
        super().check_can_authenticate()
        user = self.request.user
        if user.is_authenticated and second_factor_locked(self.request, user):
            raise Paused()


class PasskeyAuthenticationBegin(AuthenticationRules, webauthn.BeginCredentialAuthenticationView):
    pass


class PasskeyAuthenticationComplete(AuthenticationRules, webauthn.CompleteCredentialAuthenticationView):
    """At the sign-in's second step the session becomes verified; in a verified session the
    person is confirming it is them (audited)."""

    def post(self, *args, **kwargs):
        request, user = self.request, self.get_user()
        state = self.get_state()
        try:
            with rewrite_exceptions(logger=log):
                device = self.get_helper().authenticate_complete(user=user, state=state, data=request.data)
            self.check_device_usable(device)
        except exceptions.OTPWebAuthnApiError:
            second_factor_failed(request, user)
            raise
        confirming = session_verified(request)
        if confirming:
            factors.reauthentication_record(user=user, method=factors.FactorKind.PASSKEY, ip=client_ip(request))
            messages.success(request, _("Thank you: you have confirmed it is you. You can go on."))
        second_factor_passed(request, device)
        return JsonResponse({"id": device.pk, "redirect_url": self.get_success_url()})

    def get_success_url(self):
        return safe_next(self.request, self.request.GET.get("next")) or reverse("landing")
