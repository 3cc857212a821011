import pytest

from accounts.models import Role
from tests.factories import UserFactory


@pytest.fixture
def auditor(client):
    """An auditor, signed in."""
    user = UserFactory(email="auditor@example.gov", full_name="Qian Li", role=Role.AUDITOR)
    client.force_login(user)
    return user
