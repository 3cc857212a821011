import pytest

from accounts.models import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def anchor_dir(tmp_path, settings):
    """Each test's own directory of checkpoints, as the database's contents are its own."""
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    return tmp_path / "anchors"


@pytest.fixture
def auditor(client):
    """An auditor, signed in."""
    user = UserFactory(email="auditor@example.gov", full_name="Qian Li", role=Role.AUDITOR)
    client.force_login(user)
    return user
