import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="root@example.gov", role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_user_admin_search(admin_client):
    UserFactory(email="chen.jianguo@example.org", full_name="Chen Jianguo", phone="13800000000")
    UserFactory(email="li.lei@example.org", full_name="Li Lei")
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "13800000000"})
    assert response.status_code == 200
    assert [u.email for u in response.context["cl"].result_list] == ["chen.jianguo@example.org"]


def test_user_admin_add_by_email(admin_client):
    page = admin_client.get(reverse("admin:accounts_user_add"))
    assert page.status_code == 200
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "email": "New.Officer@Example.gov", "full_name": "New Officer", "role": "auditor", "usable_password": "true",
        "password1": "quiet-harbour-lantern-42", "password2": "quiet-harbour-lantern-42",
    })
    assert response.status_code == 302
    user = User.objects.get(email="new.officer@example.gov")
    assert (user.full_name, user.role) == ("New Officer", Role.AUDITOR)
    assert user.check_password("quiet-harbour-lantern-42")


def test_user_admin_refuses_an_existing_email_in_another_case(admin_client):
    UserFactory(email="chen.jianguo@example.org")
    before = User.objects.count()
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "email": "CHEN.jianguo@example.org", "full_name": "Someone", "role": "citizen", "usable_password": "true",
        "password1": "quiet-harbour-lantern-42", "password2": "quiet-harbour-lantern-42",
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": ["An account with this email address already exists."]}
    assert User.objects.count() == before


def test_user_admin_change_page(admin_client):
    user = UserFactory(email="chen.jianguo@example.org")
    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
