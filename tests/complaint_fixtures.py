"""Fixtures for complaints (registered in the root conftest): the supervising office with its
supervisor and an officer, and a citizen's application routed to the restaurant service's
departments (tests.engine_fixtures), whose supervisors handle complaints about it."""

import pytest

from approvals import workflow
from approvals.complaints import Grounds
from approvals.models import ComplaintAbout, ComplaintCategory
from departments.models import MembershipRole

from .factories import DepartmentFactory, officer


@pytest.fixture
def office(db):
    """The Government Service Supervision Office, with a supervisor and an officer."""
    department = DepartmentFactory(code="supervision", name={"en": "Government Service Supervision Office",
                                                             "zh-hans": "政务服务监督办公室"},
                                   is_supervising_office=True)
    department.supervisor = officer(department, role=MembershipRole.SUPERVISOR)
    department.supervisor.full_name = "Zhou Min"
    department.supervisor.save(update_fields=["full_name"])
    department.officer = officer(department)
    return department


@pytest.fixture
def routed_application(submit, officers):
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    return application


def application_grounds(application, department_code="health", **overrides) -> Grounds:
    review = application.reviews.get(department__code=department_code)
    values = {"about": ComplaintAbout.APPLICATION, "category": ComplaintCategory.SLOW,
              "text": "Nobody has looked at my application for weeks.", "application_id": application.pk,
              "department_id": review.department_id, **overrides}
    return Grounds(**values)
