"""Session lifetimes (accounts.middleware): idle and absolute, the cookie and the session row
expiring when the server would end the session anyway, never later."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import factors
from accounts.middleware import SIGNED_IN_AT
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.totp import unused_code

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LANDING = reverse("landing")
PASSWORD_PAGE = reverse("accounts:password_change")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def sign_in(client, email):
    """The password, then (staff) the code from the authenticator app: a session's lifetime
    counts from the password step, when the person is signed in."""
    response = client.post(LOGIN, {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    if response.url.startswith(reverse("accounts:second_factor")):
        device = TOTPDevice.objects.get(user__email=email)
        assert client.post(response.url, {"code": unused_code(device)}).status_code == 302
    return response


def officer(email="officer@example.gov"):
    user = UserFactory(email=email, role="officer")
    factors.totp_device_set(user=user, secret=SECRET)
    return user


def cookie_age(response) -> int:
    return int(response.cookies["sessionid"]["max-age"])


def session_expiry(client) -> datetime:
    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def test_staff_session_ends_12_hours_after_signing_in_however_active(client, clock, settings):
    assert settings.SESSION_STAFF_MAX_SECONDS == 12 * 3600
    officer()
    response = sign_in(client, "officer@example.gov")
    assert cookie_age(response) == 1800  # idle first: 30 minutes
    assert session_expiry(client) == START + timedelta(minutes=30)

    for _ in range(12 * 3 - 1):  # a request every 20 minutes, never idle
        clock.shift(20 * 60)
        assert client.get(PASSWORD_PAGE).status_code == 200
    # 11 h 40 min in: the cookie and the row expire at 21:00, not 30 minutes (or 12 hours) from now.
    clock.shift(10 * 60)
    response = client.get(PASSWORD_PAGE)
    assert response.status_code == 200
    assert cookie_age(response) == 600
    assert session_expiry(client) == START + timedelta(hours=12)

    clock.shift(10 * 60)
    response = client.get(PASSWORD_PAGE)
    assert (response.status_code, response.url) == (302, f"{LOGIN}?next={PASSWORD_PAGE}")
    assert "_auth_user_id" not in client.session


def test_the_server_ends_a_session_whatever_its_stored_expiry_says(client, clock):
    """A session from before lifetimes were kept (or any whose cookie was given longer) still ends
    on time, with a word why, and the sign-out is audited."""
    officer = UserFactory(email="officer@example.gov", role="officer")
    client.force_login(officer)
    session = client.session
    del session[SIGNED_IN_AT]
    session.set_expiry(30 * 24 * 3600)
    session.save()
    for _ in range(12 * 3):  # its lifetime counts from its first request, at 9:20
        clock.shift(20 * 60)
        assert client.get(PASSWORD_PAGE).status_code == 200
    session = client.session
    session.set_expiry(30 * 24 * 3600)
    session.save()
    clock.shift(20 * 60)
    response = client.get(PASSWORD_PAGE, follow=True)
    assert response.redirect_chain == [(f"{LOGIN}?next={PASSWORD_PAGE}", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Your session has reached its time limit. Sign in again to go on."]
    assert "_auth_user_id" not in client.session
    assert list(AuditEvent.objects.filter(action=Action.SIGNED_OUT).values_list(
        "actor_id", "object_id", "subject_id", "details")) == [(officer.pk, str(officer.pk), None, {"reason": "lifetime"})]


def test_citizens_have_their_own_lifetime(client, clock, settings):
    settings.SESSION_CITIZEN_MAX_SECONDS = 4 * 3600
    UserFactory(email="c@example.org")
    sign_in(client, "c@example.org")
    staff = Client()
    sign_in(staff, officer().email)
    for _ in range(4 * 3 - 1):
        clock.shift(20 * 60)
        assert client.get(PASSWORD_PAGE).status_code == 200
        assert staff.get(PASSWORD_PAGE).status_code == 200
    clock.shift(20 * 60)
    assert client.get(PASSWORD_PAGE).status_code == 302
    assert staff.get(PASSWORD_PAGE).status_code == 200


def test_idle_session_ends_and_its_cookie_says_so(client, clock, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    UserFactory(email="c@example.org")
    sign_in(client, "c@example.org")
    clock.shift(30)
    response = client.get(PASSWORD_PAGE)
    assert "sessionid" not in response.cookies  # written at most once a minute
    clock.shift(31)
    response = client.get(PASSWORD_PAGE)
    assert cookie_age(response) == 1800
    assert session_expiry(client) == START + timedelta(seconds=61 + 1800)
    # The server's own clock for idleness runs out at the moment the cookie and the row expire.
    clock.shift(1800 - 1)
    assert client.get(PASSWORD_PAGE).status_code == 200
    session = client.session
    session.set_expiry(30 * 24 * 3600)  # as if the cookie were kept longer
    session.save()
    clock.shift(1800)
    response = client.get(PASSWORD_PAGE, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 30 minutes without activity. Sign in again to go on."]
    assert "_auth_user_id" not in client.session
    assert list(AuditEvent.objects.filter(action=Action.SIGNED_OUT).values_list("details", flat=True)) == [
        {"reason": "idle"}]


def test_signing_in_again_restarts_the_lifetime(client, clock):
    officer()
    sign_in(client, "officer@example.gov")
    for _ in range(11 * 3):
        clock.shift(20 * 60)
        assert client.get(PASSWORD_PAGE).status_code == 200
    client.post(reverse("accounts:logout"))
    sign_in(client, "officer@example.gov")  # 20:00
    for _ in range(3 * 3):  # until 23:00, past the first sign-in's 21:00
        clock.shift(20 * 60)
        assert client.get(PASSWORD_PAGE).status_code == 200
