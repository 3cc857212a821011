"""The portal's test client. ``force_login`` means "skip the sign-in ceremony": for staff that
ceremony includes the second factor, so it is completed here too, explicitly and in this one
place, the way the real sign-in ends (accounts.second_factor.second_factor_passed) with a real
TOTP device of the person's. The root conftest makes it pytest-django's ``client`` and
``admin_client``."""

from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.factors import TOTP_DEVICE_NAME
from accounts.second_factor import mark_fresh, second_factor_passed, second_factor_required


def totp_device_of(user) -> TOTPDevice:
    """The person's confirmed authenticator app; one is made for them if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)


class PortalClient(Client):
    def force_login(self, user, backend=None, *, second_factor: bool = True):
        """Sign ``user`` in without the ceremony, and end it as the real one ends: a staff
        session verified by their authenticator app, a citizen's fresh from their password.
        ``second_factor=False`` leaves a staff session where the password alone leaves it,
        before the second step."""
        super().force_login(user, backend)
        if second_factor_required(user) and not second_factor:
            return
        request = HttpRequest()
        request.session, request.user = self.session, user
        if second_factor_required(user):
            second_factor_passed(request, totp_device_of(user))
        else:
            mark_fresh(request)
        request.session.save()
        self._set_login_cookies(request)
