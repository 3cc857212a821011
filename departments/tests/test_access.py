"""The one lookup of what a person may do in a department."""

import pytest

from departments.access import member_role, member_roles
from departments.models import Membership, MembershipRole
from tests.factories import DepartmentFactory, officer

pytestmark = pytest.mark.django_db


def test_roles_per_department_of_an_active_member():
    health, fire, tax = (DepartmentFactory(code=c) for c in ("health", "fire", "tax"))
    person = officer(health, role=MembershipRole.SUPERVISOR)
    Membership.objects.create(user=person, department=fire, role=MembershipRole.OFFICER)
    assert member_roles(person) == {health.pk: "supervisor", fire.pk: "officer"}
    assert member_roles(person.pk, [fire.pk, tax.pk]) == {fire.pk: "officer"}
    assert (member_role(person, health.pk), member_role(person, fire.pk), member_role(person, tax.pk)) == (
        "supervisor", "officer", None)
    assert member_role(None, health.pk) is None  # an anonymous actor


def test_a_deactivated_account_may_do_nothing_in_its_departments():
    health = DepartmentFactory(code="health")
    person = officer(health, role=MembershipRole.SUPERVISOR)
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert (member_roles(person), member_role(person, health.pk)) == ({}, None)
