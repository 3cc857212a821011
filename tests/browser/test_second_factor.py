"""The staff's second factor in real Chromium: a supervisor sets up an authenticator app at the first
sign-in, keeps the recovery codes, signs out, signs in with a code and is asked again before
revoking a permit; a manager adds a passkey with Chromium's virtual authenticator and signs in
with it, on pages whose Content Security Policy is enforced."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from accounts import factors
from accounts.models import Role
from accounts.second_factor import FRESH_AT
from approvals.permit_flow import permit_render
from audit.models import Action, AuditEvent
from permits.models import Permit, PermitStatus
from permits.tests.conftest import approve_all
from tests.engine_fixtures import submitted_application
from tests.factories import PASSWORD, UserFactory
from tests.totp import totp_code

from .steps import enter_code, password_step, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def age_second_factor(page, minutes: int) -> None:
    """The second factor of the browser's session was given ``minutes`` ago."""
    [cookie] = [c for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME]
    session = SessionStore(cookie["value"])
    session[FRESH_AT] -= minutes * 60
    session.save()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".alert-info")).to_contain_text("You have signed out.")


def test_a_supervisor_enrols_signs_in_with_a_code_and_is_asked_again_before_revoking(
        page, assert_accessible, restaurant, citizen, officers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    permit = approve_all(submitted_application(restaurant, citizen), officers)
    assert permit_render(permit_id=permit.pk) == "rendered"
    supervisor = officers["health_supervisor"]

    # First sign-in: the password, then nothing but setting up the app.
    password_step(page, email=supervisor.email, password=PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    assert_accessible(page)
    page.goto("/permits/manage/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Set up the app").click()
    expect(page.locator(".error-summary")).to_contain_text("That code is not right")
    page.wait_for_timeout(1100)  # after a wrong code the app's next try waits a second (django-otp)
    page.get_by_label("Code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Set up the app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", c) for c in codes)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url(re.compile(r"/permits/manage/$"))  # where the supervisor was going
    sign_out(page)

    # Signing in again: the password, then a code from the app.
    password_step(page, email=supervisor.email, password=PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in: second step")
    assert_accessible(page)
    enter_code(page, factors.totp_devices(supervisor).get())
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)

    # Eleven minutes later, revoking a permit asks for the code again, then comes back to the form.
    age_second_factor(page, 11)
    page.get_by_role("link", name="Permits").click()
    page.get_by_role("link", name=permit.number).click()
    page.get_by_label("Reason for the revocation").fill("Kitchen closed by the inspection.")
    page.get_by_role("button", name="Revoke the permit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    assert_accessible(page)
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.VALID
    enter_code(page, factors.totp_devices(supervisor).get())
    expect(page.locator(".alert-success")).to_contain_text("you have confirmed it is you")
    expect(page).to_have_url(re.compile(rf"/permits/manage/{permit.number}/$"))
    page.get_by_label("Reason for the revocation").fill("Kitchen closed by the inspection.")
    page.get_by_role("button", name="Revoke the permit").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Permit {permit.number} is revoked.")
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.REVOKED
    assert list(AuditEvent.objects.filter(action=Action.REAUTHENTICATED).values_list("actor_id", flat=True)) == [
        supervisor.pk]


@pytest.fixture
def passkey_page(chromium, live_server, settings):
    """A page on http://localhost:PORT (a passkey belongs to a host name, never to an address) with
    the Content Security Policy enforced, and Chromium's virtual authenticator plugged in."""
    port = urlsplit(live_server.url).port
    settings.ALLOWED_HOSTS = ["*"]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost:{port}"]
    context = chromium.new_context(base_url=f"http://localhost:{port}", locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and page.csp_violations.append(message.text))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    yield page
    context.close()


def test_a_manager_adds_a_passkey_and_signs_in_with_it(passkey_page):
    page = passkey_page
    manager = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    sign_in(page, email=manager.email, password=PASSWORD)
    page.get_by_role("link", name=re.compile(r"^Your account:")).click()  # the header's name
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in security")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".alert-success")).to_contain_text("Your passkey is added.")
    expect(page.get_by_text(re.compile(r"^Passkey, added "))).to_have_count(1)
    [passkey] = factors.passkeys(manager)
    assert list(AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ADDED).values_list("details", flat=True))[-1] == {
        "kind": "passkey", "device": passkey.pk}
    sign_out(page)

    password_step(page, email=manager.email, password=PASSWORD, next_url="/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in: second step")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(re.compile(r"/dashboards/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert page.csp_violations == []
