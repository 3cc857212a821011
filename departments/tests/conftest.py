import pytest

from tests.factories import DepartmentFactory


@pytest.fixture
def departments(db):
    return {code: DepartmentFactory(code=code) for code in ("health", "tax", "fire")}
