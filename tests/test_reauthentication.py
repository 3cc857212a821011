"""Sensitive actions ask for a second factor given within SECOND_FACTOR_FRESH_MINUTES: revoking a
permit, proposing, approving or rejecting its correction, assigning in bulk, creating API tokens,
changing roles and memberships in the admin. A form sent while it is stale is not replayed: the
person confirms it is them and comes back to the page with the form."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import factors
from accounts.models import Role
from accounts.second_factor import FRESH_AT
from api.models import ApiToken
from approvals.models import Review, ReviewStatus
from approvals.permit_flow import permit_reissue_propose, permit_render
from audit.models import Action, AuditEvent
from departments.models import Department, Membership
from permits.models import Permit, PermitStatus
from permits.tests.conftest import approve_all
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, officer
from tests.totp import device_code, totp_code
from workspace.tests.queue_helpers import make_review

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CONFIRM = reverse("accounts:confirm")


def confirm_url(back: str) -> str:
    return f"{CONFIRM}?{urlencode({'next': back})}"


def stale(client, minutes: int = 11) -> None:
    """The second factor was given ``minutes`` ago."""
    session = client.session
    session[FRESH_AT] -= minutes * 60
    session.save()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def reauthentications() -> list[tuple]:
    return list(AuditEvent.objects.filter(action=Action.REAUTHENTICATED).values_list("actor_id", "details"))


@pytest.fixture
def permit(submit, officers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    permit = approve_all(submit(), officers)
    assert permit_render(permit_id=permit.pk) == "rendered"
    return permit


@pytest.fixture
def supervisor(officers):
    user = officers["fire_supervisor"]
    factors.totp_device_set(user=user, secret=SECRET)
    return user


def test_revoking_a_permit_asks_again_and_comes_back_to_the_form(client, permit, supervisor):
    client.force_login(supervisor)
    manage = reverse("permits:manage", args=[permit.number])
    stale(client)
    assert client.get(manage).status_code == 200  # looking asks nothing
    response = client.post(reverse("permits:revoke", args=[permit.number]), {"revoke-reason": "Closed."})
    assert (response.status_code, response.url) == (302, confirm_url(manage))
    permit.refresh_from_db()
    assert permit.status == PermitStatus.VALID  # the form was not replayed

    page = client.get(response.url).content.decode()
    assert "<h1>Confirm it is you</h1>" in page and "Code from your authenticator app" in page
    assert f'<input type="hidden" name="next" value="{manage}">' in page
    confirmed = client.post(response.url, {"code": totp_code(SECRET), "next": manage}, follow=True)
    assert confirmed.redirect_chain == [(manage, 302)]
    assert messages_of(confirmed) == ["Thank you: you have confirmed it is you. You can go on."]
    assert reauthentications() == [(supervisor.pk, {"method": "totp"})]

    response = client.post(reverse("permits:revoke", args=[permit.number]), {"revoke-reason": "Closed."})
    assert response.url == manage
    permit.refresh_from_db()
    assert (permit.status, permit.revocation_reason) == (PermitStatus.REVOKED, "Closed.")


def test_reissuing_a_permit_asks_again(client, permit, supervisor):
    client.force_login(supervisor)
    stale(client)
    response = client.post(reverse("permits:reissue", args=[permit.number]), {
        "reissue-holder": "Wang Fang", "reissue-business_name": "Golden Dragon Noodles",
        "reissue-site_address": "1 Harbour Road", "reissue-reason": "Name as registered."})
    assert response.url == confirm_url(reverse("permits:manage", args=[permit.number]))
    assert Permit.objects.count() == 1


def test_approving_or_rejecting_a_correction_asks_again(client, permit, supervisor, officers):
    request = permit_reissue_propose(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Name.",
                                     corrections={"business_name": "Golden Dragon Noodles"})
    client.force_login(supervisor)
    stale(client)
    page = reverse("permits:reissue_request", args=[request.pk])
    assert client.post(reverse("permits:reissue_approve", args=[request.pk])).url == confirm_url(page)
    response = client.post(reverse("permits:reissue_reject", args=[request.pk]), {"reject-reason": "No."})
    assert response.url == confirm_url(page)
    request.refresh_from_db()
    assert (request.status, Permit.objects.count()) == ("pending", 1)


def test_within_the_window_nothing_is_asked(client, permit, supervisor):
    client.force_login(supervisor)
    stale(client, minutes=9)
    response = client.post(reverse("permits:revoke", args=[permit.number]), {"revoke-reason": "Closed."})
    assert response.url == reverse("permits:manage", args=[permit.number])


def test_the_window_is_a_setting(client, permit, supervisor, settings):
    settings.SECOND_FACTOR_FRESH_MINUTES = 30
    client.force_login(supervisor)
    stale(client, minutes=29)
    response = client.post(reverse("permits:revoke", args=[permit.number]), {"revoke-reason": "Closed."})
    assert response.url == reverse("permits:manage", args=[permit.number])


def test_assigning_in_bulk_asks_again_and_comes_back_to_the_queue(client, restaurant, officers):
    supervisor = officers["registration_supervisor"]
    second = officer(Department.objects.get(code="registration"), email="second.officer@example.gov")
    pending = [make_review(restaurant, "registration") for _ in range(2)]
    client.force_login(supervisor)
    stale(client)
    queue = reverse("departments:queue") + "?tab=pending"
    response = client.post(reverse("departments:assign_bulk"), {
        "review": [r.pk for r in pending], "assignee": second.pk, "next": queue})
    assert response.url == confirm_url(queue)
    assert not Review.objects.filter(assignee=second).exists()
    # A recovery code confirms it too.
    codes = factors.recovery_codes_issue(user=supervisor)
    recovery = reverse("accounts:confirm_recovery")
    assert client.post(recovery, {"code": codes[0], "next": queue}).url == queue
    assert reauthentications() == [(supervisor.pk, {"method": "recovery_code"})]
    response = client.post(reverse("departments:assign_bulk"), {
        "review": [r.pk for r in pending], "assignee": second.pk, "next": queue})
    assert response.url == queue
    assert set(Review.objects.filter(assignee=second).values_list("status", flat=True)) == {ReviewStatus.IN_PROGRESS}


def test_a_citizen_confirms_with_the_password_before_making_an_api_token(client, citizen):
    response = client.post(reverse("accounts:login"), {"username": citizen.email, "password": PASSWORD})
    assert response.url == reverse("landing")
    tokens = reverse("api:tokens")
    assert client.post(tokens, {"name": "Family app", "scopes": ["read", "file"]}).status_code == 200  # just signed in: fresh
    stale(client)
    assert client.get(tokens).status_code == 200
    response = client.post(tokens, {"name": "Another app", "scopes": ["read"]})
    assert response.url == confirm_url(tokens)
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Family app"]

    page = client.get(response.url).content.decode()
    assert "Before you go on, type your password again." in page and 'autocomplete="current-password"' in page
    assert "recovery code" not in page
    wrong = client.post(response.url, {"password": "not-my-password", "next": tokens})
    assert wrong.status_code == 200 and wrong.context["form"].errors == {"password": ["That password is not right."]}
    assert client.get(reverse("accounts:confirm_recovery")).status_code == 404
    assert client.post(response.url, {"password": PASSWORD, "next": tokens}).url == tokens
    assert reauthentications() == [(citizen.pk, {"method": "password"})]
    assert client.post(tokens, {"name": "Another app", "scopes": ["read"]}).status_code == 200
    assert ApiToken.objects.count() == 2


def test_changing_a_role_in_the_admin_asks_again(client):
    admin = UserFactory(email="root@example.gov", role=Role.ADMIN, is_staff=True, is_superuser=True)
    person = UserFactory(email="zhao.min@example.gov", role=Role.OFFICER)
    client.force_login(admin)
    change = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(change)
    assert form.status_code == 200
    stale(client)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200  # the list asks nothing
    assert client.get(change).url == confirm_url(change)
    data = {**{k: v for k, v in form.context["adminform"].form.initial.items() if v is not None},
            "role": Role.SUPERVISOR, "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00"}
    response = client.post(change, data)
    assert response.url == confirm_url(change)
    person.refresh_from_db()
    assert person.role == Role.OFFICER
    password = reverse("admin:auth_user_password_change", args=[person.pk])
    assert client.get(password).url == confirm_url(password)
    device = TOTPDevice.objects.get(user=admin)  # the one the test client's sign-in used
    assert client.post(CONFIRM, {"code": device_code(device), "next": change}).url == change
    assert client.get(change).status_code == 200


def test_changing_memberships_in_the_admin_asks_again(client):
    admin = UserFactory(email="root@example.gov", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = reverse("admin:departments_department_change", args=[DepartmentFactory(code="health").pk])
    assert client.get(change).status_code == 200
    stale(client)
    assert client.get(change).url == confirm_url(change)
    response = client.post(change, {"code": "health", "name": '{"en": "Health"}', "email": "h@example.gov",
                                    "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.url == confirm_url(change)
    assert not Membership.objects.exists()


def test_the_security_page_asks_again_too(client):
    user = UserFactory(email="auditor@example.gov", role=Role.AUDITOR)
    client.force_login(user)
    security = reverse("accounts:security")
    assert client.get(security).status_code == 200
    stale(client)
    assert client.get(security).url == confirm_url(security)
