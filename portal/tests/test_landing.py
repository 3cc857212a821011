"""Where a person lands after signing in (portal.landing)."""

import pytest
from django.urls import reverse

from accounts import factors
from accounts.mail import verification_url
from accounts.models import Role
from accounts.tests.conftest import confirm_email
from approvals.models import Application, ApplicationStatus
from portal.landing import landing_url
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, officer, restaurant_service
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("home")
LANDING = reverse("landing")
MY_APPLICATIONS = reverse("approvals:my_applications")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def citizen_with(*statuses):
    user = UserFactory(email="c@example.org")
    if statuses:
        service = restaurant_service()
        for status in statuses:
            Application.objects.create(applicant=user, service=service, service_version=service.current_version,
                                       status=status)
    return user


def sign_in(client, user, **extra):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, **extra})


def lands_on(client, response) -> str:
    """The page a redirect to the landing address ends on."""
    assert (response.status_code, response.url) == (302, LANDING)
    landing = client.get(LANDING)
    assert landing.status_code == 302
    return landing.url


@pytest.mark.parametrize(("statuses", "landing"), [
    ((), HOME),
    ((ApplicationStatus.DRAFT,), MY_APPLICATIONS),
    ((ApplicationStatus.NEEDS_CORRECTION,), MY_APPLICATIONS),
    ((ApplicationStatus.ISSUED,), MY_APPLICATIONS),
    ((ApplicationStatus.IN_REVIEW, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN), HOME),
    ((ApplicationStatus.IN_REVIEW, ApplicationStatus.DRAFT), MY_APPLICATIONS),
])
def test_citizen_lands_on_my_applications_when_there_is_something_to_do(client, statuses, landing):
    user = citizen_with(*statuses)
    assert landing_url(user) == landing
    assert lands_on(client, sign_in(client, user)) == landing


@pytest.mark.parametrize(("role", "landing"), [
    (Role.OFFICER, reverse("departments:queue")),
    (Role.SUPERVISOR, reverse("departments:queue")),
    (Role.MANAGER, reverse("dashboards:dashboard")),
    (Role.AUDITOR, reverse("audit:log")),
    (Role.ADMIN, HOME),
])
def test_staff_land_on_their_work(client, role, landing):
    if role in (Role.OFFICER, Role.SUPERVISOR):
        user = officer(DepartmentFactory(code="health"), role=role.value)
    else:
        user = UserFactory(email=f"{role.value}@example.gov", role=role)
    factors.totp_device_set(user=user, secret=SECRET)
    second_step = sign_in(client, user)
    assert second_step.url == reverse("accounts:second_factor")  # the password, then the code
    assert lands_on(client, client.post(second_step.url, {"code": totp_code(SECRET)})) == landing
    # Already signed in: the sign-in and registration pages send them there too.
    assert lands_on(client, client.get(LOGIN)) == landing
    assert lands_on(client, client.get(reverse("accounts:register"))) == landing


def test_an_explicit_next_wins_and_an_unsafe_one_is_ignored(client):
    user = citizen_with(ApplicationStatus.DRAFT)
    response = sign_in(client, user, next=reverse("accounts:profile"))
    assert response.url == reverse("accounts:profile")
    client.post(reverse("accounts:logout"))
    assert lands_on(client, sign_in(client, user, next="https://evil.example/")) == MY_APPLICATIONS


def test_verification_link_lands_a_citizen_with_a_draft_on_my_applications(client):
    user = citizen_with(ApplicationStatus.DRAFT)
    user.email_verified = False
    user.save(update_fields=["email_verified"])
    path = verification_url(user).split("/accounts/", 1)[1]
    assert lands_on(client, confirm_email(client, f"/accounts/{path}")) == MY_APPLICATIONS
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_landing_address_sends_a_visitor_home(client):
    assert client.get(LANDING).url == HOME
