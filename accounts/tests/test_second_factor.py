"""The staff's second factor: enforcement, enrolment, the sign-in's second step with right, wrong,
reused and expired codes, recovery codes, removal, the throttle, and the audit events."""

import re
import time
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils.html import escape
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import factors
from accounts.models import Role
from accounts.second_factor import FRESH_AT
from audit.models import Action, AuditEvent
from tests.client import PortalClient
from tests.factories import PASSWORD, UserFactory
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
STEP = reverse("accounts:second_factor")
RECOVERY = reverse("accounts:second_factor_recovery")
ENROL = reverse("accounts:second_factor_enrol")
CODES = reverse("accounts:recovery_codes")
SECURITY = reverse("accounts:security")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF = [Role.OFFICER, Role.SUPERVISOR, Role.MANAGER, Role.AUDITOR, Role.ADMIN]
WRONG = "That code is not right, or it has been used already. Enter the code your app shows now."


def staff(role=Role.OFFICER, email=None):
    admin = role == Role.ADMIN
    return UserFactory(email=email or f"{role}@example.gov", role=role, is_staff=admin, is_superuser=admin)


def with_app(user, secret=SECRET):
    factors.totp_device_set(user=user, secret=secret)
    return user


def sign_in(client, user, **extra):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, **extra})


def verified(client) -> bool:
    return "otp_device_id" in client.session


def events(action) -> list[tuple]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values_list("actor_id", "object_id", "details"))


def form_errors(response) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


@pytest.fixture(autouse=True)
def _no_code_throttle(settings):
    # django-otp's delay after a wrong code (1, 2, 4 … s); the tests of that delay turn it on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- Who is asked -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_reaches_only_the_enrolment_page_until_it_has_a_second_factor(client, role):
    user = staff(role)
    response = sign_in(client, user)
    assert (response.status_code, response.url) == (302, ENROL)
    assert client.session["_auth_user_id"] == str(user.pk) and not verified(client)
    for path in ("/start/", "/officer/", "/dashboards/", "/audit/", "/permits/manage/", "/accounts/security/"):
        response = client.get(path)
        assert (response.status_code, response.url) == (302, f"{ENROL}?next={quote(path, safe='')}"), path
    admin = client.get("/admin/")
    assert (admin.status_code, admin.url) == (302, f"{ENROL}?next=%2Fadmin%2F")
    posted = client.post("/officer/queue/assign/", {"review": "1"})
    assert (posted.status_code, posted.url) == (302, ENROL)  # a form is not carried through enrolment
    # What a person needs on the way still answers.
    assert client.get(ENROL).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/services/").status_code == 200
    assert client.post(reverse("set_language"), {"language": "zh-hans", "next": ENROL}).url == ENROL
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", STAFF)
def test_with_a_second_factor_every_staff_role_is_asked_for_it_after_the_password(client, role):
    user = with_app(staff(role))
    response = sign_in(client, user, next="/dashboards/")
    assert (response.status_code, response.url) == (302, f"{STEP}?next=%2Fdashboards%2F")
    assert client.get("/start/").url == f"{STEP}?next=%2Fstart%2F"
    assert client.get("/admin/").url == f"{STEP}?next=%2Fadmin%2F"
    assert client.get(ENROL).url == STEP  # no second app before the first one is used
    response = client.post(STEP, {"code": totp_code(SECRET), "next": "/start/"})
    assert (response.status_code, response.url) == (302, "/start/")
    assert verified(client)
    assert client.get(STEP).url == reverse("landing")  # nothing more to do there


def test_a_citizen_is_never_asked(client):
    citizen = UserFactory(email="wang.fang@example.org")
    response = sign_in(client, citizen)
    assert (response.status_code, response.url) == (302, reverse("landing"))
    assert client.get("/applications/").status_code == 200
    assert client.get(ENROL).status_code == 404
    assert client.get(SECURITY).status_code == 404
    assert client.get(STEP).url == reverse("landing")
    assert not TOTPDevice.objects.exists()
    assert "Sign-in security" not in client.get("/applications/").content.decode()
    staff_page = PortalClient()
    staff_page.force_login(staff(Role.MANAGER))
    assert re.search(rf'<a class="nav-link user-name" href="{SECURITY}" title="[^"]+">'
                     r'<span class="visually-hidden">Your account: </span>[^<]+</a>',
                     staff_page.get("/dashboards/").content.decode())  # staff: the header's name leads there


def test_the_admins_own_sign_in_page_leads_to_the_portals(client):
    response = client.get("/admin/login/?next=/admin/")
    assert (response.status_code, response.url) == (302, f"{LOGIN}?next=/admin/")


def test_the_test_clients_force_login_completes_the_second_factor_unless_told_not_to():
    user = staff(Role.MANAGER)
    client = PortalClient()
    client.force_login(user)
    assert verified(client) and client.get("/dashboards/").status_code == 200
    other = PortalClient()
    other.force_login(user, second_factor=False)
    assert other.get("/dashboards/").url == f"{STEP}?next=%2Fdashboards%2F"


# --- Enrolment ----------------------------------------------------------------------------------


def enrol_page_secret(client) -> str:
    page = client.get(ENROL).content.decode()
    return re.search(r'<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)


def test_enrolment_shows_a_qr_code_and_the_key_and_is_confirmed_by_one_code(client):
    user = staff()
    sign_in(client, user)
    response = client.get(ENROL)
    page = response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    assert '<img class="totp-qr" src="data:image/svg+xml;charset=utf-8,%3Csvg' in page
    assert 'alt="QR code to scan with your authenticator app"' in page
    assert re.search(r'<label\s+for="id_code"[^>]*>\s*Code from your authenticator app<', page)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    secret = enrol_page_secret(client)
    assert len(secret.replace(" ", "")) == 32
    assert enrol_page_secret(client) == secret  # coming back shows the same key
    [pending] = TOTPDevice.objects.filter(user=user)
    assert pending.confirmed is False
    assert f"secret={secret.replace(' ', '')}" in pending.config_url and "issuer=One-stop%20portal" in pending.config_url

    for bad, message in [("12345", "Enter the 6 digits your authenticator app shows, for example 123456."),
                         ("", "Enter the code from your authenticator app."),
                         (totp_code(secret, steps=-3), WRONG)]:
        response = client.post(ENROL, {"code": bad})
        assert response.status_code == 200 and form_errors(response) == [message]
    assert not factors.has_factor(user) and not verified(client)

    response = client.post(ENROL, {"code": totp_code(secret)[:3] + " " + totp_code(secret)[3:]})
    assert (response.status_code, response.url) == (302, CODES)
    assert verified(client)
    pending.refresh_from_db()
    assert pending.confirmed is True
    shown = client.get(CODES)
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", shown.content.decode())
    assert len(codes) == 10 == len(set(codes))
    assert shown["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    assert sorted(c.replace("-", "") for c in codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    again = client.get(CODES)  # shown once
    assert again.url == SECURITY
    assert [e[2] for e in events(Action.SECOND_FACTOR_ADDED)] == [
        {"kind": "totp", "device": pending.pk}, {"kind": "recovery_codes", "count": 10}]
    assert {e[:2] for e in events(Action.SECOND_FACTOR_ADDED)} == {(user.pk, str(user.pk))}
    assert client.get("/start/").status_code == 302 and client.get(SECURITY).status_code == 200


def test_enrolment_keeps_where_the_person_was_going(client):
    user = staff(Role.MANAGER)
    sign_in(client, user, next="/dashboards/")
    assert client.get("/dashboards/").url == f"{ENROL}?next=%2Fdashboards%2F"
    secret = enrol_page_secret(client)
    response = client.post(f"{ENROL}?next=%2Fdashboards%2F", {"code": totp_code(secret), "next": "/dashboards/"})
    assert response.url == f"{CODES}?next=%2Fdashboards%2F"
    page = client.get(response.url).content.decode()
    assert '<a class="btn btn-primary" href="/dashboards/">I have saved them: continue</a>' in page


# --- The second step ----------------------------------------------------------------------------


def test_a_right_code_signs_in_once_and_a_reused_expired_or_wrong_one_does_not(client):
    user = with_app(staff())
    sign_in(client, user)
    page = client.get(STEP).content.decode()
    assert "Enter the code your authenticator app shows now." in page
    assert "passkey" not in page.lower()  # no passkey: no button
    code = totp_code(SECRET)
    response = client.post(STEP, {"code": code})
    assert (response.status_code, response.url) == (302, reverse("landing"))
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    for bad in (code, totp_code(SECRET, steps=-2), "000000" if code != "000000" else "111111"):
        response = client.post(STEP, {"code": bad})
        assert response.status_code == 200 and form_errors(response) == [WRONG], bad
        assert not verified(client)
    assert client.post(STEP, {"code": totp_code(SECRET, steps=1)}).url == reverse("landing")  # the next one


def test_wrong_codes_count_as_failed_sign_ins_and_lock_the_account_out(client, settings):
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 3
    user = with_app(staff())
    sign_in(client, user)
    for attempt in (1, 2):
        response = client.post(STEP, {"code": "000000"})
        assert response.status_code == 200
        assert AccessAttempt.objects.get(username=user.email).failures_since_start == attempt
    response = client.post(STEP, {"code": "000000"})
    assert response.status_code == 429
    assert "Sign-in is paused for this account" in response.content.decode()
    assert "_auth_user_id" not in client.session  # signed out
    assert sign_in(client, user).status_code == 429  # the password too


def test_the_device_slows_down_after_a_wrong_code(client, settings, time_machine):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    time_machine.move_to(time.time(), tick=False)
    user = with_app(staff())
    sign_in(client, user)
    assert form_errors(client.post(STEP, {"code": "000000"})) == [WRONG]
    response = client.post(STEP, {"code": totp_code(SECRET)})  # even the right one waits
    assert form_errors(response) == ["Too many wrong codes. Wait 1 second, then try again."]
    time_machine.shift(1)
    assert form_errors(client.post(STEP, {"code": "000000"})) == [WRONG]
    time_machine.shift(1)
    assert form_errors(client.post(STEP, {"code": totp_code(SECRET)})) == [
        "Too many wrong codes. Wait 1 second, then try again."]  # 2 s after the second wrong one
    time_machine.shift(1)
    assert client.post(STEP, {"code": totp_code(SECRET)}).url == reverse("landing")
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 2  # waiting is no failure


def test_a_recovery_code_works_once(client):
    user = with_app(staff(Role.MANAGER))
    codes = factors.recovery_codes_issue(user=user)
    sign_in(client, user, next="/start/")
    page = client.get(f"{STEP}?next=%2Fstart%2F").content.decode()
    assert f'<a href="{RECOVERY}?next=/start/">Lost your phone or key? Use a recovery code</a>' in page
    form = client.get(RECOVERY).content.decode()
    assert re.search(r'<label\s+for="id_code"[^>]*>\s*Recovery code<', form)
    typed = f" {codes[0][:4].upper()}-{codes[0][4:]} "
    response = client.post(RECOVERY, {"code": typed, "next": "/start/"}, follow=True)
    assert response.redirect_chain[0] == ("/start/", 302)
    assert "You have 9 recovery codes left. Make new ones on your Sign-in security page." in [
        str(m) for m in response.context["messages"]]
    assert verified(client)
    assert events(Action.RECOVERY_CODE_USED) == [(user.pk, str(user.pk), {"left": 9})]
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    response = client.post(RECOVERY, {"code": codes[0]})
    assert form_errors(response) == ["That recovery code is not right, or it has been used already. Each code works once."]
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1
    assert client.post(RECOVERY, {"code": codes[1]}).url == reverse("landing")
    assert factors.recovery_codes_left(user) == 8


# --- Sign-in security ---------------------------------------------------------------------------


def test_removing_a_factor_keeps_at_least_one(client):
    user = with_app(staff(Role.AUDITOR))
    client.force_login(user)
    [first] = factors.totp_devices(user)
    page = client.get(SECURITY).content.decode()
    assert "Remove" not in page  # the only factor
    response = client.post(reverse("accounts:factor_remove", args=["totp", first.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This is your only way to confirm it is you. Add another one before you remove it."]
    assert factors.totp_devices(user).count() == 1

    second = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    assert client.get(SECURITY).content.decode().count(">Remove<span") == 2
    response = client.post(reverse("accounts:factor_remove", args=["totp", first.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Removed. You can no longer use it to confirm it is you."]
    assert list(factors.totp_devices(user)) == [second]
    assert verified(client)  # the session that used the removed app stays verified by the other
    assert events(Action.SECOND_FACTOR_REMOVED)[-1] == (user.pk, str(user.pk), {"kind": "totp", "device": first.pk})
    assert client.post(reverse("accounts:factor_remove", args=["passkey", second.pk])).status_code == 302
    assert client.post(reverse("accounts:factor_remove", args=["nonsense", second.pk])).status_code == 302
    assert list(factors.totp_devices(user)) == [second]


def test_new_recovery_codes_replace_the_old_ones(client):
    user = with_app(staff())
    old = factors.recovery_codes_issue(user=user)
    client.force_login(user)
    assert "10 of 10 recovery codes left." in client.get(SECURITY).content.decode()
    response = client.post(reverse("accounts:recovery_codes_new"))
    assert response.url == CODES
    new = [c.replace("-", "") for c in re.findall(r"<li><code>([a-z2-7-]+)</code></li>", client.get(CODES).content.decode())]
    assert len(new) == 10 and not set(new) & set(old)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new)


def test_adding_a_second_app_from_the_security_page(client):
    user = with_app(staff())
    factors.recovery_codes_issue(user=user)
    client.force_login(user)
    page = client.get(ENROL).content.decode()
    assert "<h1>Add an authenticator app</h1>" in page
    secret = enrol_page_secret(client)
    response = client.post(ENROL, {"code": totp_code(secret)})
    assert response.url == SECURITY  # the recovery codes stay as they were
    assert factors.totp_devices(user).count() == 2 and factors.recovery_codes_left(user) == 10


# --- Scripted set-ups ---------------------------------------------------------------------------


def test_a_secret_is_checked_before_anything_is_written():
    user = staff()
    for bad in ("not base32!", "ABC", "A" * 65, "JBSWY3DP EHPK3PX1"):
        with pytest.raises(factors.InvalidTotpSecret):
            factors.totp_device_set(user=user, secret=bad)
    assert not TOTPDevice.objects.exists() and not AuditEvent.objects.exists()
    assert factors.totp_device_set(user=user, secret="jbsw y3dp ehpk 3pxp") is True
    assert factors.totp_device_set(user=user, secret="JBSWY3DPEHPK3PXP") is False  # the same: nothing changes
    assert [e[2]["kind"] for e in events(Action.SECOND_FACTOR_ADDED)] == ["totp"]
    assert factors.totp_device_set(user=user, secret=SECRET) is True  # another: it replaces the first
    assert [d.key for d in TOTPDevice.objects.all()] == [factors.totp_secret_key(SECRET)]
    assert [e[0] for e in events(Action.SECOND_FACTOR_REMOVED)] == [None]  # done by the deployment


def test_the_page_escapes_next_and_ignores_an_unsafe_one(client):
    user = with_app(staff())
    sign_in(client, user)
    page = client.get(STEP, {"next": "https://evil.example/"}).content.decode()
    assert escape("https://evil.example/") not in page
    response = client.post(STEP, {"code": totp_code(SECRET), "next": "https://evil.example/"})
    assert response.url == reverse("landing")


def test_the_sign_in_stamps_the_time_the_second_factor_was_given(client, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+08:00", tick=False)
    user = with_app(staff())
    sign_in(client, user)
    assert FRESH_AT not in client.session
    client.post(STEP, {"code": totp_code(SECRET)})
    assert client.session[FRESH_AT] == int(time.time())


def test_an_administrator_removes_a_lost_factor_and_the_person_sets_up_a_new_one(admin_client, admin_user):
    user = with_app(staff())
    factors.recovery_codes_issue(user=user)
    [device] = factors.totp_devices(user)
    listing = admin_client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert listing.status_code == 200 and user.email in listing.content.decode()
    assert reverse("admin:otp_totp_totpdevice_add") not in listing.content.decode()  # people set up their own
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page and SECRET not in page
    response = admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not factors.has_factor(user)
    assert events(Action.SECOND_FACTOR_REMOVED) == [(admin_user.pk, str(user.pk), {"kind": "totp", "device": device.pk})]
    assert sign_in(PortalClient(), user).url == ENROL


def test_staff_are_signed_in_on_record_once_their_second_factor_is_given(client):
    """The password alone signs no member of staff in: the audit log says "signed in" when the
    second step is done, naming the factor; a wrong code is a failed sign-in, not a sign-in."""
    user = with_app(staff())
    codes = factors.recovery_codes_issue(user=user)
    sign_in(client, user)
    assert events(Action.SIGNED_IN) == []
    client.post(STEP, {"code": "000000" if totp_code(SECRET) != "000000" else "111111"})
    assert events(Action.SIGNED_IN) == []
    assert client.post(STEP, {"code": totp_code(SECRET)}).status_code == 302
    assert events(Action.SIGNED_IN) == [(user.pk, str(user.pk), {"second_factor": "totp"})]
    client.post(reverse("accounts:logout"))
    sign_in(client, user)
    assert client.post(RECOVERY, {"code": codes[0]}).status_code == 302
    assert events(Action.SIGNED_IN)[1:] == [(user.pk, str(user.pk), {"second_factor": "recovery_code"})]
    # Confirming it is them again later is no new sign-in.
    assert client.get(reverse("accounts:confirm")).status_code == 200
    assert len(events(Action.SIGNED_IN)) == 2
