"""The accounts department tokens act as are members of their department (so the engine's rules
apply to them) but are not people: no mail, not offered for assignment, not in the workload."""

import pytest

from approvals import workflow
from approvals.models import Notification, NotificationKind
from approvals.notifications import departments_staff_ids
from departments.access import department_members
from departments.models import Department, Membership

from .conftest import department_token

pytestmark = pytest.mark.django_db


def test_a_department_system_gets_no_mail_and_no_assigned_work(submit, officers):
    health = Department.objects.get(code="health")
    token, _clear = department_token("health")
    assert Membership.objects.filter(department=health, user=token.user).exists()

    assert token.user.pk not in departments_staff_ids([health.pk])[health.pk]
    assert token.user.pk not in {m.user_id for m in department_members([health.pk])}
    assert officers["health"].pk in departments_staff_ids([health.pk])[health.pk]

    application = submit()
    workflow.application_route(application_ids=[application.pk])
    routed_to = set(Notification.objects.filter(application=application, kind=NotificationKind.REVIEW_ROUTED)
                    .values_list("recipient_id", flat=True))
    assert token.user.pk not in routed_to
    assert officers["health"].pk in routed_to
