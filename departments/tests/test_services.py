"""Staff management: accounts, roles and memberships (``manage.py add_staff`` calls this)."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from accounts.errors import AccountError, UnknownDepartment, UnknownRole, WeakPassword
from accounts.models import Role
from departments import services
from departments.models import Membership
from tests.factories import UserFactory, officer

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "quiet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever language an earlier test left active.
    with translation.override("en"):
        yield


def memberships(user) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(user=user).order_by("department__code").values_list("department__code", "role"))


def snapshot() -> tuple:
    """Everything a refused change must leave alone."""
    users = list(User.objects.order_by("pk").values_list(
        "pk", "email", "password", "role", "full_name", "is_staff", "is_superuser", "email_verified"))
    return users, list(Membership.objects.order_by("pk").values_list("user_id", "department_id", "role"))


# --- staff_upsert --------------------------------------------------------------------------------


def test_staff_upsert_creates_an_officer_in_the_departments(departments):
    user = services.staff_upsert(email=" Officer.One@Example.GOV ", password=PASSWORD, role="officer",
                                 departments=["health", "tax"], full_name="Officer One")
    user.refresh_from_db()
    assert (user.email, user.full_name, user.role) == ("officer.one@example.gov", "Officer One", Role.OFFICER)
    assert (user.is_staff, user.is_superuser, user.email_verified, user.is_active) == (False, False, True, True)
    assert user.check_password(PASSWORD)
    assert memberships(user) == [("health", "officer"), ("tax", "officer")]


def test_staff_upsert_updates_and_replaces_memberships(departments):
    first = services.staff_upsert(email="sup@example.gov", password=PASSWORD, role="officer",
                                  departments=["health", "tax"], full_name="Sun Li")
    again = services.staff_upsert(email="SUP@example.gov", password="another-long-passphrase", role="supervisor",
                                  departments=["tax", "fire"])
    again.refresh_from_db()
    assert again.pk == first.pk
    assert User.objects.count() == 1
    assert (again.role, again.full_name) == (Role.SUPERVISOR, "Sun Li")
    assert again.check_password("another-long-passphrase")
    assert memberships(again) == [("fire", "supervisor"), ("tax", "supervisor")]


@pytest.mark.parametrize(("role", "is_staff", "is_superuser"), [
    ("manager", False, False), ("auditor", False, False), ("admin", True, True),
])
def test_staff_upsert_roles_without_departments(departments, role, is_staff, is_superuser):
    user = services.staff_upsert(email=f"{role}@example.gov", password=PASSWORD, role=role, departments=[])
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser, user.email_verified) == (role, is_staff, is_superuser, True)
    assert memberships(user) == []


def test_staff_upsert_demotion_to_manager_drops_memberships_and_admin_rights(departments):
    services.staff_upsert(email="x@example.gov", password=PASSWORD, role="admin", departments=[])
    services.staff_upsert(email="x@example.gov", password=PASSWORD, role="officer", departments=["fire"])
    user = services.staff_upsert(email="x@example.gov", password=PASSWORD, role="manager", departments=[])
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == (Role.MANAGER, False, False)
    assert memberships(user) == []


def test_staff_upsert_unknown_departments_are_named_and_nothing_is_written(departments):
    existing = officer(departments["health"], email="o@example.gov")
    before = snapshot()
    with pytest.raises(UnknownDepartment) as exc:
        services.staff_upsert(email="o@example.gov", password="a-brand-new-passphrase", role="supervisor",
                              departments=["health", "parks", "zoo"])
    assert exc.value.messages == ["Unknown department codes: parks, zoo."]
    with pytest.raises(UnknownDepartment) as exc:
        services.staff_upsert(email="new@example.gov", password=PASSWORD, role="officer", departments=["parks"])
    assert exc.value.messages == ["Unknown department code: parks."]
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.role == Role.OFFICER


@pytest.mark.parametrize("role", ["citizen", "superhero", ""])
def test_staff_upsert_unknown_role(departments, role):
    before = snapshot()
    with pytest.raises(UnknownRole) as exc:
        services.staff_upsert(email="o@example.gov", password=PASSWORD, role=role, departments=["health"])
    assert exc.value.messages == [
        f"Unknown staff role “{role}”. Choose one of: officer, supervisor, manager, auditor, admin, finance."]
    assert snapshot() == before


@pytest.mark.parametrize("role", ["officer", "supervisor"])
def test_staff_upsert_department_staff_need_a_department(departments, role):
    before = snapshot()
    with pytest.raises(UnknownDepartment) as exc:
        services.staff_upsert(email="o@example.gov", password=PASSWORD, role=role, departments=[" "])
    assert exc.value.messages == ["An officer or a supervisor must belong to at least one department."]
    assert snapshot() == before


def test_staff_upsert_other_roles_refuse_departments(departments):
    with pytest.raises(UnknownDepartment) as exc:
        services.staff_upsert(email="m@example.gov", password=PASSWORD, role="manager", departments=["health"])
    assert exc.value.messages == ["Only officers and supervisors belong to departments, not the role “manager”."]
    assert User.objects.count() == 0


@pytest.mark.parametrize(("password", "messages"), [
    ("short-pw", ["This password is too short. It must contain at least 10 characters."]),
    ("1234567890", ["This password is too common.", "This password is entirely numeric."]),
])
def test_staff_upsert_weak_password_writes_nothing(departments, password, messages):
    existing = officer(departments["health"], email="o@example.gov")
    before = snapshot()
    with pytest.raises(WeakPassword) as exc:
        services.staff_upsert(email="o@example.gov", password=password, role="supervisor", departments=["tax"])
    assert exc.value.messages == messages
    with pytest.raises(WeakPassword):
        services.staff_upsert(email="new@example.gov", password=password, role="officer", departments=["tax"])
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.check_password("correct-horse-battery")


def test_staff_upsert_refuses_a_citizen_account(departments):
    citizen = UserFactory(email="wang@example.org")
    before = snapshot()
    with pytest.raises(AccountError) as exc:
        services.staff_upsert(email="Wang@example.org", password=PASSWORD, role="officer", departments=["health"])
    assert exc.value.messages == ["wang@example.org is a citizen's account. Staff need an account of their own."]
    assert snapshot() == before
    citizen.refresh_from_db()
    assert citizen.role == Role.CITIZEN


def test_staff_upsert_refuses_an_invalid_email(departments):
    with pytest.raises(AccountError) as exc:
        services.staff_upsert(email="not-an-address", password=PASSWORD, role="manager", departments=[])
    assert (exc.value.field, exc.value.messages) == ("email", ["Enter a valid email address."])
    assert User.objects.count() == 0
