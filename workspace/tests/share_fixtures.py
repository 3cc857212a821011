"""Fixtures of the sharing tests: an application, the health department's review of it and a
building department (an officer and a supervisor) to share it with."""

import pytest

from departments.models import Department
from tests.factories import officer

__all__ = ["application", "building", "health"]


@pytest.fixture
def application(submit):
    return submit()


@pytest.fixture
def health(application):
    return application.reviews.select_related("department").get(department__code="health")


@pytest.fixture
def building(db):
    department, _ = Department.objects.get_or_create(
        code="building", defaults={"name": {"en": "Building Bureau", "zh-hans": "建设局"}})
    return {"officer": officer(department), "supervisor": officer(department, role="supervisor"),
            "department": department}
