"""Changing a password with the current one, reset links per role, and the rate limits of the
forms that send mail."""

import re
from datetime import UTC, datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.factories import PASSWORD, UserFactory

from .conftest import link_path

pytestmark = pytest.mark.django_db

CHANGE = reverse("accounts:password_change")
RESET = reverse("accounts:password_reset")
REGISTER = reverse("accounts:register")
NEW_PASSWORD = "quiet-harbour-lantern-42"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id")
                .values_list("actor_id", "actor_label", "object_type", "object_id", "subject_id", "ip", "details"))


def change(client, current, new=NEW_PASSWORD, confirm=None, **extra):
    return client.post(CHANGE, {"old_password": current, "new_password1": new, "new_password2": confirm or new}, **extra)


# --- changing the password ---------------------------------------------------------------------


def test_the_page_is_linked_from_the_header_and_the_profile(client):
    """The name in the header opens the person's account: a citizen's details or staff's sign-in
    security page, each linking to the password page."""
    citizen = UserFactory(email="c@example.org", full_name="Chen Jianguo")
    client.force_login(citizen)
    profile = reverse("accounts:profile")
    assert (f'<a class="nav-link user-name" href="{profile}" title="Chen Jianguo">'
            '<span class="visually-hidden">Your account: </span>Chen Jianguo</a>') in client.get(reverse("home")).content.decode()
    assert f'<a href="{CHANGE}">Change your password</a>' in client.get(profile).content.decode()
    page = client.get(CHANGE).content.decode()
    for field, autocomplete in (("old_password", "current-password"), ("new_password1", "new-password"),
                                ("new_password2", "new-password")):
        assert re.search(rf'<label\s+for="id_{field}"', page)
        assert f'autocomplete="{autocomplete}"' in page
    officer = UserFactory(email="officer@example.gov", full_name="Zhao Min", role="officer")
    client.force_login(officer)
    security = reverse("accounts:security")
    assert f'<a class="nav-link user-name" href="{security}" title="Zhao Min"><span class="visually-hidden">' in client.get(
        reverse("home")).content.decode()
    assert f'<a href="{CHANGE}">Change your password</a>' in client.get(security).content.decode()
    assert client.get(CHANGE).status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(CHANGE)
    assert (response.status_code, response.url) == (302, f"{reverse('accounts:login')}?next={CHANGE}")


def test_change_with_the_current_password_ends_the_other_sessions(client):
    citizen = UserFactory(email="c@example.org")
    elsewhere = Client()
    elsewhere.force_login(citizen)
    client.force_login(citizen)

    response = change(client, PASSWORD, REMOTE_ADDR="192.0.2.5", follow=True)
    assert response.redirect_chain[0] == (reverse("landing"), 302)
    assert [str(m) for m in response.context["messages"]] == ["Your password is changed. Use the new one from now on."]
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(citizen.pk)  # this session goes on
    assert elsewhere.get(CHANGE).status_code == 302  # the other one is over
    assert audit_rows(Action.PASSWORD_CHANGED) == [
        (citizen.pk, "c@example.org", "user", str(citizen.pk), citizen.pk, "192.0.2.5", {})]


def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_sign_in(client, time_machine):
    time_machine.move_to(START, tick=False)
    officer = UserFactory(email="officer@example.gov", role="officer")
    client.force_login(officer)
    response = change(client, "not-my-password", REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 200
    assert response.context["form"].errors == {"old_password": ["Your current password is not right. Enter it again."]}
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert list(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")) == [
        ("officer@example.gov", "192.0.2.5", 1)]
    kept = AccessAttempt.objects.get().post_data  # what axes keeps of the form: no password of any kind
    assert "not-my-password" not in kept and NEW_PASSWORD not in kept
    assert "old_password=********************" in kept and "new_password1=********************" in kept
    assert audit_rows(Action.SIGN_IN_FAILED) == [
        (None, "anonymous", "user", str(officer.pk), None, "192.0.2.5", {"stage": "password_change"})]
    # The new passwords are checked first, so every problem shows at once; nothing is counted for them.
    response = change(client, "not-my-password", "harbour-lantern-1", "harbour-lantern-2", REMOTE_ADDR="192.0.2.5")
    assert response.context["form"].errors == {"new_password2": ["The two passwords are not the same."]}
    assert AccessAttempt.objects.get().failures_since_start == 1

    # Guessing the current password slows down like signing in, and the right one waits too.
    statuses = [change(client, f"guess-{n}", REMOTE_ADDR="192.0.2.5").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    time_machine.shift(30)
    response = change(client, PASSWORD, REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in is paused for this account" in page
    assert "You can try again in 1 minute." in page
    time_machine.shift(30)
    assert change(client, PASSWORD, REMOTE_ADDR="192.0.2.5").status_code == 302


def test_weak_new_password_is_refused(client):
    citizen = UserFactory(email="c@example.org", full_name="Chen Jianguo")
    client.force_login(citizen)
    response = change(client, PASSWORD, "qwertyuiop")
    assert response.context["form"].errors == {"new_password1": ["This password is too common."]}
    assert not AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED).exists()


# --- reset links per role ----------------------------------------------------------------------


def reset_link(client, mailoutbox, email) -> str:
    client.post(RESET, {"email": email})
    return link_path(mailoutbox[-1].body, "/accounts/password-reset/")


@pytest.mark.parametrize(("role", "valid_for", "seconds"), [
    ("officer", "1 hour", 3600),
    ("admin", "1 hour", 3600),
    ("citizen", "3 days", 3 * 86400),
])
def test_reset_links_last_an_hour_for_staff_and_3_days_for_citizens(client, mailoutbox, time_machine, role, valid_for,
                                                                     seconds):
    time_machine.move_to(START, tick=False)
    person = UserFactory(email="p@example.gov", role=role)
    path = reset_link(client, mailoutbox, "p@example.gov")
    assert f"The link works once, for {valid_for}. If you did not ask for it, ignore this mail" in mailoutbox[-1].body

    time_machine.shift(seconds + 1)
    late = Client().get(path, follow=True)
    assert late.context["validlink"] is False

    time_machine.shift(-2)
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"] is True
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                              "new_password2": NEW_PASSWORD}, REMOTE_ADDR="192.0.2.9")
    assert (response.status_code, response.url) == (302, reverse("accounts:password_reset_complete"))
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert audit_rows(Action.PASSWORD_RESET) == [
        (person.pk, "p@example.gov", "user", str(person.pk), person.pk if role == "citizen" else None, "192.0.2.9", {})]


# --- rate limits of the forms that send mail -----------------------------------------------------


def registration(email, **overrides):
    return {"email": email, "full_name": "Chen Jianguo", "phone": "", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD, **overrides}


LIMITED = ("This form has been sent many times in a short time, from your network or for this email address. "
           "We have sent nothing this time.")


def test_registration_is_limited_per_address_and_per_email(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [client.post(REGISTER, registration(f"c{n}@example.org"), REMOTE_ADDR="192.0.2.1").status_code
                    for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert len(mailoutbox) == 10
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post(REGISTER, registration("c10@example.org"), REMOTE_ADDR="192.0.2.2")
    assert other.status_code == 302
    assert len(mailoutbox) == 11

    # One target address from many client addresses: three mails an hour at most.
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [client.post(REGISTER, registration("target@example.org"), REMOTE_ADDR=f"198.51.100.{n}").status_code
                    for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert [m.to for m in mailoutbox[11:]] == [["target@example.org"]] * 3
    page = client.post(REGISTER, registration("target@example.org"), REMOTE_ADDR="198.51.100.9")
    text = page.content.decode()
    assert page.status_code == 429
    assert [t.name for t in page.templates][:2] == ["accounts/form_limited.html", "429.html"]
    assert LIMITED in text
    assert "Try again in 60 minutes." in text


def test_password_reset_is_limited_per_address_and_per_email(client, mailoutbox, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "4/h"
    UserFactory(email="c@example.org")
    statuses = [client.post(RESET, {"email": "C@example.org"}, REMOTE_ADDR=f"198.51.100.{n}").status_code
                for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mailoutbox) == 3
    statuses = [client.post(RESET, {"email": f"nobody{n}@example.org"}, REMOTE_ADDR="192.0.2.1").status_code
                for n in range(5)]
    assert statuses == [302, 302, 302, 302, 429]
    assert LIMITED in client.post(RESET, {"email": "x@example.org"}, REMOTE_ADDR="192.0.2.1").content.decode()
    assert len(mailoutbox) == 3
