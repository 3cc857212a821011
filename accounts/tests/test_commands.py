import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from audit.models import Action, AuditEvent
from departments.models import Membership
from tests.factories import UserFactory
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "quiet-harbour-lantern-42"


def add_staff(*args) -> str:
    out = io.StringIO()
    call_command("add_staff", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def state() -> tuple:
    users = list(User.objects.order_by("pk").values_list("pk", "email", "password", "role", "is_staff", "is_superuser"))
    return users, list(Membership.objects.order_by("pk").values_list("user_id", "department__code", "role"))


def test_add_staff_creates_then_updates(departments):
    out = add_staff("--email", "Officer@Example.gov", "--password", PASSWORD, "--role", "officer",
                    "--department", "health", "--department", "tax", "--full-name", "Zhao Min")
    assert out == "Created officer officer@example.gov in health, tax.\n"
    user = User.objects.get()
    assert (user.email, user.full_name, user.role, user.email_verified, user.is_staff) == (
        "officer@example.gov", "Zhao Min", Role.OFFICER, True, False)
    assert user.check_password(PASSWORD)

    out = add_staff("--email", "officer@example.gov", "--password", "another-long-passphrase", "--role", "supervisor",
                    "--department", "fire")
    assert out == "Updated supervisor officer@example.gov in fire.\n"
    user.refresh_from_db()
    assert (user.full_name, user.role) == ("Zhao Min", Role.SUPERVISOR)
    assert user.check_password("another-long-passphrase")
    assert list(Membership.objects.values_list("user_id", "department__code", "role")) == [(user.pk, "fire", "supervisor")]


def test_add_staff_admin(departments):
    assert add_staff("--email", "root@example.gov", "--password", PASSWORD, "--role", "admin") == (
        "Created admin root@example.gov.\n")
    user = User.objects.get()
    assert (user.is_staff, user.is_superuser, user.role) == (True, True, Role.ADMIN)


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "officer", "--department", "health", "--department", "parks"], "Unknown department code: parks."),
    (["--role", "supervisor", "--department", "zoo", "--department", "parks"], "Unknown department codes: zoo, parks."),
    (["--role", "janitor", "--department", "health"],
     "Unknown staff role “janitor”. Choose one of: officer, supervisor, manager, auditor, admin, finance."),
    (["--role", "officer"], "An officer or a supervisor must belong to at least one department."),
    (["--role", "auditor", "--department", "health"],
     "Only officers and supervisors belong to departments, not the role “auditor”."),
])
def test_add_staff_refusals_change_nothing(departments, args, message):
    UserFactory(email="existing@example.gov", role=Role.OFFICER)
    before = state()
    for email in ["new@example.gov", "existing@example.gov"]:
        with pytest.raises(CommandError) as exc:
            add_staff("--email", email, "--password", PASSWORD, *args)
        assert str(exc.value) == message
    assert state() == before


@pytest.mark.parametrize(("password", "message"), [
    ("short", "This password is too short. It must contain at least 10 characters."),
    ("password123", "This password is too common."),
    ("staff.person.gov", "The password is too similar to the email address."),
])
def test_add_staff_weak_password(departments, password, message):
    before = state()
    with pytest.raises(CommandError) as exc:
        add_staff("--email", "staff.person@example.gov", "--password", password, "--role", "manager")
    assert str(exc.value) == message
    assert state() == before


def test_add_staff_without_password_and_no_terminal(departments, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(CommandError) as exc:
        add_staff("--email", "m@example.gov", "--role", "manager")
    assert str(exc.value) == "Give --password, or run the command at a terminal to be asked for it."
    assert User.objects.count() == 0


# --- add_staff --totp-secret: a second factor for scripted set-ups ----------------------------------

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_add_staff_enrols_the_authenticator_app_holding_the_secret(client, departments):
    out = add_staff("--email", "officer@example.gov", "--password", PASSWORD, "--role", "officer",
                    "--department", "health", "--totp-secret", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp")
    assert out == ("Created officer officer@example.gov in health. Second factor: the authenticator app with the "
                   "given TOTP secret.\n")
    user = User.objects.get()
    [device] = TOTPDevice.objects.filter(user=user)
    assert (device.confirmed, device.bin_key) == (True, b"Hello!\xde\xad\xbe\xefHello!\xde\xad\xbe\xef")
    assert list(AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ADDED).values_list("actor_id", "details")) == [
        (None, {"kind": "totp", "device": device.pk})]
    # The person signs in with it at once: no enrolment page.
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.url == reverse("accounts:second_factor")
    assert client.post(response.url, {"code": totp_code(SECRET)}).url == reverse("landing")
    # Run again with the same secret: nothing changes, nothing more is audited.
    add_staff("--email", "officer@example.gov", "--password", PASSWORD, "--role", "officer", "--department", "health",
              "--totp-secret", SECRET)
    assert list(TOTPDevice.objects.values_list("pk", flat=True)) == [device.pk]
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ADDED).count() == 1


@pytest.mark.parametrize("secret", ["not base32!", "JBSWY3DP", "JBSWY3DPEHPK3PX1", "", "A" * 65])
def test_add_staff_refuses_a_bad_secret_and_changes_nothing(departments, secret):
    UserFactory(email="existing@example.gov", role=Role.OFFICER)
    before = state()
    for email in ["new@example.gov", "existing@example.gov"]:
        with pytest.raises(CommandError) as exc:
            add_staff("--email", email, "--password", PASSWORD, "--role", "officer", "--department", "health",
                      "--totp-secret", secret)
        assert str(exc.value) == ("The TOTP secret must be base32 (the letters A to Z and the digits 2 to 7) of 16 to "
                                  "64 characters.")
    assert state() == before
    assert not TOTPDevice.objects.exists() and not AuditEvent.objects.exists()


def test_add_staff_audits_role_membership_and_password_changes(departments):
    def events():
        return list(AuditEvent.objects.order_by("id").values_list(
            "action", "actor_id", "actor_label", "object_type", "object_id", "subject_id", "details"))

    add_staff("--email", "officer@example.gov", "--password", PASSWORD, "--role", "officer", "--department", "health")
    user = User.objects.get()
    label = "manage.py add_staff"
    assert events() == [
        (Action.ROLE_CHANGED, None, label, "user", str(user.pk), None, {
            "before": None, "after": {"role": "officer", "is_staff": False, "is_superuser": False}}),
        (Action.MEMBERSHIP_CHANGED, None, label, "user", str(user.pk), None, {
            "before": {}, "after": {"health": "officer"}}),
    ]
    first = AuditEvent.objects.count()

    # The same again changes nothing, and records nothing.
    add_staff("--email", "officer@example.gov", "--password", PASSWORD, "--role", "officer", "--department", "health")
    assert AuditEvent.objects.count() == first

    add_staff("--email", "officer@example.gov", "--password", "another-long-passphrase", "--role", "supervisor",
              "--department", "health", "--department", "tax")
    assert events()[first:] == [
        (Action.ROLE_CHANGED, None, label, "user", str(user.pk), None, {
            "before": {"role": "officer", "is_staff": False, "is_superuser": False},
            "after": {"role": "supervisor", "is_staff": False, "is_superuser": False}}),
        (Action.MEMBERSHIP_CHANGED, None, label, "user", str(user.pk), None, {
            "before": {"health": "officer"}, "after": {"health": "supervisor", "tax": "supervisor"}}),
        (Action.PASSWORD_CHANGED, None, label, "user", str(user.pk), None, {}),
    ]
