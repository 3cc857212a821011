"""Signing in and out, and the administrator's work on people's accounts, in the audit log
(portal.auth_audit and portal.admin); the citizen sees an administrator's look at their details
under "who viewed my data". Failed and slowed-down sign-ins and spraying: accounts/tests/test_throttling.py;
password changes and resets: accounts/tests/test_passwords.py."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent
from catalogue.tests.test_admin import form_data
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
FIELDS = ("actor_id", "actor_label", "object_type", "object_id", "subject_id", "ip", "purpose", "details")


def rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id").values_list(*FIELDS))


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser(email="admin@example.gov", password=PASSWORD,
                                                     full_name="Guo Admin")
    client.force_login(user)
    return user


def test_sign_in_failure_and_sign_out(client):
    citizen = UserFactory(email="c@example.org")
    UserFactory(email="officer@example.gov", role="officer")
    assert client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1").status_code == 302
    client.post(reverse("accounts:logout"), REMOTE_ADDR="192.0.2.1")
    Client().post(LOGIN, {"username": "officer@example.gov", "password": PASSWORD}, REMOTE_ADDR="192.0.2.2")
    Client().post(LOGIN, {"username": "nobody@example.org", "password": PASSWORD}, REMOTE_ADDR="192.0.2.3")

    # The officer gave only the password: signed in on record once the second factor is given
    # (accounts/tests/test_second_factor.py).
    assert rows(Action.SIGNED_IN) == [
        (citizen.pk, "c@example.org", "user", str(citizen.pk), citizen.pk, "192.0.2.1", "", {}),
    ]
    assert rows(Action.SIGNED_OUT) == [
        (citizen.pk, "c@example.org", "user", str(citizen.pk), citizen.pk, "192.0.2.1", "", {"reason": "user"})]
    # An address with no account: nothing names an account, and nothing of what was typed is kept.
    assert rows(Action.SIGN_IN_FAILED) == [(None, "anonymous", "user", "", None, "192.0.2.3", "", {"stage": "password"})]


def test_an_administrator_opening_a_citizens_page_is_audited_and_shown_to_the_citizen(client, admin):
    citizen = UserFactory(email="c@example.org", full_name="Chen Jianguo")
    officer = UserFactory(email="officer@example.gov", role="officer")
    assert client.get(reverse("admin:accounts_user_change", args=[citizen.pk]), REMOTE_ADDR="192.0.2.8").status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[officer.pk])).status_code == 200  # staff: not personal data
    client.get(reverse("admin:accounts_user_changelist"))

    assert rows(Action.PERSONAL_DATA_VIEWED) == [
        (admin.pk, "admin@example.gov", "user", str(citizen.pk), citizen.pk, "192.0.2.8", "administration", {})]
    [access] = who_viewed_page(citizen).object_list
    assert (access.staff_name, access.staff_role, access.department, access.action, access.purpose,
            access.application_id, access.reference) == (
        "Guo Admin", "Administrator", "", "Opened your account and personal details in the administration site",
        "Administering the portal's accounts", None, "")

    client.force_login(citizen)
    page = client.get(reverse("approvals:who_viewed")).content.decode()
    assert "Opened your account and personal details in the administration site" in page
    assert page.count("<tr>") == 2  # the header and that one row


def test_role_changes_and_passwords_set_in_the_admin_are_audited(client, admin):
    officer = UserFactory(email="officer@example.gov", role="officer")
    citizen = UserFactory(email="c@example.org")
    url = reverse("admin:accounts_user_change", args=[officer.pk])
    data = form_data(client.get(url))
    data.update(role="supervisor", is_staff="on")
    assert client.post(url, data, REMOTE_ADDR="192.0.2.8").status_code == 302
    officer.refresh_from_db()
    assert (officer.role, officer.is_staff) == ("supervisor", True)
    assert rows(Action.ROLE_CHANGED) == [(admin.pk, "admin@example.gov", "user", str(officer.pk), None, "192.0.2.8", "", {
        "before": {"role": "officer", "is_staff": False, "is_superuser": False},
        "after": {"role": "supervisor", "is_staff": True, "is_superuser": False}})]

    # A save that changes no role records no role change.
    data = form_data(client.get(url))
    data.update(full_name="Zhao Min")
    assert client.post(url, data).status_code == 302
    assert len(rows(Action.ROLE_CHANGED)) == 1

    password_url = reverse("admin:auth_user_password_change", args=[citizen.pk])
    response = client.post(password_url, {"password1": "quiet-harbour-lantern-42", "password2": "quiet-harbour-lantern-42",
                                          "usable_password": "true"}, REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password("quiet-harbour-lantern-42")
    assert rows(Action.PASSWORD_CHANGED) == [
        (admin.pk, "admin@example.gov", "user", str(citizen.pk), citizen.pk, "192.0.2.8", "administration", {})]
    # A refused form sets nothing and records nothing.
    client.post(password_url, {"password1": "a", "password2": "b", "usable_password": "true"})
    assert len(rows(Action.PASSWORD_CHANGED)) == 1
